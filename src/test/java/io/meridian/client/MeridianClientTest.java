package io.meridian.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's routing and retry rules against stand-in regions (JDK HTTP servers answering what a
 * Meridian node would), without a cluster: ClientFailoverIT runs the same client against real
 * regions that die and are cut off.
 */
class MeridianClientTest {
  private static final String USER =
      "{\"userId\":\"u-1\",\"homeRegion\":\"us\",\"owner\":\"us\",\"epoch\":1,\"profile\":{},"
          + "\"points\":5,\"devices\":[],\"wallet\":{\"balance\":\"0.00\",\"overdraftFlagged\":false},"
          + "\"version\":{\"us\":2}}";

  private final List<HttpServer> servers = new java.util.ArrayList<>();

  /** What a stand-in region saw: method, path, Idempotency-Key. */
  record Seen(String region, String method, String path, String key) {}

  private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();

  /** A region whose node answers each request with {@code answer} (status, body, headers). */
  private URI region(String name, Function<HttpExchange, Reply> answer) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          seen.add(
              new Seen(
                  name,
                  exchange.getRequestMethod(),
                  exchange.getRequestURI().getPath(),
                  exchange.getRequestHeaders().getFirst("Idempotency-Key")));
          Reply reply = answer.apply(exchange);
          exchange.getResponseHeaders().add("X-Meridian-Served-By", name);
          reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(reply.status(), body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    servers.add(server);
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  record Reply(int status, String body, Map<String, String> headers) {}

  private static Reply ok(String owner) {
    return new Reply(200, USER, Map.of("X-Meridian-Owner", owner));
  }

  private static Reply error(int status, String code, Map<String, String> headers) {
    return new Reply(status, "{\"error\":\"" + code + "\",\"message\":\"m\"}", headers);
  }

  /** A port nothing listens on: the connection is refused, as to a killed region. */
  private static URI deadRegion() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }
  }

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(0));
  }

  private static MeridianClient.Builder client() {
    return MeridianClient.builder()
        .token("t")
        .deadline(Duration.ofSeconds(10))
        .attemptTimeout(Duration.ofSeconds(2))
        .retryPolicy(
            new RetryPolicy(Integer.MAX_VALUE, Duration.ofMillis(10), Duration.ofMillis(50)));
  }

  @Test
  void aReadOfADeadHomeRegionIsAnsweredByTheNextRegion() throws Exception {
    var meridian =
        client().region("us", deadRegion()).region("eu", region("eu", e -> ok("us"))).build();
    UserDocument user = meridian.user("u-1");
    assertEquals(5, user.points());
    assertEquals(List.of("eu"), seen.stream().map(Seen::region).toList());
  }

  @Test
  void aRetriedWriteSendsTheSameIdempotencyKeyToAnotherRegion() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    var meridian =
        client()
            .region("us", region("us", e -> error(503, "owner_unavailable", Map.of())))
            .region(
                "eu",
                region(
                    "eu",
                    e -> calls.incrementAndGet() == 1 ? error(503, "timeout", Map.of()) : ok("us")))
            .region("ap", deadRegion())
            .homeRegion("us")
            .build();
    // First to eu, which times out once (a 503 that may have been applied), then answers.
    CallResult result = meridian.send(Requests.adjustPoints("u-1", 5, "key-1").at("eu"));
    assertTrue(result.isSuccess(), result.toString());
    assertEquals(2, result.attempts().size());
    assertEquals(
        List.of("key-1", "key-1"),
        seen.stream().map(Seen::key).toList(),
        "every attempt carries the same key");
    assertTrue(result.mayHaveBeenApplied(), "a 503 timeout may have been applied");
  }

  @Test
  void aSingleWriterWriteGoesToTheOwnerAnAnswerNamed() throws Exception {
    var meridian =
        client()
            .region("us", region("us", e -> ok("eu")))
            .region("eu", region("eu", e -> ok("eu")))
            .homeRegion("us")
            .build();
    meridian.user("u-1"); // us says: owner eu
    assertEquals("eu", meridian.knownOwner("u-1"));
    meridian.updateProfile("u-1", Map.of("displayName", "Ada"));
    Seen write = seen.stream().filter(s -> s.method().equals("PATCH")).findFirst().orElseThrow();
    assertEquals("eu", write.region());
    assertNotNull(write.key(), "a write carries an Idempotency-Key");
  }

  @Test
  void joiningACohortIsAKeyedSingleWriterWriteAtTheOwnerAndARetryKeepsTheKey() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    var bodies = new ConcurrentLinkedQueue<String>();
    var meridian =
        client()
            .region("us", region("us", e -> ok("eu")))
            .region(
                "eu",
                region(
                    "eu",
                    e -> {
                      try {
                        bodies.add(
                            new String(e.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                      } catch (IOException failed) {
                        throw new java.io.UncheckedIOException(failed);
                      }
                      return calls.incrementAndGet() == 1
                          ? error(503, "owner_unavailable", Map.of())
                          : new Reply(
                              200,
                              USER.substring(0, USER.length() - 1) + ",\"cohort\":\"desk\"}",
                              Map.of("X-Meridian-Owner", "eu"));
                    }))
            .homeRegion("us")
            .build();
    meridian.user("u-1"); // us says: owner eu
    UserDocument joined = meridian.setCohort("u-1", "desk");
    assertEquals("desk", joined.cohort());
    List<Seen> puts = seen.stream().filter(s -> s.method().equals("PUT")).toList();
    assertEquals(2, puts.size(), "refused once, then sent again: " + puts);
    assertEquals("/v1/users/u-1/cohort", puts.get(0).path());
    assertEquals(puts.get(0).key(), puts.get(1).key(), "the same Idempotency-Key");
    assertTrue(puts.get(0).key() != null);
    assertEquals(List.of("{\"cohort\":\"desk\"}", "{\"cohort\":\"desk\"}"), List.copyOf(bodies));
  }

  @Test
  void ownershipUnconfirmedSendsTheWriteToAnotherRegion() throws Exception {
    var meridian =
        client()
            .region("us", region("us", e -> error(503, "ownership_unconfirmed", Map.of())))
            .region("eu", region("eu", e -> ok("eu")))
            .homeRegion("us")
            .build();
    meridian.updateProfile("u-1", Map.of("displayName", "Ada"));
    assertEquals(List.of("us", "eu"), seen.stream().map(Seen::region).toList());
  }

  @Test
  void aRateLimitedCallWaitsRetryAfterAndStaysInItsRegion() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    var meridian =
        client()
            .region(
                "us",
                region(
                    "us",
                    e ->
                        calls.incrementAndGet() == 1
                            ? error(429, "rate_limited", Map.of("Retry-After", "1"))
                            : ok("us")))
            .region("eu", region("eu", e -> ok("us")))
            .build();
    long start = System.nanoTime();
    meridian.user("u-1");
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMillis >= 1000, "waited Retry-After: " + tookMillis + " ms");
    assertEquals(List.of("us", "us"), seen.stream().map(Seen::region).toList());
  }

  @Test
  void aClientMistakeIsNotRetried() throws Exception {
    var meridian =
        client().region("us", region("us", e -> error(404, "unknown_user", Map.of()))).build();
    var failure = assertThrows(MeridianException.class, () -> meridian.user("u-1"));
    assertEquals(404, failure.status());
    assertEquals("unknown_user", failure.errorCode());
    assertEquals(1, seen.size());
  }

  @Test
  void aCallEndsAtItsDeadlineWithTheLastAnswer() throws Exception {
    var meridian =
        client()
            .region("us", region("us", e -> error(503, "region_unavailable", Map.of())))
            .deadline(Duration.ofMillis(500))
            .build();
    long start = System.nanoTime();
    var failure = assertThrows(MeridianException.class, () -> meridian.user("u-1"));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(failure.result().deadlineReached());
    assertEquals("region_unavailable", failure.errorCode());
    assertTrue(tookMillis < 2_000, "ended near its deadline: " + tookMillis + " ms");
    assertTrue(failure.result().attempts().size() > 1);
  }

  @Test
  void withoutRetriesOneAttemptIsMade() throws Exception {
    var meridian =
        client()
            .region("us", region("us", e -> error(503, "owner_unavailable", Map.of())))
            .region("eu", region("eu", e -> ok("us")))
            .retryPolicy(RetryPolicy.none())
            .build();
    CallResult result = meridian.send(Requests.adjustPoints("u-1", 1, "k"));
    assertFalse(result.isSuccess());
    assertEquals(1, seen.size());
  }

  @Test
  void aWriteWithoutAKeyIsSentAgainOnlyWhenNothingRan() throws Exception {
    var meridian =
        client().region("us", deadRegion()).region("eu", region("eu", e -> ok("us"))).build();
    CallResult result = meridian.send(Requests.adjustPoints("u-1", 1, null));
    assertTrue(result.isSuccess(), "a refused connection ran nothing: " + result);
    assertEquals(2, result.attempts().size());
  }

  @Test
  void aWriteWithoutAKeyIsSentOnce() throws Exception {
    var meridian =
        client()
            .region("us", region("us", e -> error(503, "owner_unavailable", Map.of())))
            .region("eu", region("eu", e -> ok("us")))
            .build();
    CallResult result = meridian.send(Requests.adjustPoints("u-1", 1, null));
    assertFalse(result.isSuccess());
    assertEquals(1, seen.size(), "not safe to repeat without a key");
  }
}
