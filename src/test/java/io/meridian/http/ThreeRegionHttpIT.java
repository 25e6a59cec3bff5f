package io.meridian.http;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP API of three regions in one cluster (three actor systems in this JVM, real Cassandra),
 * driven black-box with java.net.http: ownership, forwarding, convergence, and the error contract.
 */
@ExtendWith(CassandraExtension.class)
class ThreeRegionHttpIT {
  private static final Duration CONVERGE = Duration.ofSeconds(20);
  private static ThreeRegions regions;

  /** A payment that would be accepted if the request were authorized. */
  private static final String PAY =
      "{\"paymentId\":\"p-noauth\",\"kind\":\"credit\",\"amount\":\"1.00\"}";

  /** Callers with one scope each (the writer with two tokens, as during a rotation). */
  private static final String READER = "it-reader-token";

  private static final String WRITER_OLD = "it-writer-token-old";
  private static final String WRITER_NEW = "it-writer-token-new";
  private static final String PAYER = "it-payer-token";
  private static final String ADMIN = "it-admin-token";

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions =
        ThreeRegions.start(
            cassandra,
            "it_http_",
            """
            meridian.admin-token = "%s"
            meridian.chaos.enabled = on
            meridian.api.callers = [
              { name = reader, scopes = [read], token-sha256 = ["%s"] }
              { name = writer, scopes = [write], token-sha256 = ["%s", "%s"] }
              { name = payer, scopes = [payments], token-sha256 = "%s" }
            ]
            # Low enough for aCallerOverItsRateLimit... to reach with a few hundred requests, far
            # above what the other tests send per caller and node.
            meridian.rate-limit { burst = %d, requests-per-second = %d }
            """
                .formatted(
                    ADMIN,
                    CallerTokens.sha256Hex(READER),
                    CallerTokens.sha256Hex(WRITER_OLD),
                    CallerTokens.sha256Hex(WRITER_NEW),
                    CallerTokens.sha256Hex(PAYER),
                    RATE_BURST,
                    RATE_PER_SECOND));
  }

  private static final int RATE_BURST = 300;
  private static final int RATE_PER_SECOND = 50;

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  static JsonNode json(HttpResponse<String> response) {
    return ThreeRegions.json(response);
  }

  static String header(HttpResponse<String> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  private static void create(String userId, String servedBy, String home) {
    var created =
        regions.send(
            servedBy,
            "POST",
            "/v1/users",
            "{\"userId\":\"" + userId + "\",\"homeRegion\":\"" + home + "\"}");
    assertEquals(201, created.statusCode(), created.body());
  }

  @Test
  void userCreatedThroughEuWithHomeUsIsOwnedByUs() {
    var created =
        regions.send("eu", "POST", "/v1/users", "{\"userId\":\"own-1\",\"homeRegion\":\"us\"}");
    assertEquals(201, created.statusCode(), created.body());
    assertEquals("eu", header(created, "X-Meridian-Served-By"));
    assertEquals("us", header(created, "X-Meridian-Owner"));
    assertEquals("us", json(created).get("owner").asText());
    assertEquals("us", json(created).get("homeRegion").asText());
    assertEquals(1, json(created).get("epoch").asLong());
  }

  @Test
  void homeRegionDefaultsToTheClientRegionHeaderThenToTheServingRegion() {
    var fromHeader =
        regions.send("us", "POST", "/v1/users", "{\"userId\":\"hdr-1\"}", "X-Client-Region", "ap");
    assertEquals(201, fromHeader.statusCode(), fromHeader.body());
    assertEquals("ap", json(fromHeader).get("owner").asText());
    var fromServer = regions.send("eu", "POST", "/v1/users", "{\"userId\":\"hdr-2\"}");
    assertEquals("eu", json(fromServer).get("owner").asText());
  }

  @Test
  void profileWriteSentToApIsForwardedToTheOwnerAndAReadInEuConverges() {
    create("fwd-1", "eu", "us");
    var patched =
        regions.send(
            "ap",
            "PATCH",
            "/v1/users/fwd-1/profile",
            "{\"displayName\":\"Ada\",\"email\":\"ada@example.org\"}");
    assertEquals(200, patched.statusCode(), patched.body());
    assertEquals("ap", header(patched, "X-Meridian-Served-By"));
    assertEquals("us", header(patched, "X-Meridian-Owner"));
    JsonNode user = json(patched);
    assertEquals("Ada", user.at("/profile/displayName").asText());
    // applied by us: us's replica persisted the create and the profile event; ap persisted nothing
    assertEquals(2, user.at("/version/us").asLong());
    assertTrue(user.at("/version/ap").isMissingNode());
    eventually(
        CONVERGE,
        () -> {
          var read = regions.send("eu", "GET", "/v1/users/fwd-1", null);
          assertEquals(200, read.statusCode(), read.body());
          assertEquals("eu", header(read, "X-Meridian-Served-By"));
          assertEquals("us", header(read, "X-Meridian-Owner"));
          assertEquals("ada@example.org", json(read).at("/profile/email").asText());
        });
  }

  @Test
  void ownerConsistencyReadsFromTheOwnerReplica() {
    create("own-read-1", "us", "ap");
    var read = regions.send("us", "GET", "/v1/users/own-read-1?consistency=owner", null);
    assertEquals(200, read.statusCode(), read.body());
    assertEquals("ap", header(read, "X-Meridian-Owner"));
    assertEquals(1, json(read).at("/version/ap").asLong());
  }

  @Test
  void crdtWritesInTwoRegionsConvergeInAllThree() {
    create("crdt-1", "us", "us");
    eventually(
        CONVERGE,
        () -> assertEquals(200, regions.send("eu", "GET", "/v1/users/crdt-1", null).statusCode()));
    var inUs =
        CompletableFuture.supplyAsync(
            () -> regions.send("us", "POST", "/v1/users/crdt-1/points", "{\"delta\":5}"));
    var inEu =
        CompletableFuture.supplyAsync(
            () -> regions.send("eu", "POST", "/v1/users/crdt-1/points", "{\"delta\":-2}"));
    var deviceInEu =
        CompletableFuture.supplyAsync(
            () -> regions.send("eu", "PUT", "/v1/users/crdt-1/devices/phone-1", null));
    var deviceInUs =
        CompletableFuture.supplyAsync(
            () -> regions.send("us", "PUT", "/v1/users/crdt-1/devices/laptop-1", null));
    for (var write : List.of(inUs, inEu, deviceInEu, deviceInUs))
      assertEquals(200, write.join().statusCode(), write.join().body());
    for (String region : ThreeRegions.REGIONS) {
      eventually(
          CONVERGE,
          () -> {
            JsonNode user = json(regions.send(region, "GET", "/v1/users/crdt-1", null));
            assertEquals(3, user.get("points").asLong(), region + ": " + user);
            assertEquals(
                "[\"laptop-1\",\"phone-1\"]", user.get("devices").toString(), region + ": " + user);
          });
    }
  }

  @Test
  void deviceRemovalReplicatesToo() {
    create("dev-1", "eu", "eu");
    assertEquals(200, regions.send("eu", "PUT", "/v1/users/dev-1/devices/d-1", null).statusCode());
    eventually(
        CONVERGE,
        () ->
            assertEquals(
                "[\"d-1\"]",
                json(regions.send("ap", "GET", "/v1/users/dev-1", null))
                    .get("devices")
                    .toString()));
    assertEquals(
        200, regions.send("ap", "DELETE", "/v1/users/dev-1/devices/d-1", null).statusCode());
    eventually(
        CONVERGE,
        () ->
            assertEquals(
                "[]",
                json(regions.send("eu", "GET", "/v1/users/dev-1", null))
                    .get("devices")
                    .toString()));
  }

  @Test
  void creatingAnExistingUserIs409AndUnknownUserIs404() {
    create("dup-1", "us", "us");
    var again =
        regions.send("us", "POST", "/v1/users", "{\"userId\":\"dup-1\",\"homeRegion\":\"us\"}");
    assertEquals(409, again.statusCode());
    assertEquals("user_exists", json(again).get("error").asText());
    var unknown = regions.send("ap", "GET", "/v1/users/nobody-here", null);
    assertEquals(404, unknown.statusCode());
    assertEquals("unknown_user", json(unknown).get("error").asText());
    assertEquals("ap", header(unknown, "X-Meridian-Served-By"));
  }

  /**
   * The rate limit stands in front of every /v1 route, before authentication: a caller (here a
   * token no caller has, so every request it is allowed is a cheap 401) that sends more than its
   * burst at once gets 429 with Retry-After and the JSON error, while other callers go on. Sent
   * with the plain client: these exchanges are not part of the API contract's recordings.
   */
  @Test
  void aCallerOverItsRateLimitGets429WithRetryAfterWhileOtherCallersGoOn() throws Exception {
    var request =
        java.net.http.HttpRequest.newBuilder(regions.uri("eu", "/v1/regions"))
            .header("Authorization", "Bearer flooding-" + System.nanoTime())
            .timeout(Duration.ofSeconds(20))
            .build();
    Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    HttpResponse<String> refused = null;
    for (int batch = 0; batch < 3 * RATE_BURST / 100; batch++) {
      List<CompletableFuture<HttpResponse<String>>> sent = new java.util.ArrayList<>();
      for (int i = 0; i < 100; i++)
        sent.add(regions.client().sendAsync(request, HttpResponse.BodyHandlers.ofString()));
      for (var response : sent) {
        var answer = response.join();
        statuses.merge(answer.statusCode(), 1, Integer::sum);
        if (answer.statusCode() == 429) refused = answer;
      }
    }

    assertTrue(refused != null, () -> "no 429 among " + statuses);
    assertEquals(Set.of(401, 429), statuses.keySet(), statuses::toString);
    assertTrue(
        statuses.get(401) >= RATE_BURST, () -> "the burst is let through first: " + statuses);
    assertEquals("1", header(refused, "Retry-After"), "a token every 20 ms: retry after 1 s");
    assertEquals("rate_limited", json(refused).get("error").asText());
    assertEquals("eu", header(refused, "X-Meridian-Served-By"));
    assertEquals(
        200, regions.send("eu", "GET", "/v1/regions", null).statusCode(), "another caller");
  }

  @Test
  void regionsListsEveryRegionUpWithItsSuccessor() {
    JsonNode body = json(regions.send("eu", "GET", "/v1/regions", null));
    assertEquals(3, body.get("regions").size());
    for (JsonNode region : body.get("regions")) {
      assertEquals("up", region.get("status").asText(), body.toString());
      assertTrue(region.hasNonNull("successor"), body.toString());
    }
  }

  @Test
  void metricsArePrometheusText() {
    regions.send("us", "GET", "/v1/users/metrics-probe", null);
    var metrics = regions.send("us", "GET", "/metrics", null);
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("meridian_http_responses_total"), metrics.body());
  }

  /**
   * Every endpoint of the scope table, called by each caller: without a credential or with an
   * unknown one 401 and a Bearer challenge; by a caller without the endpoint's scope 403; by one
   * with it, the route's own answer. The requests change nothing whoever sends them: a user that
   * does not exist, an invalid body or region.
   */
  @Test
  void everyEndpointAnswersOnlyCallersWithItsScope() {
    Map<String, Set<Scope>> callers = new LinkedHashMap<>();
    callers.put(READER, EnumSet.of(Scope.READ));
    callers.put(WRITER_OLD, EnumSet.of(Scope.WRITE));
    callers.put(WRITER_NEW, EnumSet.of(Scope.WRITE));
    callers.put(PAYER, EnumSet.of(Scope.PAYMENTS));
    callers.put(ADMIN, EnumSet.of(Scope.ADMIN, Scope.READ));
    callers.put(ThreeRegions.API_TOKEN, EnumSet.of(Scope.READ, Scope.WRITE, Scope.PAYMENTS));
    for (EndpointScopes.Endpoint endpoint : EndpointScopes.ALL) {
      String path =
          endpoint
              .path()
              .replace("{userId}", "scope-ghost")
              .replace("{deviceId}", "scope-device")
              .replace("{paymentId}", "p-none")
              .replace("{region}", "nowhere")
              .replace("{drillId}", "d-none")
              .replace("{cohort}", "no-cohort");
      String body =
          endpoint.method().equals("POST") || endpoint.method().equals("PATCH") ? "{}" : null;
      String what = endpoint.method() + " " + path;

      var anonymous = regions.sendWithoutCredential("eu", endpoint.method(), path, body);
      assertEquals(401, anonymous.statusCode(), what + ": " + anonymous.body());
      assertEquals("unauthorized", json(anonymous).get("error").asText());
      assertTrue(
          header(anonymous, "WWW-Authenticate").startsWith("Bearer"),
          what + ": " + anonymous.headers());
      var unknown =
          regions.send("eu", endpoint.method(), path, body, "Authorization", "Bearer nope");
      assertEquals(401, unknown.statusCode(), what + ": " + unknown.body());

      for (var caller : callers.entrySet()) {
        var answer =
            regions.send(
                "eu", endpoint.method(), path, body, "Authorization", "Bearer " + caller.getKey());
        String as = what + " as " + caller.getKey() + ": " + answer.body();
        if (caller.getValue().contains(endpoint.scope())) {
          assertTrue(
              answer.statusCode() != 401
                  && answer.statusCode() != 403
                  && answer.statusCode() != 405
                  && !"not_found".equals(json(answer).path("error").asText()),
              "the route answers, " + as);
        } else {
          assertEquals(403, answer.statusCode(), as);
          assertEquals("forbidden", json(answer).get("error").asText(), as);
          assertTrue(answer.body().contains(endpoint.scope().configName()), as);
        }
      }
    }
    var ghost = regions.send("us", "GET", "/v1/users/scope-ghost?consistency=owner", null);
    assertEquals(404, ghost.statusCode(), ghost.body());
  }

  /** One bad request: where it goes, what it sends, and the status and error code it must get. */
  record BadInput(
      String name,
      String method,
      String path,
      String body,
      String contentType,
      int status,
      String error) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadInput> badInputs() {
    String big = "{\"displayName\":\"" + "x".repeat(70_000) + "\"}";
    return Stream.of(
        new BadInput(
            "create: malformed JSON",
            "POST",
            "/v1/users",
            "{\"userId\":",
            "application/json",
            400,
            "malformed_json"),
        new BadInput(
            "create: JSON array",
            "POST",
            "/v1/users",
            "[1,2]",
            "application/json",
            400,
            "malformed_json"),
        new BadInput(
            "create: unknown field",
            "POST",
            "/v1/users",
            "{\"userId\":\"bad-new\",\"admin\":true}",
            "application/json",
            400,
            "unknown_field"),
        new BadInput(
            "create: missing userId",
            "POST",
            "/v1/users",
            "{\"homeRegion\":\"us\"}",
            "application/json",
            400,
            "missing_field"),
        new BadInput(
            "create: bad id charset",
            "POST",
            "/v1/users",
            "{\"userId\":\"a b\"}",
            "application/json",
            400,
            "invalid_id"),
        new BadInput(
            "create: id too long",
            "POST",
            "/v1/users",
            "{\"userId\":\"" + "a".repeat(65) + "\"}",
            "application/json",
            400,
            "invalid_id"),
        new BadInput(
            "create: numeric userId",
            "POST",
            "/v1/users",
            "{\"userId\":42}",
            "application/json",
            400,
            "invalid_field"),
        new BadInput(
            "create: bad region",
            "POST",
            "/v1/users",
            "{\"userId\":\"bad-new\",\"homeRegion\":\"mars\"}",
            "application/json",
            400,
            "invalid_region"),
        new BadInput(
            "create: wrong content type",
            "POST",
            "/v1/users",
            "userId=x",
            "text/plain",
            415,
            "unsupported_media_type"),
        new BadInput(
            "create: existing user",
            "POST",
            "/v1/users",
            "{\"userId\":\"victim-1\",\"homeRegion\":\"us\"}",
            "application/json",
            409,
            "user_exists"),
        new BadInput(
            "read: bad consistency",
            "GET",
            "/v1/users/victim-1?consistency=strong",
            null,
            null,
            400,
            "invalid_parameter"),
        new BadInput("read: bad id", "GET", "/v1/users/%2Fetc", null, null, 400, "invalid_id"),
        new BadInput(
            "read: unknown user", "GET", "/v1/users/ghost-1", null, null, 404, "unknown_user"),
        new BadInput(
            "profile: unknown field",
            "PATCH",
            "/v1/users/victim-1/profile",
            "{\"nickname\":\"x\"}",
            "application/json",
            400,
            "unknown_field"),
        new BadInput(
            "profile: empty",
            "PATCH",
            "/v1/users/victim-1/profile",
            "{}",
            "application/json",
            400,
            "missing_field"),
        new BadInput(
            "profile: bad email",
            "PATCH",
            "/v1/users/victim-1/profile",
            "{\"email\":\"not-an-email\"}",
            "application/json",
            400,
            "invalid_field"),
        new BadInput(
            "profile: non-string name",
            "PATCH",
            "/v1/users/victim-1/profile",
            "{\"displayName\":7}",
            "application/json",
            400,
            "invalid_field"),
        new BadInput(
            "profile: too large",
            "PATCH",
            "/v1/users/victim-1/profile",
            big,
            "application/json",
            413,
            "payload_too_large"),
        new BadInput(
            "profile: unknown user",
            "PATCH",
            "/v1/users/ghost-1/profile",
            "{\"displayName\":\"x\"}",
            "application/json",
            404,
            "unknown_user"),
        new BadInput(
            "points: not a number",
            "POST",
            "/v1/users/victim-1/points",
            "{\"delta\":\"five\"}",
            "application/json",
            400,
            "invalid_field"),
        new BadInput(
            "points: fraction",
            "POST",
            "/v1/users/victim-1/points",
            "{\"delta\":1.5}",
            "application/json",
            400,
            "invalid_field"),
        new BadInput(
            "points: zero",
            "POST",
            "/v1/users/victim-1/points",
            "{\"delta\":0}",
            "application/json",
            400,
            "out_of_range"),
        new BadInput(
            "points: out of range",
            "POST",
            "/v1/users/victim-1/points",
            "{\"delta\":99999999999}",
            "application/json",
            400,
            "out_of_range"),
        new BadInput(
            "points: wrong content type",
            "POST",
            "/v1/users/victim-1/points",
            "delta=5",
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type"),
        new BadInput(
            "device: bad id",
            "PUT",
            "/v1/users/victim-1/devices/bad%20id",
            null,
            null,
            400,
            "invalid_id"),
        new BadInput(
            "device: unknown user",
            "PUT",
            "/v1/users/ghost-1/devices/d-1",
            null,
            null,
            404,
            "unknown_user"),
        new BadInput(
            "payment: bad kind",
            "POST",
            "/v1/users/victim-1/payments",
            "{\"paymentId\":\"p-1\",\"kind\":\"gift\",\"amount\":\"1.00\"}",
            "application/json",
            400,
            "invalid_field"),
        new BadInput(
            "payment: negative amount",
            "POST",
            "/v1/users/victim-1/payments",
            "{\"paymentId\":\"p-1\",\"kind\":\"credit\",\"amount\":\"-1\"}",
            "application/json",
            400,
            "out_of_range"),
        new BadInput(
            "payment: three decimals",
            "POST",
            "/v1/users/victim-1/payments",
            "{\"paymentId\":\"p-1\",\"kind\":\"credit\",\"amount\":\"1.005\"}",
            "application/json",
            400,
            "out_of_range"),
        new BadInput(
            "payment: amount not a string",
            "POST",
            "/v1/users/victim-1/payments",
            "{\"paymentId\":\"p-1\",\"kind\":\"credit\",\"amount\":1}",
            "application/json",
            400,
            "invalid_field"),
        new BadInput(
            "payment: insufficient funds",
            "POST",
            "/v1/users/victim-1/payments",
            "{\"paymentId\":\"p-2\",\"kind\":\"debit\",\"amount\":\"1.00\"}",
            "application/json",
            409,
            "insufficient_funds"),
        new BadInput(
            "payment status: unknown",
            "GET",
            "/v1/users/victim-1/payments/p-none",
            null,
            null,
            404,
            "unknown_payment"),
        new BadInput(
            "move: bad region",
            "POST",
            "/v1/users/victim-1/move",
            "{\"toRegion\":\"moon\"}",
            "application/json",
            400,
            "invalid_region"),
        new BadInput(
            "move: missing region",
            "POST",
            "/v1/users/victim-1/move",
            "{}",
            "application/json",
            400,
            "missing_field"),
        new BadInput(
            "admin: no token",
            "POST",
            "/v1/admin/regions/us/down",
            null,
            "bearer:",
            401,
            "unauthorized"),
        new BadInput(
            "admin: unknown token",
            "POST",
            "/v1/admin/regions/us/down",
            null,
            "bearer:wrong",
            401,
            "unauthorized"),
        new BadInput(
            "admin: a caller without the admin scope",
            "POST",
            "/v1/admin/regions/us/down",
            null,
            "bearer:" + ThreeRegions.API_TOKEN,
            403,
            "forbidden"),
        new BadInput(
            "payment: no token",
            "POST",
            "/v1/users/victim-1/payments",
            PAY,
            "bearer:",
            401,
            "unauthorized"),
        new BadInput("unknown path", "GET", "/v1/nothing", null, null, 404, "not_found"),
        new BadInput(
            "wrong method", "DELETE", "/v1/regions", null, null, 405, "method_not_allowed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputGetsA4xxWithAClearErrorAndChangesNothing(BadInput input) {
    ensureVictim();
    String before = ownerView("victim-1");
    // "bearer:<token>" in place of a content type: that credential instead of the test caller's
    // ("bearer:" alone: none).
    String bearer =
        input.contentType() != null && input.contentType().startsWith("bearer:")
            ? input.contentType().substring(7)
            : ThreeRegions.API_TOKEN;
    List<String> headerList = new java.util.ArrayList<>();
    if (!bearer.isEmpty()) headerList.addAll(List.of("Authorization", "Bearer " + bearer));
    if (input.contentType() != null && !input.contentType().startsWith("bearer:"))
      headerList.addAll(List.of("Content-Type", input.contentType()));
    if (input.contentType() != null
        && input.contentType().startsWith("bearer:")
        && input.body() != null) headerList.addAll(List.of("Content-Type", "application/json"));
    String[] headers = headerList.toArray(String[]::new);
    var response = send(input, headers);
    assertEquals(input.status(), response.statusCode(), response.body());
    JsonNode error = json(response);
    assertEquals(input.error(), error.get("error").asText(), response.body());
    assertTrue(error.get("message").asText().length() > 5, response.body());
    assertTrue(header(response, "X-Meridian-Served-By") != null);
    assertEquals(before, ownerView("victim-1"), "state changed by " + input);
    assertEquals(
        404, regions.send("us", "GET", "/v1/users/bad-new?consistency=owner", null).statusCode());
  }

  private HttpResponse<String> send(BadInput input, String[] headers) {
    var builder =
        java.net.http.HttpRequest.newBuilder(regions.uri("eu", input.path()))
            .timeout(Duration.ofSeconds(30));
    builder.method(
        input.method(),
        input.body() == null
            ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofString(input.body()));
    for (int i = 0; i + 1 < headers.length; i += 2) builder.header(headers[i], headers[i + 1]);
    try {
      return regions.client().send(builder.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static synchronized void ensureVictim() {
    if (regions.send("us", "GET", "/v1/users/victim-1?consistency=owner", null).statusCode() == 200)
      return;
    create("victim-1", "us", "us");
  }

  private static String ownerView(String userId) {
    var read = regions.send("us", "GET", "/v1/users/" + userId + "?consistency=owner", null);
    assertEquals(200, read.statusCode(), read.body());
    return read.body();
  }
}
