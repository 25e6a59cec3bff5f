package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link CallerAuthorization} in front of a route that only says who reached it, on a real bound
 * Pekko HTTP server (Pekko HTTP 1.x's route test kit is JUnit 4 only): 401, 403, 404, 405 and
 * passing through, for every endpoint of {@link EndpointScopes} and every scope. That the table's
 * endpoints are the real routes is ThreeRegionHttpIT's part.
 */
class CallerAuthorizationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "CallerAuthorizationTest",
          ConfigFactory.parseString(
                  "pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off")
              .withFallback(ConfigFactory.load()));

  /** One caller per scope, plus the plain api and admin tokens. */
  private static final Map<String, Set<Scope>> CALLERS = new LinkedHashMap<>();

  static {
    for (Scope scope : Scope.values())
      CALLERS.put("only-" + scope.configName() + "-token", EnumSet.of(scope));
    CALLERS.put("api-token", CallerTokens.API_SCOPES);
    CALLERS.put("admin-token", CallerTokens.ADMIN_SCOPES);
  }

  private static ServerBinding binding;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void bind() throws Exception {
    StringBuilder callers = new StringBuilder("[");
    for (Scope scope : Scope.values()) {
      callers.append(
          "{ name = only-%s, scopes = [%s], token-sha256 = [\"%s\"] }\n"
              .formatted(
                  scope.configName(),
                  scope.configName(),
                  CallerTokens.sha256Hex("only-" + scope.configName() + "-token")));
    }
    callers.append("]");
    var tokens =
        CallerTokens.fromConfig(
            ConfigFactory.parseString(
                "api { token = api-token, callers-file = \"\", callers = "
                    + callers
                    + " }\nadmin-token = admin-token"));
    var authorization = new CallerAuthorization(tokens, new ResponseMapper(new Json(JSON)));
    var route =
        pathPrefix(
            "v1", () -> authorization.authorize(caller -> complete("reached as " + caller.name())));
    binding =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(route)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (binding != null) binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    testKit.shutdownTestKit();
  }

  private static HttpResponse<String> send(String method, String path, Optional<String> auth)
      throws Exception {
    var request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    auth.ifPresent(value -> request.header("Authorization", value));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String concrete(EndpointScopes.Endpoint endpoint) {
    return endpoint.path().replaceAll("\\{[A-Za-z]+\\}", "x-1");
  }

  private static String error(HttpResponse<String> response) throws Exception {
    JsonNode body = JSON.readTree(response.body());
    assertTrue(body.path("message").asText().length() > 5, response.body());
    return body.path("error").asText();
  }

  @Test
  void everyEndpointPassesCallersWithItsScopeAndRefusesTheOthersWith403() throws Exception {
    for (EndpointScopes.Endpoint endpoint : EndpointScopes.ALL) {
      for (var caller : CALLERS.entrySet()) {
        var answer =
            send(endpoint.method(), concrete(endpoint), Optional.of("Bearer " + caller.getKey()));
        String what = endpoint + " as " + caller.getKey() + ": " + answer.body();
        if (caller.getValue().contains(endpoint.scope())) {
          assertEquals(200, answer.statusCode(), what);
          assertTrue(answer.body().startsWith("reached as "), what);
        } else {
          assertEquals(403, answer.statusCode(), what);
          assertEquals("forbidden", error(answer), what);
          assertEquals(
              "Bearer realm=meridian,error=insufficient_scope,scope="
                  + endpoint.scope().configName(),
              answer
                  .headers()
                  .firstValue("WWW-Authenticate")
                  .orElse("")
                  .replaceAll("[\" ]", "")
                  .replaceFirst("Bearer", "Bearer "),
              what);
        }
      }
    }
  }

  @Test
  void everyEndpointAnswers401WithABearerChallengeWithoutAValidCredential() throws Exception {
    List<String> invalid =
        List.of(
            "Bearer unknown-token",
            "Bearer",
            "Bearer ",
            "Bearer two words",
            "Basic " + java.util.Base64.getEncoder().encodeToString("only-read-token:".getBytes()),
            "Token only-read-token",
            "only-read-token",
            "Bearer only-read-token;");
    for (EndpointScopes.Endpoint endpoint : EndpointScopes.ALL) {
      var anonymous = send(endpoint.method(), concrete(endpoint), Optional.empty());
      assertEquals(401, anonymous.statusCode(), endpoint + ": " + anonymous.body());
      assertEquals("unauthorized", error(anonymous));
      assertEquals(
          "Bearer realm=\"meridian\"",
          anonymous.headers().firstValue("WWW-Authenticate").orElse(""),
          endpoint.toString());
      for (String credential : invalid) {
        var refused = send(endpoint.method(), concrete(endpoint), Optional.of(credential));
        assertEquals(401, refused.statusCode(), endpoint + " with " + credential);
        assertEquals("unauthorized", error(refused));
        assertTrue(
            refused.headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_token"),
            credential);
      }
    }
  }

  @Test
  void theSchemeIsCaseInsensitive() throws Exception {
    var answer = send("GET", "/v1/regions", Optional.of("bearer only-read-token"));
    assertEquals(200, answer.statusCode(), answer.body());
  }

  @Test
  void aRequestTheTableDoesNotKnowIs404Or405ButOnlyForAnAuthenticatedCaller() throws Exception {
    var unknownPath = send("GET", "/v1/nothing", Optional.of("Bearer admin-token"));
    assertEquals(404, unknownPath.statusCode(), unknownPath.body());
    assertEquals("not_found", error(unknownPath));
    var wrongMethod = send("DELETE", "/v1/regions", Optional.of("Bearer only-read-token"));
    assertEquals(405, wrongMethod.statusCode(), wrongMethod.body());
    assertEquals("method_not_allowed", error(wrongMethod));
    assertTrue(wrongMethod.body().contains("GET"), wrongMethod.body());
    for (String path : List.of("/v1/nothing", "/v1/regions/", "/v1//regions", "/v1/users//move"))
      assertEquals(401, send("GET", path, Optional.empty()).statusCode(), path);
    for (String path : List.of("/v1/regions/", "/v1//regions", "/v1/users//move"))
      assertEquals(404, send("GET", path, Optional.of("Bearer api-token")).statusCode(), path);
  }

  @Test
  void anEncodedSlashStaysInsideItsSegment() throws Exception {
    // As Pekko's routing sees it: one segment "a/payments/p-1", so GET /v1/users/{userId}.
    var asReader =
        send("GET", "/v1/users/a%2Fpayments%2Fp-1", Optional.of("Bearer only-read-token"));
    assertEquals(200, asReader.statusCode(), asReader.body());
    var asPayer =
        send("GET", "/v1/users/a%2Fpayments%2Fp-1", Optional.of("Bearer only-payments-token"));
    assertEquals(403, asPayer.statusCode(), asPayer.body());
  }
}
