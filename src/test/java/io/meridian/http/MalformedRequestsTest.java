package io.meridian.http;

import static io.meridian.cluster.Eventually.eventually;
import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What a client gets, and what the log gets, for requests that are malformed below the routes: a
 * broken request line, an unknown method or protocol, limits exceeded, a body that never finishes,
 * a route that never answers. Every answer is the API's JSON error shape with a 4xx (503 {@code
 * timeout} for the server's own slowness); no client mistake puts a warning or a stack trace in the
 * log, and a defect still does.
 *
 * <p>The server is Pekko HTTP configured from conf/http.conf (its parsing error handler and
 * limits), with a short request timeout, serving a small route wrapped as {@link HttpApi#route()}
 * wraps the API: the timeout response, then {@link RequestErrors}' exception and rejection
 * handlers.
 */
class MalformedRequestsTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "MalformedRequestsTest",
          ConfigFactory.parseString(
                  """
                  pekko.actor.provider = local
                  pekko.coordinated-shutdown.exit-jvm = off
                  pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                  pekko.http.server.request-timeout = 1s
                  """)
              .withFallback(ConfigFactory.load()));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static ServerBinding binding;
  private static final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private static final ch.qos.logback.classic.Logger root =
      (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeAll
  static void bind() throws Exception {
    var json =
        new Json(
            JacksonObjectMapperProvider.get(testKit.system())
                .getOrCreate("meridian-http", Optional.empty()));
    var responses = new ResponseMapper(json);
    var requestBody = new RequestBody(json, 100);
    var errors = new RequestErrors(responses, requestBody, "test");
    Route api =
        concat(
            path("body", () -> post(() -> requestBody.json(body -> complete("{}")))),
            path(
                "never",
                () -> get(() -> completeWithFuture(new CompletableFuture<HttpResponse>()))),
            path(
                "defect",
                () ->
                    get(
                        () -> {
                          throw new IllegalStateException("a bug in the server");
                        })),
            path(
                "refused",
                () ->
                    get(
                        () -> {
                          throw ApiError.badRequest("invalid_id", "a client mistake");
                        })));
    Route route =
        withRequestTimeoutResponse(
            responses::requestTimedOut,
            () ->
                handleExceptions(
                    errors.exceptions(), () -> handleRejections(errors.rejections(), () -> api)));
    binding =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(route)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    logged.start();
    root.addAppender(logged);
  }

  @AfterAll
  static void shutdown() {
    root.detachAppender(logged);
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clearLog() {
    logged.list.clear();
  }

  /** A raw answer: status, headers, body. */
  record Answer(int status, String head, String body) {
    JsonNode json() throws IOException {
      assertTrue(
          head.toLowerCase().contains("content-type: application/json"), () -> "not JSON: " + head);
      return JSON.readTree(body);
    }

    String header(String name) {
      for (String line : head.split("\r\n"))
        if (line.toLowerCase().startsWith(name.toLowerCase() + ":"))
          return line.substring(name.length() + 1).trim();
      return null;
    }
  }

  // ---------------------------------------------------------------- below the routes

  @Test
  void aBrokenRequestLineIsA400InTheErrorShape() throws Exception {
    assertRefused(send("GET /not a target HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "bad_request");
  }

  @Test
  void aBrokenHeaderLineIsA400InTheErrorShape() throws Exception {
    assertRefused(
        send("GET /never HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"), 400, "bad_request");
  }

  @Test
  void anUnknownMethodIsA400NotPekkos501() throws Exception {
    assertRefused(send("FROB /body HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "bad_request");
  }

  @Test
  void anUnknownProtocolVersionIsA400NotPekkos505() throws Exception {
    assertRefused(send("GET /never HTTP/3.7\r\nHost: x\r\n\r\n"), 400, "bad_request");
  }

  @Test
  void aUriOverTheLimitIsA414() throws Exception {
    String path = "/" + "a".repeat(20_000);
    assertRefused(send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "uri_too_long");
  }

  @Test
  void aBodyOverTheHardCapIsA413BeforeItIsRead() throws Exception {
    var answer =
        send(
            "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5000000\r\n\r\n{");
    assertRefused(answer, 413, "payload_too_large");
  }

  @Test
  void aBodyThatNeverFinishesIsA408() throws Exception {
    var answer =
        send(
            "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 40\r\n\r\n{\"a\":");
    assertRefused(answer, 408, "request_timeout");
  }

  @Test
  void aBrokenChunkedBodyIsA400() throws Exception {
    var answer =
        send(
            "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n");
    assertRefused(answer, 400, "bad_request");
  }

  // ---------------------------------------------------------------- in the routes

  @Test
  void aRouteThatNeverAnswersGets503TimeoutWithRetryAfter() throws Exception {
    var answer = send("GET /never HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(503, answer.status(), answer.toString());
    assertEquals("timeout", answer.json().get("error").asText());
    assertEquals(
        String.valueOf(ResponseMapper.TIMEOUT_RETRY_AFTER_SECONDS), answer.header("Retry-After"));
    assertClientMistakesLoggedQuietly(1);
  }

  @Test
  void aRefusalIsItsOwnStatusAndLogsNothingAboveDebug() throws Exception {
    var answer = send("GET /refused HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertRefused(answer, 400, "invalid_id");
  }

  @Test
  void aDefectIsA500WithoutInternalsAndAWarningWithItsStackTrace() throws Exception {
    var answer = send("GET /defect HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(500, answer.status(), answer.toString());
    assertEquals("internal_error", answer.json().get("error").asText());
    assertTrue(!answer.body().contains("a bug in the server"), answer.body());
    eventually(
        Duration.ofSeconds(5),
        () ->
            assertTrue(
                logged.list.stream()
                    .anyMatch(
                        e ->
                            e.getLevel() == Level.WARN
                                && e.getThrowableProxy() != null
                                && e.getThrowableProxy()
                                    .getMessage()
                                    .equals("a bug in the server")),
                () -> "the defect is logged with its stack trace: " + lines()));
  }

  // ---------------------------------------------------------------- checks

  private void assertRefused(Answer answer, int status, String error) throws Exception {
    assertEquals(status, answer.status(), answer.toString());
    JsonNode body = answer.json();
    assertEquals(error, body.get("error").asText(), answer.toString());
    assertNotNull(body.get("message"), answer.toString());
    assertClientMistakesLoggedQuietly(0);
  }

  /**
   * Pekko logs through an actor: a marker logged after the answer arrives after every line the
   * request caused. Then: no line above {@code infoLines} at info, none at warn or above, no stack
   * trace.
   */
  private void assertClientMistakesLoggedQuietly(int infoLines) {
    String marker = "marker-" + System.nanoTime();
    Adapter.toClassic(testKit.system()).log().info(marker);
    eventually(
        Duration.ofSeconds(5),
        () ->
            assertTrue(
                logged.list.stream().anyMatch(e -> e.getFormattedMessage().equals(marker)),
                "marker logged"));
    List<ILoggingEvent> lines =
        logged.list.stream().filter(e -> !e.getFormattedMessage().equals(marker)).toList();
    assertTrue(
        lines.stream().noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN)),
        () -> "a client mistake logged a warning: " + lines());
    assertTrue(
        lines.stream().noneMatch(e -> e.getThrowableProxy() != null),
        () -> "a client mistake logged a stack trace: " + lines());
    assertTrue(lines.size() <= infoLines, () -> "more than " + infoLines + " lines: " + lines());
  }

  private static String lines() {
    return logged.list.stream()
        .map(e -> e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage())
        .toList()
        .toString();
  }

  /**
   * Sends raw bytes and reads the answer until the server closes the connection or the answer is
   * complete (every answer here is either closed by the server or asked to close).
   */
  private static Answer send(String request) throws IOException {
    int port = binding.localAddress().getPort();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      var received = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received.write(buffer, 0, n);
          if (isWholeAnswer(received.toString(StandardCharsets.ISO_8859_1))) break;
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no complete answer within 15 s: " + received, e);
      } catch (java.net.SocketException e) {
        // reset after the answer (the server closed while we were still sending): use what came
      }
      String text = received.toString(StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      assertTrue(split > 0, () -> "no answer: " + text);
      String head = text.substring(0, split);
      int status = Integer.parseInt(head.split(" ")[1]);
      return new Answer(status, head, text.substring(split + 4));
    }
  }

  private static boolean isWholeAnswer(String text) {
    int split = text.indexOf("\r\n\r\n");
    if (split < 0) return false;
    for (String line : text.substring(0, split).split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        int length = Integer.parseInt(line.substring("content-length:".length()).trim());
        return text.length() - split - 4 >= length;
      }
    }
    return false;
  }
}
