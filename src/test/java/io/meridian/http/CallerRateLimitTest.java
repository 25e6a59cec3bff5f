package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link CallerRateLimit} in front of routes that only answer, on a real bound Pekko HTTP server
 * with the node's HTTP configuration (the connection's address as a request attribute): the 429
 * with its {@code Retry-After} and JSON error, and who counts as one caller. The clock is the
 * test's, so nothing refills while the test runs unless it says so. That the limit is in front of
 * the real {@code /v1} routes is ThreeRegionHttpIT's part.
 */
class CallerRateLimitTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "CallerRateLimitTest",
          ConfigFactory.parseString(
                  "pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off")
              .withFallback(ConfigFactory.load()));

  /** 3 at once, then one every 2 s. */
  private static final int BURST = 3;

  private static final AtomicLong clock = new AtomicLong();
  private static ServerBinding binding;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void bind() throws Exception {
    var responses = new ResponseMapper(new Json(JSON));
    var limited =
        new CallerRateLimit(
            new CallerRateLimit.Settings(true, 0.5, BURST, 100), clock::get, responses);
    var unlimited =
        new CallerRateLimit(
            new CallerRateLimit.Settings(false, 0.5, BURST, 100), clock::get, responses);
    var route =
        concat(
            pathPrefix("limited", () -> limited.limit(() -> complete("done"))),
            pathPrefix("unlimited", () -> unlimited.limit(() -> complete("done"))));
    binding =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(route)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void shutdown() throws Exception {
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    testKit.shutdownTestKit();
  }

  private static HttpResponse<String> get(String path, String authorization) throws Exception {
    var request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path))
            .timeout(Duration.ofSeconds(10));
    if (authorization != null) request.header("Authorization", authorization);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCallerBeyondItsBurstGets429WithRetryAfterAndTheJsonError() throws Exception {
    for (int i = 0; i < BURST; i++)
      assertEquals(200, get("/limited", "Bearer burst-token").statusCode(), "request " + i);

    var refused = get("/limited", "Bearer burst-token");

    assertEquals(429, refused.statusCode());
    assertEquals(
        Optional.of("2"),
        refused.headers().firstValue("Retry-After"),
        "one request every 2 s: retry after 2 s");
    assertEquals(Optional.of("application/json"), refused.headers().firstValue("Content-Type"));
    JsonNode body = JSON.readTree(refused.body());
    assertEquals("rate_limited", body.get("error").asText());
    assertTrue(body.get("message").asText().contains("retry after 2 s"), body.toString());
    assertFalse(refused.body().contains("burst-token"), "the token is never echoed");
  }

  @Test
  void theCallerGetsItsNextRequestOnceATokenIsBackAndRetryAfterRoundsUp() throws Exception {
    for (int i = 0; i < BURST; i++) get("/limited", "Bearer refill-token");
    assertEquals(429, get("/limited", "Bearer refill-token").statusCode());

    clock.addAndGet(Duration.ofMillis(1_500).toNanos());
    var early = get("/limited", "Bearer refill-token");
    assertEquals(429, early.statusCode());
    assertEquals(Optional.of("1"), early.headers().firstValue("Retry-After"), "0.5 s: 1 s");

    clock.addAndGet(Duration.ofMillis(500).toNanos());
    assertEquals(200, get("/limited", "Bearer refill-token").statusCode());
    assertEquals(429, get("/limited", "Bearer refill-token").statusCode());
  }

  @Test
  void eachTokenIsACallerAndTheSchemeIsCaseInsensitive() throws Exception {
    for (int i = 0; i < BURST; i++) get("/limited", "Bearer token-one");
    assertEquals(429, get("/limited", "bearer   token-one").statusCode(), "same caller");

    assertEquals(200, get("/limited", "Bearer token-two").statusCode(), "another caller");
  }

  @Test
  void withoutATokenTheCallerIsItsAddress() {
    HttpHeader basic = RawHeader.create("Authorization", "Basic dXNlcjpwYXNz");
    var fromAddress =
        org.apache.pekko.http.javadsl.model.HttpRequest.create("/v1/regions")
            .addAttribute(
                org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress,
                org.apache.pekko.http.javadsl.model.RemoteAddress.create(
                    new java.net.InetSocketAddress("10.1.2.3", 40000)));

    assertEquals("ip:10.1.2.3", CallerRateLimit.callerOf(fromAddress));
    // The SHA-256 of "secret", as printf %s secret | sha256sum prints it.
    assertEquals("ip:10.1.2.3", CallerRateLimit.callerOf(fromAddress.addHeader(basic)));
    assertEquals(
        "ip:unknown",
        CallerRateLimit.callerOf(org.apache.pekko.http.javadsl.model.HttpRequest.create("/")));
    assertEquals(
        "token:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
        CallerRateLimit.callerOf(
            fromAddress.addHeader(RawHeader.create("Authorization", "Bearer secret"))));
  }

  @Test
  void requestsWithoutATokenFromOneAddressShareABucket() throws Exception {
    // Every request of this test class without a token comes from 127.0.0.1: this test alone
    // sends them.
    for (int i = 0; i < BURST; i++) assertEquals(200, get("/limited", null).statusCode());
    assertEquals(429, get("/limited", "Basic dXNlcjpwYXNz").statusCode(), "not a bearer token");

    assertEquals(200, get("/limited", "Bearer from-the-same-address").statusCode());
  }

  @Test
  void aDisabledLimitLetsEveryRequestThrough() throws Exception {
    for (int i = 0; i < 3 * BURST; i++)
      assertEquals(200, get("/unlimited", "Bearer unlimited-token").statusCode());
  }
}
