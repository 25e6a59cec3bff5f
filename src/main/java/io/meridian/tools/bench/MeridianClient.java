package io.meridian.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.client.Answer;
import io.meridian.client.ApiRequest;
import io.meridian.client.Requests;
import io.meridian.client.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bench's HTTP side: requests for each operation, how their answers count, and user set-up. The
 * measured operations go through the product's Java client ({@link
 * io.meridian.client.MeridianClient}) with {@link RetryPolicy#none()} and without Idempotency-Keys:
 * one attempt to the region the bench chose, timed as one request, as before the client existed
 * (docs/decisions.md, "The Java client in the bench and the chaos workload").
 */
final class MeridianClient {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");
  static final ObjectMapper JSON = new ObjectMapper();
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Pattern ERROR_CODE = Pattern.compile("\"error\"\\s*:\\s*\"([a-z_]+)\"");

  final HttpClient http;
  final Target target;
  final String runId;

  /** Sent as {@code Authorization: Bearer} with every request (docs/api.md, Authentication). */
  final String apiToken;

  /** The product's client, one attempt per call, sharing {@link #http}. */
  private final io.meridian.client.MeridianClient api;

  /** Each endpoint's region, for the client's {@link ApiRequest#at}. */
  private final Map<URI, String> regionAt = new HashMap<>();

  MeridianClient(HttpClient http, Target target, String runId, String apiToken) {
    this.http = http;
    this.target = target;
    this.runId = runId;
    this.apiToken = apiToken;
    var builder =
        io.meridian.client.MeridianClient.builder()
            .httpClient(http)
            .token(apiToken)
            .retryPolicy(RetryPolicy.none())
            .deadline(REQUEST_TIMEOUT)
            .attemptTimeout(REQUEST_TIMEOUT);
    for (Target.Region region : target.regions) {
      builder.region(region.name(), region.endpoint());
      regionAt.put(region.endpoint(), region.name());
    }
    this.api = builder.build();
  }

  static HttpClient newHttpClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .build();
  }

  String userId(int index) {
    return runId + "-u" + index;
  }

  /** Homes are spread over the regions in turn. */
  String homeOf(int index) {
    return target.names().get(index % target.names().size());
  }

  /** The body only when it explains a failure; successful answers are read for their headers. */
  private static final HttpResponse.BodyHandler<String> ERROR_BODY =
      info ->
          info.statusCode() >= 300
              ? HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8)
              : HttpResponse.BodySubscribers.replacing(null);

  HttpRequest request(Workload.Op op, URI endpoint) {
    String user = "/v1/users/" + userId(op.user());
    return switch (op.kind()) {
      case READ -> get(endpoint.resolve(user));
      case PROFILE ->
          json(
              endpoint.resolve(user + "/profile"),
              "PATCH",
              "{\"displayName\":\"" + op.displayName() + "\"}");
      case POINTS ->
          json(endpoint.resolve(user + "/points"), "POST", "{\"delta\":" + op.pointsDelta() + "}");
      case DEVICE -> {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(endpoint.resolve(user + "/devices/" + op.deviceId()))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + apiToken);
        yield (op.addDevice() ? b.PUT(HttpRequest.BodyPublishers.noBody()) : b.DELETE()).build();
      }
      case PAYMENT ->
          json(
              endpoint.resolve(user + "/payments"),
              "POST",
              "{\"paymentId\":\""
                  + runId
                  + "-p"
                  + op.seq()
                  + "\",\"kind\":\""
                  + (op.credit() ? "credit" : "debit")
                  + "\",\"amount\":\""
                  + op.amount().toPlainString()
                  + "\"}");
    };
  }

  HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri)
        .timeout(REQUEST_TIMEOUT)
        .header("Authorization", "Bearer " + apiToken)
        .GET()
        .build();
  }

  HttpRequest json(URI uri, String method, String body) {
    return HttpRequest.newBuilder(uri)
        .timeout(REQUEST_TIMEOUT)
        .header("Authorization", "Bearer " + apiToken)
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /** The client's request for {@code op}: no Idempotency-Key (one attempt, nothing to repeat). */
  ApiRequest apiRequest(Workload.Op op) {
    String user = userId(op.user());
    return switch (op.kind()) {
      case READ -> Requests.user(user);
      case PROFILE -> Requests.updateProfile(user, Map.of("displayName", op.displayName()), null);
      case POINTS -> Requests.adjustPoints(user, op.pointsDelta(), null);
      case DEVICE ->
          op.addDevice()
              ? Requests.addDevice(user, op.deviceId(), null)
              : Requests.removeDevice(user, op.deviceId(), null);
      case PAYMENT ->
          Requests.pay(
              user, runId + "-p" + op.seq(), op.credit() ? "credit" : "debit", op.amount());
    };
  }

  /**
   * Sends {@code op} to {@code endpoint}, once; the outcome's key tells single-writer commands
   * served locally from forwarded ones.
   */
  CompletionStage<LoadGenerator.Outcome> send(Workload.Op op, URI endpoint) {
    String region = regionAt.get(endpoint);
    if (region == null)
      return http.sendAsync(request(op, endpoint), ERROR_BODY)
          .thenApply(response -> outcome(op.kind(), response));
    return api.sendAsync(apiRequest(op).at(region))
        .thenApply(result -> outcome(op.kind(), result.last()));
  }

  static LoadGenerator.Outcome outcome(Workload.Kind kind, Answer answer) {
    if (answer.isTransportFailure())
      return LoadGenerator.Outcome.failed(kind.label(), answer.failure());
    return outcome(
        kind, answer.status(), answer.servedBy(), answer.owner(), answer.errorCode(), null);
  }

  static LoadGenerator.Outcome outcome(Workload.Kind kind, HttpResponse<String> response) {
    return outcome(
        kind,
        response.statusCode(),
        response.headers().firstValue("X-Meridian-Served-By").orElse(""),
        response.headers().firstValue("X-Meridian-Owner").orElse(""),
        null,
        response.body());
  }

  private static LoadGenerator.Outcome outcome(
      Workload.Kind kind, int status, String servedBy, String owner, String error, String body) {
    if (status / 100 == 2) {
      if (!kind.ownerOnly) return LoadGenerator.Outcome.ok(kind.label());
      return LoadGenerator.Outcome.ok(
          kind.label() + (java.util.Objects.equals(servedBy, owner) ? "/local" : "/forwarded"));
    }
    String code = error != null ? error : errorCode(body);
    // A refused debit is a completed payment request, not a failure of the system.
    if (kind == Workload.Kind.PAYMENT && status == 409 && "insufficient_funds".equals(code))
      return LoadGenerator.Outcome.ok("payment/refused");
    return LoadGenerator.Outcome.failed(
        kind.label(), "http " + status + (code == null ? "" : " " + code));
  }

  static String errorCode(String body) {
    if (body == null) return null;
    Matcher m = ERROR_CODE.matcher(body);
    return m.find() ? m.group(1) : null;
  }

  /**
   * Creates users 0..count-1, each with its home region, each request sent to a random region.
   * Retries refusals (503, timeouts) until {@code deadline}; a user that exists already counts as
   * created.
   */
  void createUsers(int count, int concurrency, Duration deadline, java.util.SplittableRandom random)
      throws InterruptedException {
    long start = System.nanoTime();
    long end = start + deadline.toNanos();
    Semaphore permits = new Semaphore(concurrency);
    AtomicInteger failed = new AtomicInteger();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      permits.acquire();
      URI endpoint = target.regions.get(random.nextInt(target.regions.size())).endpoint();
      CompletableFuture<Void> done =
          create(i, endpoint, end)
              .thenAccept(
                  ok -> {
                    if (!ok) failed.incrementAndGet();
                  })
              .whenComplete((v, f) -> permits.release());
      all.add(done);
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .orTimeout(deadline.toMillis() + 15_000, TimeUnit.MILLISECONDS)
        .exceptionally(f -> null)
        .join();
    long ms = (System.nanoTime() - start) / 1_000_000;
    if (failed.get() > 0)
      throw new IllegalStateException(
          failed.get() + " of " + count + " users could not be created in " + deadline);
    log.info("created {} users (homes {}) in {} ms", count, target.names(), ms);
  }

  private CompletableFuture<Boolean> create(int index, URI endpoint, long endNanos) {
    HttpRequest request =
        json(
            endpoint.resolve("/v1/users"),
            "POST",
            "{\"userId\":\"" + userId(index) + "\",\"homeRegion\":\"" + homeOf(index) + "\"}");
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) -> {
              if (failure == null && (response.statusCode() == 201 || response.statusCode() == 409))
                return CompletableFuture.completedFuture(true);
              if (System.nanoTime() > endNanos) {
                log.warn(
                    "user {} not created: {}",
                    userId(index),
                    failure != null
                        ? failure.toString()
                        : response.statusCode() + " " + response.body());
                return CompletableFuture.completedFuture(false);
              }
              return CompletableFuture.supplyAsync(
                      () -> null, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
                  .thenCompose(ignored -> create(index, endpoint, endNanos));
            })
        .thenCompose(f -> f);
  }

  /** GET, body as text; throws on transport failure. */
  HttpResponse<String> getText(URI uri) throws IOException, InterruptedException {
    return http.send(get(uri), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode user(URI endpoint, int index) throws IOException, InterruptedException {
    HttpResponse<String> response = getText(endpoint.resolve("/v1/users/" + userId(index)));
    return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
  }
}
