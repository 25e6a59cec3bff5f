package io.meridian.payments;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cluster.ThreeRegions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The HTTP calls the payment ITs make, black-box, against one {@link ThreeRegions}. */
final class PaymentClient {
  static final String ADMIN_TOKEN = "t";

  private final ThreeRegions regions;

  PaymentClient(ThreeRegions regions) {
    this.regions = regions;
  }

  static JsonNode json(HttpResponse<String> response) {
    return ThreeRegions.json(response);
  }

  static String owner(HttpResponse<String> response) {
    return response.headers().firstValue("X-Meridian-Owner").orElse(null);
  }

  /** Asserts the status and, for an error, its code; returns the body. */
  static JsonNode expect(int status, String error, HttpResponse<String> response) {
    assertEquals(status, response.statusCode(), response.body());
    JsonNode body = json(response);
    if (error != null) assertEquals(error, body.path("error").asText(), response.body());
    return body;
  }

  void create(String servedBy, String userId, String home) {
    expect(
        201,
        null,
        regions.send(
            servedBy,
            "POST",
            "/v1/users",
            "{\"userId\":\"" + userId + "\",\"homeRegion\":\"" + home + "\"}"));
  }

  HttpResponse<String> pay(
      String servedBy, String userId, String paymentId, String kind, String amount) {
    return regions.send(
        servedBy,
        "POST",
        "/v1/users/" + userId + "/payments",
        paymentBody(paymentId, kind, amount));
  }

  /**
   * Sent at once, without a thread per request (the common pool has one thread on a 2-core box).
   */
  CompletableFuture<HttpResponse<String>> payAsync(
      String servedBy, String userId, String paymentId, String kind, String amount) {
    var request =
        regions.request(
            servedBy,
            "POST",
            "/v1/users/" + userId + "/payments",
            paymentBody(paymentId, kind, amount));
    return regions.client().sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The same request against another HTTP API (e.g. a node's second API with another policy). */
  HttpResponse<String> payAt(
      int port, String userId, String paymentId, String kind, String amount) {
    var request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/v1/users/" + userId + "/payments"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + ThreeRegions.API_TOKEN)
            .POST(HttpRequest.BodyPublishers.ofString(paymentBody(paymentId, kind, amount)))
            .build();
    try {
      return regions.client().send(request, HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String paymentBody(String paymentId, String kind, String amount) {
    return "{\"paymentId\":\""
        + paymentId
        + "\",\"kind\":\""
        + kind
        + "\",\"amount\":\""
        + amount
        + "\"}";
  }

  HttpResponse<String> status(String servedBy, String userId, String paymentId) {
    return regions.send(servedBy, "GET", "/v1/users/" + userId + "/payments/" + paymentId, null);
  }

  /** The user as {@code region}'s own replica sees it. */
  JsonNode local(String region, String userId) {
    return expect(200, null, regions.send(region, "GET", "/v1/users/" + userId, null));
  }

  JsonNode ownerView(String servedBy, String userId) {
    return expect(
        200,
        null,
        regions.send(servedBy, "GET", "/v1/users/" + userId + "?consistency=owner", null));
  }

  HttpResponse<String> profile(String servedBy, String userId, String displayName) {
    return regions.send(
        servedBy,
        "PATCH",
        "/v1/users/" + userId + "/profile",
        "{\"displayName\":\"" + displayName + "\"}");
  }

  HttpResponse<String> points(String servedBy, String userId, long delta) {
    return regions.send(
        servedBy, "POST", "/v1/users/" + userId + "/points", "{\"delta\":" + delta + "}");
  }

  HttpResponse<String> declareDown(String servedBy, String region) {
    return regions.send(
        servedBy,
        "POST",
        "/v1/admin/regions/" + region + "/down",
        null,
        "Authorization",
        "Bearer " + ADMIN_TOKEN);
  }

  /** {@code region}'s status ("up", "suspect", "down") as {@code observer} sees it. */
  String statusSeenFrom(String observer, String region) {
    JsonNode body = expect(200, null, regions.send(observer, "GET", "/v1/regions", null));
    for (JsonNode info : body.get("regions"))
      if (info.get("region").asText().equals(region)) return info.get("status").asText();
    throw new AssertionError("no region " + region + " in " + body);
  }

  void awaitStatus(String observer, String region, String status, Duration timeout) {
    eventually(
        timeout,
        () ->
            assertEquals(
                status, statusSeenFrom(observer, region), observer + "'s view of " + region));
  }

  static String balance(JsonNode user) {
    return user.at("/wallet/balance").asText();
  }
}
