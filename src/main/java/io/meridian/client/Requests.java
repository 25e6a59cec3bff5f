package io.meridian.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link ApiRequest} of every operation of docs/openapi.yaml, with its routing and whether it
 * may be retried. Keyed writes take the Idempotency-Key to send (null: none, and the write is sent
 * once); {@link MeridianClient}'s typed methods pass a new one per call.
 */
public final class Requests {
  private Requests() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  public static ApiRequest createUser(String userId, String homeRegion, String key) {
    return createUser(userId, homeRegion, null, key);
  }

  /** {@code cohort}: the follow-the-sun cohort the user joins (null: none). */
  public static ApiRequest createUser(String userId, String homeRegion, String cohort, String key) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("userId", userId);
    if (homeRegion != null) body.put("homeRegion", homeRegion);
    if (cohort != null) body.put("cohort", cohort);
    return write("create-user", "POST", "/v1/users", json(body), Routing.OWNER, userId, key)
        .withHome(homeRegion);
  }

  public static ApiRequest user(String userId) {
    return ApiRequest.read("get-user", users(userId), userId);
  }

  public static ApiRequest userFromOwner(String userId) {
    return ApiRequest.read("get-user-owner", users(userId) + "?consistency=owner", userId);
  }

  public static ApiRequest userOnceApplied(String userId, String region, long events) {
    return ApiRequest.read(
        "get-user-wait",
        users(userId) + "?waitForVersion=" + segment(region + ":" + events),
        userId);
  }

  public static ApiRequest updateProfile(String userId, Map<String, String> fields, String key) {
    return write(
        "update-profile",
        "PATCH",
        users(userId) + "/profile",
        json(fields),
        Routing.OWNER,
        userId,
        key);
  }

  public static ApiRequest adjustPoints(String userId, long delta, String key) {
    return write(
        "adjust-points",
        "POST",
        users(userId) + "/points",
        json(Map.of("delta", delta)),
        Routing.HOME,
        userId,
        key);
  }

  public static ApiRequest addDevice(String userId, String deviceId, String key) {
    return write(
        "add-device",
        "PUT",
        users(userId) + "/devices/" + segment(deviceId),
        null,
        Routing.HOME,
        userId,
        key);
  }

  public static ApiRequest removeDevice(String userId, String deviceId, String key) {
    return write(
        "remove-device",
        "DELETE",
        users(userId) + "/devices/" + segment(deviceId),
        null,
        Routing.HOME,
        userId,
        key);
  }

  public static ApiRequest move(String userId, String toRegion, String key) {
    return write(
        "move",
        "POST",
        users(userId) + "/move",
        json(Map.of("toRegion", toRegion)),
        Routing.OWNER,
        userId,
        key);
  }

  /** Join {@code cohort}, or leave the user's cohort ({@code null}). */
  public static ApiRequest setCohort(String userId, String cohort, String key) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("cohort", cohort);
    return write(
        "set-cohort", "PUT", users(userId) + "/cohort", json(body), Routing.OWNER, userId, key);
  }

  /** Every cohort's schedule and hand-off (scope admin); a read, so retryable. */
  public static ApiRequest cohorts() {
    return admin("cohorts", "GET", "/v1/admin/cohorts", null, true);
  }

  /** One cohort (scope admin). */
  public static ApiRequest cohort(String name) {
    return admin("cohort", "GET", "/v1/admin/cohorts/" + segment(name), null, true);
  }

  /**
   * Sets a cohort's schedule (scope admin): {@code spec} as docs/openapi.yaml's CohortScheduleSpec.
   * Retryable: the same schedule twice is the same schedule (a new epoch).
   */
  public static ApiRequest putCohort(String name, Object spec) {
    return admin("put-cohort", "PUT", "/v1/admin/cohorts/" + segment(name), json(spec), true);
  }

  private static ApiRequest admin(
      String operation, String method, String path, String body, boolean retryable) {
    return new ApiRequest(
        operation, method, path, body, Routing.HOME, null, null, null, null, null, retryable);
  }

  /** Idempotent by {@code paymentId}: always retryable, never an Idempotency-Key. */
  public static ApiRequest pay(String userId, String paymentId, String kind, BigDecimal amount) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("paymentId", paymentId);
    body.put("kind", kind);
    body.put("amount", amount.toPlainString());
    return new ApiRequest(
        "pay",
        "POST",
        users(userId) + "/payments",
        json(body),
        Routing.OWNER,
        userId,
        null,
        null,
        null,
        null,
        true);
  }

  public static ApiRequest payment(String userId, String paymentId) {
    return ApiRequest.read(
        "get-payment", users(userId) + "/payments/" + segment(paymentId), userId);
  }

  public static ApiRequest regions() {
    return ApiRequest.read("regions", "/v1/regions", null);
  }

  public static ApiRequest contract() {
    return ApiRequest.read("contract", "/v1/openapi.json", null);
  }

  public static ApiRequest ownershipHistory(String userId) {
    return ApiRequest.read("ownership-history", users(userId) + "/ownership", userId);
  }

  public static ApiRequest replicas(String userId) {
    return ApiRequest.read("replicas", users(userId) + "/replicas", userId);
  }

  public static ApiRequest replicationLag() {
    return ApiRequest.read("replication-lag", "/v1/regions/lag", null);
  }

  public static ApiRequest events() {
    return ApiRequest.read("events", "/v1/events", null);
  }

  /**
   * A region declaration (scope admin). Repeating it is harmless (declaring down a region that is
   * down changes nothing), so it is retryable.
   */
  public static ApiRequest declareRegion(String region, boolean down) {
    return admin(
        down ? "declare-down" : "declare-up",
        "POST",
        "/v1/admin/regions/" + segment(region) + (down ? "/down" : "/up"),
        null,
        true);
  }

  /** The operator's planned move (scope admin); sent once (it takes no key). */
  public static ApiRequest adminMove(String userId, String toRegion) {
    return new ApiRequest(
        "admin-move",
        "POST",
        "/v1/admin/users/" + segment(userId) + "/move",
        json(Map.of("toRegion", toRegion)),
        Routing.OWNER,
        userId,
        null,
        null,
        null,
        null,
        false);
  }

  /** Starts a drill on the node it reaches (scope admin); sent once. */
  public static ApiRequest startDrill(String region, Integer users) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("region", region);
    if (users != null) body.put("users", users);
    return admin("start-drill", "POST", "/v1/admin/drills", json(body), false);
  }

  /** A drill's progress; ask the region whose node runs it ({@link ApiRequest#at}). */
  public static ApiRequest drill(String drillId) {
    return admin("drill", "GET", "/v1/admin/drills/" + segment(drillId), null, false);
  }

  /** Chaos only: a node of {@code from} drops its cluster traffic with {@code to}. */
  public static ApiRequest chaos(String action, String from, String to, String direction) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("from", from);
    body.put("to", to);
    if (direction != null) body.put("direction", direction);
    return admin("chaos-" + action, "POST", "/v1/admin/chaos/" + segment(action), json(body), false)
        .at(from);
  }

  private static ApiRequest write(
      String operation,
      String method,
      String path,
      String body,
      Routing routing,
      String userId,
      String key) {
    return new ApiRequest(
        operation, method, path, body, routing, userId, null, key, null, null, key != null);
  }

  private static String users(String userId) {
    return "/v1/users/" + segment(userId);
  }

  /** One path segment, percent-encoded (ids never need it; anything else stays one segment). */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String json(Object body) {
    try {
      return JSON.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + body, e);
    }
  }
}
