package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cluster.ThreeRegions;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the failover ITs do over HTTP against a {@link ThreeRegions}: create and read users, write
 * to them, compare replicas, and log measured times where they can be quoted (logger {@code
 * io.meridian.failover.timings}, always printed, see logback-test.xml).
 */
final class FailoverClient {
  static final Logger TIMINGS = LoggerFactory.getLogger("io.meridian.failover.timings");
  static final String ADMIN_TOKEN = "test-admin-token";
  static final Duration CONVERGE = Duration.ofSeconds(30);

  /**
   * The settings every failover IT runs with: failover in seconds, not the production 10 s / 5 s.
   */
  static final String FAST_FAILOVER =
      """
      meridian.failover.auto-down-after = 3s
      meridian.failover.return-grace = 2s
      meridian.admin-token = "%s"
      """
          .formatted(ADMIN_TOKEN);

  private final ThreeRegions regions;

  FailoverClient(ThreeRegions regions) {
    this.regions = regions;
  }

  static JsonNode json(HttpResponse<String> response) {
    return ThreeRegions.json(response);
  }

  static String header(HttpResponse<String> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  /** Creates the user through its home region and waits until every running region has it. */
  void createUser(String userId, String home) {
    var created =
        regions.send(
            home,
            "POST",
            "/v1/users",
            "{\"userId\":\"" + userId + "\",\"homeRegion\":\"" + home + "\"}");
    assertEquals(201, created.statusCode(), created.body());
    for (String region : regions.running())
      eventually(CONVERGE, () -> assertEquals(200, read(region, userId).statusCode()));
  }

  HttpResponse<String> read(String region, String userId) {
    return regions.send(region, "GET", "/v1/users/" + userId, null);
  }

  JsonNode user(String region, String userId) {
    var response = read(region, userId);
    assertEquals(200, response.statusCode(), region + ": " + response.body());
    return json(response);
  }

  /**
   * Sends again while the answer is a (retryable) 503, for at most {@code timeout}; returns the
   * last answer.
   */
  HttpResponse<String> untilNot503(
      java.util.function.Supplier<HttpResponse<String>> request, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<String> response = request.get();
    while (response.statusCode() == 503 && System.nanoTime() < deadline) {
      io.meridian.cluster.ThreeRegions.sleepMillis(100);
      response = request.get();
    }
    return response;
  }

  HttpResponse<String> patchProfile(String region, String userId, String profileJson) {
    return regions.send(region, "PATCH", "/v1/users/" + userId + "/profile", profileJson);
  }

  HttpResponse<String> addPoints(String region, String userId, long delta) {
    return regions.send(
        region, "POST", "/v1/users/" + userId + "/points", "{\"delta\":" + delta + "}");
  }

  HttpResponse<String> addDevice(String region, String userId, String deviceId) {
    return regions.send(region, "PUT", "/v1/users/" + userId + "/devices/" + deviceId, null);
  }

  HttpResponse<String> admin(String region, String target, String action) {
    return regions.send(
        region,
        "POST",
        "/v1/admin/regions/" + target + "/" + action,
        null,
        "Authorization",
        "Bearer " + ADMIN_TOKEN);
  }

  /** The same request, sent without waiting for the answer (for a stream of attempts). */
  CompletableFuture<HttpResponse<String>> sendAsync(
      String region, String method, String path, String body) {
    return regions
        .client()
        .sendAsync(
            regions.request(region, method, path, body), HttpResponse.BodyHandlers.ofString());
  }

  /** The status of {@code region} in a {@code GET /v1/regions} answer. */
  static String regionStatus(JsonNode regionsDocument, String region) {
    for (JsonNode info : regionsDocument.get("regions")) {
      if (info.get("region").asText().equals(region)) return info.get("status").asText();
    }
    throw new AssertionError("no region " + region + " in " + regionsDocument);
  }

  /** The declared status of {@code region} in {@code observer}'s copy of the region directory. */
  RegionDirectory.RegionRecord declared(String observer, String region) {
    return regions.node(observer).regionService().recordOf(region);
  }

  /**
   * Every running region has the same document for each user (owner, epoch, profile, points,
   * devices, wallet and per-origin event counts): the replicas have applied the same events.
   */
  void awaitConverged(List<String> userIds) {
    for (String userId : userIds) {
      eventually(
          CONVERGE,
          () -> {
            var documents = new java.util.LinkedHashMap<String, JsonNode>();
            for (String region : regions.running()) documents.put(region, user(region, userId));
            assertEquals(
                1,
                java.util.Set.copyOf(documents.values()).size(),
                userId + " differs between regions: " + documents);
          });
    }
  }

  /** True once {@code region}'s actor system has terminated by itself within {@code timeout}. */
  boolean terminatesWithin(String region, Duration timeout) {
    var terminated = Adapter.toClassic(regions.node(region).system()).whenTerminated();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!terminated.isCompleted() && System.nanoTime() < deadline) pause(100);
    return terminated.isCompleted();
  }

  /** Paces a stream of attempts or a poll; never used to wait for an outcome. */
  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
