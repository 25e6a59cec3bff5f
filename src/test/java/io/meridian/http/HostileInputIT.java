package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile request bodies against three real regions (real Cassandra journals): each is answered at
 * once with a 400 in the JSON error shape, nothing is persisted, and the owner's journal keeps
 * taking writes.
 *
 * <p>The regression: {@code {"displayName":"\ud800"}} passed validation; the CBOR serializer could
 * not write the event, the journal write failed, the replica restarted, and the client got 503
 * {@code owner_unavailable} after the 5 s ask timeout; ten such requests opened the journal's
 * circuit breaker and stopped every write of the node.
 */
@ExtendWith(CassandraExtension.class)
class HostileInputIT {
  private static final String USER = "hostile-1";
  private static final String PROFILE = "/v1/users/" + USER + "/profile";

  /** Far below the ask timeout (5 s) that a failed journal write used to take. */
  private static final Duration PROMPTLY = Duration.ofSeconds(2);

  private static ThreeRegions regions;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions = ThreeRegions.start(cassandra, "it_hostile_", "");
    var created =
        regions.send(
            "eu", "POST", "/v1/users", "{\"userId\":\"" + USER + "\",\"homeRegion\":\"us\"}");
    assertEquals(201, created.statusCode(), created.body());
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  /** Raw body bytes, as a client that does not encode through Java strings sends them. */
  private static HttpResponse<String> sendBytes(String region, String path, byte[] body) {
    var request =
        HttpRequest.newBuilder(regions.uri(region, path))
            .timeout(Duration.ofSeconds(30))
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(body))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + ThreeRegions.API_TOKEN)
            .build();
    try {
      return regions.client().send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The user as its owner has it. */
  private static JsonNode owned() {
    var read = regions.send("eu", "GET", "/v1/users/" + USER + "?consistency=owner", null);
    assertEquals(200, read.statusCode(), read.body());
    return ThreeRegions.json(read);
  }

  private static void assertRefusedPromptly(long startNanos, HttpResponse<String> answer) {
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    assertEquals(400, answer.statusCode(), answer.body());
    assertEquals("malformed_json", ThreeRegions.json(answer).get("error").asText(), answer.body());
    assertTrue(took.compareTo(PROMPTLY) < 0, () -> "refused only after " + took);
  }

  @Test
  void anUnpairedSurrogateIsRefusedAtOnceAndTheOwnersJournalKeepsTakingWrites() {
    JsonNode before = owned();
    // More than the ten failed writes that used to open the breaker, through the owner and not.
    for (int i = 0; i < 12; i++) {
      String region = ThreeRegions.REGIONS.get(i % 3);
      long start = System.nanoTime();
      var escaped = regions.send(region, "PATCH", PROFILE, "{\"displayName\":\"\\ud800\"}");
      assertRefusedPromptly(start, escaped);
    }
    long start = System.nanoTime();
    var valid = regions.send("us", "PATCH", PROFILE, "{\"displayName\":\"Ada \\ud83d\\ude00\"}");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(200, valid.statusCode(), valid.body());
    assertTrue(took.compareTo(PROMPTLY) < 0, () -> "the next valid write took " + took);

    JsonNode after = owned();
    assertEquals("Ada \ud83d\ude00", after.at("/profile/displayName").asText(), after.toString());
    assertEquals(
        before.at("/version/us").asLong() + 1,
        after.at("/version/us").asLong(),
        () -> "only the valid write was persisted: " + before + " -> " + after);
  }

  static Stream<byte[]> hostileBodies() {
    return Stream.of(
        utf8("{\"displayName\":\"a\",\"displayName\":\"b\"}"),
        utf8("{\"displayName\":\"a\"} {\"email\":\"x@example.org\"}"),
        utf8("{\"email\":\"ada\\udc00@example.org\"}"),
        utf8("{\"\\ud800\":\"a\"}"),
        bytes(utf8("{\"displayName\":\""), new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}),
        bytes(utf8("{\"displayName\":\""), new byte[] {(byte) 0xff}, utf8("\"}")),
        bytes(utf8("{\"displayName\":\"caf"), new byte[] {(byte) 0xc3, 0x28}, utf8("\"}")));
  }

  @ParameterizedTest
  @MethodSource("hostileBodies")
  void aBodyThatIsNotIJsonIsRefusedAndChangesNothing(byte[] body) {
    JsonNode before = owned();
    long start = System.nanoTime();
    var answer = sendBytes("ap", PROFILE, body);
    assertRefusedPromptly(start, answer);
    assertEquals(before.get("version"), owned().get("version"), "nothing persisted");
  }

  @Test
  void aRequestPekkosParserRefusesGetsTheJsonErrorShape() throws IOException {
    String port = regions.uri("eu", "/").toString().replaceAll(".*:(\\d+)/$", "$1");
    try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(port))) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write("FROB /v1/users HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String answer = readAll(socket.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
      assertTrue(answer.toLowerCase().contains("content-type: application/json"), answer);
      assertTrue(answer.contains("\"error\":\"bad_request\""), answer);
    }
  }

  @Test
  void aRefusedRequestWithABodyIsAnsweredAndTheConnectionServesTheNextRequest() throws IOException {
    // 403 before the body was read used to close the connection after the answer: a client still
    // sending its body saw a reset instead of the 403 (a FuzzCampaignIT run, 30 KB to an admin
    // route with the API token). Now the body is read first, so the same connection goes on.
    String port = regions.uri("eu", "/").toString().replaceAll(".*:(\\d+)/$", "$1");
    byte[] body = utf8("{\"region\":\"us\",\"pad\":\"" + "x".repeat(30_000) + "\"}");
    try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(port))) {
      socket.setSoTimeout(10_000);
      var out = socket.getOutputStream();
      out.write(
          utf8(
              "POST /v1/admin/drills HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + ThreeRegions.API_TOKEN
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n"));
      // The body arrives in two parts, as from a client still sending when the server decides.
      out.write(body, 0, 1_000);
      out.flush();
      ThreeRegions.sleepMillis(500);
      out.write(body, 1_000, body.length - 1_000);
      out.write(
          utf8(
              "GET /v1/regions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + ThreeRegions.API_TOKEN
                  + "\r\nConnection: close\r\n\r\n"));
      out.flush();
      String answers = readAll(socket.getInputStream());
      assertTrue(answers.startsWith("HTTP/1.1 403"), answers);
      assertTrue(answers.contains("\"error\":\"forbidden\""), answers);
      assertTrue(
          answers.indexOf("HTTP/1.1 200", 1) > 0,
          "the second request on the connection was answered: " + answers);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    var out = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    for (int n; (n = in.read(buffer)) >= 0; ) out.write(buffer, 0, n);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] part : parts) out.writeBytes(part);
    return out.toByteArray();
  }
}
