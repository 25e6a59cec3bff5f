package io.meridian.http;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ContractRecorder;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The API as the contract describes it (docs/openapi.yaml), against three real regions: every
 * operation of the contract is called, with success and with its refusals, and every answer is
 * checked against the contract (the last step); on the way, the Idempotency-Key rules: a retry with
 * the same key returns the first outcome and changes nothing, also in another region, and the same
 * key with another body is refused with 422.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContractIT {
  private static final String ADMIN = "contract-admin-token";
  private static final Duration CONVERGE = Duration.ofSeconds(30);

  private static ThreeRegions regions;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions =
        ThreeRegions.start(
            cassandra,
            "it_contract_",
            """
            meridian.admin-token = "%s"
            meridian.cohorts.schedules.ct-desk = "us 00:00-12:00 UTC, eu 12:00-24:00"
            """
                .formatted(ADMIN));
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  private static HttpResponse<String> send(
      String region, String method, String path, String body, String... headers) {
    return regions.send(region, method, path, body, headers);
  }

  private static JsonNode expect(int status, HttpResponse<String> response) {
    assertEquals(status, response.statusCode(), response.body());
    return ThreeRegions.json(response);
  }

  private static void expectError(int status, String code, HttpResponse<String> response) {
    assertEquals(code, expect(status, response).path("error").asText(), response.body());
  }

  private static JsonNode localUser(String region, String userId) {
    return expect(200, send(region, "GET", "/v1/users/" + userId, null));
  }

  private static void awaitEverywhere(String userId, long points) {
    for (String region : ThreeRegions.REGIONS)
      eventually(
          CONVERGE, () -> assertEquals(points, localUser(region, userId).get("points").asLong()));
  }

  @Test
  @Order(1)
  void aRetryWithTheSameKeyReturnsTheFirstOutcomeAndChangesNothingInAnyRegion() {
    var created =
        send(
            "us",
            "POST",
            "/v1/users",
            "{\"userId\":\"ct-1\",\"homeRegion\":\"us\"}",
            "Idempotency-Key",
            "create-ct-1");
    expect(201, created);
    // The same create again, with its key: the first outcome (201), not 409 user_exists.
    expect(
        201,
        send(
            "eu",
            "POST",
            "/v1/users",
            "{\"userId\":\"ct-1\",\"homeRegion\":\"us\"}",
            "Idempotency-Key",
            "create-ct-1"));
    // Without a key, as before: 409.
    expectError(
        409,
        "user_exists",
        send("us", "POST", "/v1/users", "{\"userId\":\"ct-1\",\"homeRegion\":\"us\"}"));

    JsonNode first =
        expect(
            200,
            send(
                "us",
                "POST",
                "/v1/users/ct-1/points",
                "{\"delta\":5}",
                "Idempotency-Key",
                "points-1"));
    assertEquals(5, first.get("points").asLong());
    awaitEverywhere("ct-1", 5);
    for (String region : ThreeRegions.REGIONS) {
      JsonNode again =
          expect(
              200,
              send(
                  region,
                  "POST",
                  "/v1/users/ct-1/points",
                  "{\"delta\":5}",
                  "Idempotency-Key",
                  "points-1"));
      assertEquals(5, again.get("points").asLong(), region + ": applied once");
    }
    // Without a key a points write counts each time, as before.
    expect(200, send("eu", "POST", "/v1/users/ct-1/points", "{\"delta\":1}"));
    expect(200, send("eu", "POST", "/v1/users/ct-1/points", "{\"delta\":1}"));
    awaitEverywhere("ct-1", 7);

    JsonNode profile =
        expect(
            200,
            send(
                "ap",
                "PATCH",
                "/v1/users/ct-1/profile",
                "{\"displayName\":\"Ada\"}",
                "Idempotency-Key",
                "profile-1"));
    long epoch = profile.get("epoch").asLong();
    expect(
        200,
        send(
            "eu",
            "PATCH",
            "/v1/users/ct-1/profile",
            "{\"displayName\":\"Ada\"}",
            "Idempotency-Key",
            "profile-1"));
    JsonNode device =
        expect(
            200,
            send("eu", "PUT", "/v1/users/ct-1/devices/phone", null, "Idempotency-Key", "dev-1"));
    assertEquals(List.of("phone"), devices(device));
    // Removed where it was added: a removal in a region that has not seen the add yet leaves it
    // (a concurrent add wins).
    expect(
        200,
        send("eu", "DELETE", "/v1/users/ct-1/devices/phone", null, "Idempotency-Key", "dev-2"));
    eventually(CONVERGE, () -> assertEquals(List.of(), devices(localUser("eu", "ct-1"))));
    // A retry of the add after the removal: the first outcome, not a second add.
    JsonNode retriedAdd =
        expect(
            200,
            send("eu", "PUT", "/v1/users/ct-1/devices/phone", null, "Idempotency-Key", "dev-1"));
    assertEquals(List.of(), devices(retriedAdd), retriedAdd.toString());

    JsonNode moved =
        expect(
            200,
            send(
                "eu",
                "POST",
                "/v1/users/ct-1/move",
                "{\"toRegion\":\"eu\"}",
                "Idempotency-Key",
                "move-1"));
    assertEquals("eu", moved.get("owner").asText());
    JsonNode movedAgain =
        expect(
            200,
            send(
                "us",
                "POST",
                "/v1/users/ct-1/move",
                "{\"toRegion\":\"eu\"}",
                "Idempotency-Key",
                "move-1"));
    assertEquals(moved.get("epoch").asLong(), movedAgain.get("epoch").asLong(), "moved once");
    assertNotEquals(epoch, moved.get("epoch").asLong());
  }

  private static List<String> devices(JsonNode user) {
    List<String> ids = new ArrayList<>();
    user.get("devices").forEach(d -> ids.add(d.asText()));
    return ids;
  }

  @Test
  @Order(2)
  void theSameKeyWithAnotherRequestIs422AndChangesNothing() {
    expectError(
        422,
        "idempotency_key_reused",
        send(
            "us", "POST", "/v1/users/ct-1/points", "{\"delta\":6}", "Idempotency-Key", "points-1"));
    expectError(
        422,
        "idempotency_key_reused",
        send(
            "eu",
            "PATCH",
            "/v1/users/ct-1/profile",
            "{\"displayName\":\"Bob\"}",
            "Idempotency-Key",
            "points-1"));
    expectError(
        400,
        "invalid_header",
        send("us", "POST", "/v1/users/ct-1/points", "{\"delta\":6}", "Idempotency-Key", " "));
    awaitEverywhere("ct-1", 7);
    assertEquals("Ada", localUser("eu", "ct-1").at("/profile/displayName").asText());
  }

  @Test
  @Order(3)
  void everyOtherOperationAnswersAsTheContractSays() {
    String admin = "Bearer " + ADMIN;
    expect(200, send("us", "GET", "/v1/openapi.json", null));
    expectError(
        401, "unauthorized", regions.sendWithoutCredential("us", "GET", "/v1/regions", null));
    expectError(
        403,
        "forbidden",
        send("us", "POST", "/v1/admin/regions/ap/up", null)); // the API token has no admin scope
    expectError(404, "not_found", send("us", "GET", "/v1/nothing-here", null));
    expectError(405, "method_not_allowed", send("us", "DELETE", "/v1/regions", null));

    expect(200, send("eu", "GET", "/v1/users/ct-1?consistency=owner", null));
    var version = localUser("eu", "ct-1").get("version").fields().next(); // an origin with events
    expect(
        200,
        send(
            "us",
            "GET",
            "/v1/users/ct-1?waitForVersion=" + version.getKey() + ":" + version.getValue().asLong(),
            null));
    expectError(
        400, "invalid_parameter", send("us", "GET", "/v1/users/ct-1?waitForVersion=eu", null));
    expectError(404, "unknown_user", send("us", "GET", "/v1/users/nobody-1", null));
    expectError(400, "invalid_id", send("us", "GET", "/v1/users/-bad", null));
    expectError(
        400, "invalid_field", send("eu", "PATCH", "/v1/users/ct-1/profile", "{\"email\":\"x\"}"));
    expectError(400, "out_of_range", send("eu", "POST", "/v1/users/ct-1/points", "{\"delta\":0}"));

    String pay = "{\"paymentId\":\"pay-1\",\"kind\":\"credit\",\"amount\":\"12.50\"}";
    expect(201, send("us", "POST", "/v1/users/ct-1/payments", pay));
    expect(201, send("ap", "POST", "/v1/users/ct-1/payments", pay));
    expectError(
        409,
        "payment_conflict",
        send(
            "us",
            "POST",
            "/v1/users/ct-1/payments",
            "{\"paymentId\":\"pay-1\",\"kind\":\"debit\",\"amount\":\"1.00\"}"));
    expect(200, send("eu", "GET", "/v1/users/ct-1/payments/pay-1", null));
    expectError(404, "unknown_payment", send("eu", "GET", "/v1/users/ct-1/payments/pay-9", null));

    expect(200, send("ap", "GET", "/v1/regions", null));
    expect(200, send("ap", "GET", "/v1/regions/lag", null));
    expect(200, send("ap", "GET", "/v1/users/ct-1/ownership", null));
    expect(200, send("ap", "GET", "/v1/users/ct-1/replicas", null));
    expect(200, send("ap", "GET", "/v1/events", null));
    expect(200, send("us", "POST", "/v1/admin/regions/ap/up", null, "Authorization", admin));
    expectError(
        400,
        "invalid_region",
        send("us", "POST", "/v1/admin/regions/mars/down", null, "Authorization", admin));
    expect(
        200,
        send(
            "us",
            "POST",
            "/v1/admin/users/ct-1/move",
            "{\"toRegion\":\"us\"}",
            "Authorization",
            admin));
    expectError(
        400,
        "invalid_region",
        send("us", "POST", "/v1/admin/drills", "{\"region\":\"mars\"}", "Authorization", admin));
    expectError(
        404,
        "unknown_drill",
        send("us", "GET", "/v1/admin/drills/none", null, "Authorization", admin));
    // The chaos switches are absent unless meridian.chaos.enabled.
    expectError(
        404,
        "not_found",
        send(
            "us",
            "POST",
            "/v1/admin/chaos/blackhole",
            "{\"from\":\"us\",\"to\":\"eu\"}",
            "Authorization",
            admin));
    expectError(
        404,
        "not_found",
        send(
            "us",
            "POST",
            "/v1/admin/chaos/heal",
            "{\"from\":\"us\",\"to\":\"eu\"}",
            "Authorization",
            admin));
    assertEquals(200, send("us", "GET", "/metrics", null).statusCode());

    // Follow the sun (issue 17): members, and the operator's schedules.
    expect(
        201,
        send(
            "ap",
            "POST",
            "/v1/users",
            "{\"userId\":\"ct-sun\",\"homeRegion\":\"ap\",\"cohort\":\"ct-desk\"}",
            "Idempotency-Key",
            "ct-sun-create"));
    expect(200, send("eu", "PUT", "/v1/users/ct-1/cohort", "{\"cohort\":\"ct-desk\"}"));
    expect(200, send("eu", "PUT", "/v1/users/ct-1/cohort", "{\"cohort\":null}"));
    expectError(
        400, "unknown_cohort", send("eu", "PUT", "/v1/users/ct-1/cohort", "{\"cohort\":\"nope\"}"));
    expectError(400, "missing_field", send("eu", "PUT", "/v1/users/ct-1/cohort", "{}"));
    expect(200, send("us", "GET", "/v1/admin/cohorts", null, "Authorization", admin));
    expect(200, send("us", "GET", "/v1/admin/cohorts/ct-desk", null, "Authorization", admin));
    expectError(
        404,
        "unknown_cohort",
        send("us", "GET", "/v1/admin/cohorts/ct-none", null, "Authorization", admin));
    expect(
        200,
        send(
            "us",
            "PUT",
            "/v1/admin/cohorts/ct-night",
            "{\"zone\":\"UTC\",\"windows\":[{\"region\":\"ap\",\"from\":\"00:00\",\"to\":\"24:00\"}]}",
            "Authorization",
            admin));
    expectError(
        400,
        "invalid_schedule",
        send(
            "us",
            "PUT",
            "/v1/admin/cohorts/ct-night",
            "{\"windows\":[{\"region\":\"us\",\"from\":\"00:00\",\"to\":\"12:00\"}]}",
            "Authorization",
            admin));
  }

  /** The last step: every exchange of the steps before conforms, and each operation was called. */
  @Test
  @Order(4)
  void everyAnswerConformsToTheContractAndEveryOperationWasCalled() {
    ContractValidator contract = ContractValidator.ofProject();
    List<ContractRecorder.Exchange> exchanges = ContractRecorder.exchanges(regions.recordingName());
    List<String> violations = new ArrayList<>();
    Set<String> called = new TreeSet<>();
    for (ContractRecorder.Exchange exchange : exchanges) {
      violations.addAll(contract.violations(exchange));
      String path = exchange.path().split("\\?", 2)[0];
      if (EndpointScopes.match(exchange.method(), path) instanceof EndpointScopes.Found found)
        called.add(found.endpoint().method() + " " + found.endpoint().path());
    }
    assertEquals(List.of(), violations);
    Set<String> all = new TreeSet<>();
    for (EndpointScopes.Endpoint endpoint : EndpointScopes.ALL)
      all.add(endpoint.method() + " " + endpoint.path());
    assertEquals(all, called, "every operation of the contract is called here");
  }
}
