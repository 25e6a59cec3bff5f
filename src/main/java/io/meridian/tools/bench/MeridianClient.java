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
 * (docs/decisions.md, "The Java client in the bench and the chaos workload"). User creation, which
 * is set-up and not measured per request, retries refusals itself with the same Idempotency-Key.
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
   * What {@link #createUsers} did: users created (or found existing), wall time, requests sent, and
   * the answers that were retried, by cause ("503 owner_unavailable", "timeout", ...).
   */
  record Creation(
      int users, long millis, long attempts, Map<String, Long> retried, Duration deadline) {
    double perSecond() {
      return millis <= 0 ? 0 : users * 1000.0 / millis;
    }
  }

  /**
   * How long a creation of {@code users} may take: 120 s, plus 50 ms per user (so a big creation
   * fails only below 20 creates/s; about 40/s were measured on the 2-core machine).
   */
  static Duration creationDeadline(int users) {
    return Duration.ofSeconds(120).plusMillis(50L * Math.max(0, users));
  }

  /**
   * The wait before retry {@code attempt} (1 for the first retry): 200 ms doubling to 2 s, from
   * half to all of it ({@code jitter} in [0, 1)), never shorter than the answer's Retry-After.
   */
  static long retryDelayMillis(int attempt, Duration retryAfter, double jitter) {
    long ceiling = Math.min(2_000, 200L << Math.min(10, Math.max(0, attempt - 1)));
    long delay = ceiling / 2 + Math.round(ceiling / 2.0 * jitter);
    return retryAfter == null ? delay : Math.max(delay, retryAfter.toMillis());
  }

  /** A create that is done: created now (also a retry answered from the key), or existing. */
  static boolean createdOrExists(int status, String errorCode) {
    return status / 100 == 2 || (status == 409 && "user_exists".equals(errorCode));
  }

  /**
   * A create worth repeating with the same key: no answer, 503 (refused or not yet known), 429, or
   * 408. Any other answer would be the same again.
   */
  static boolean retryable(int status) {
    return status == 0 || status == 503 || status == 429 || status == 408;
  }

  /**
   * Where attempt {@code attempt} (0 first) of a create goes: the user's home region (the owner, no
   * forwarding hop), unless the last answer says the home region is out of reach from there (no
   * answer at all, or {@code ownership_unconfirmed}): then the next region in the list, in turn.
   */
  static String createRegion(
      List<String> regions, String home, int attempt, int status, String errorCode) {
    boolean elsewhere = attempt > 0 && (status == 0 || "ownership_unconfirmed".equals(errorCode));
    if (!elsewhere) return home;
    int at = regions.indexOf(home);
    return regions.get((at + attempt) % regions.size());
  }

  /**
   * Creates users 0..count-1, each with its home region, each sent to its home region, at most
   * {@code concurrency} in flight. A refusal (503, 429, no answer) is retried after a back-off with
   * the same Idempotency-Key until {@code deadline}; a user that exists already counts as created.
   */
  Creation createUsers(
      int count, int concurrency, Duration deadline, java.util.SplittableRandom random)
      throws InterruptedException {
    long start = System.nanoTime();
    long end = start + deadline.toNanos();
    Semaphore permits = new Semaphore(concurrency);
    AtomicInteger failed = new AtomicInteger();
    java.util.concurrent.atomic.AtomicLong attempts = new java.util.concurrent.atomic.AtomicLong();
    Map<String, Long> retried = new java.util.concurrent.ConcurrentHashMap<>();
    long jitterSeed = random.nextLong();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      permits.acquire();
      if (System.nanoTime() > end) {
        permits.release();
        failed.addAndGet(count - i);
        break;
      }
      String key = runId + "-create-" + i;
      // One source per user: a user's attempts run one after another, never two at once.
      java.util.SplittableRandom jitter = new java.util.SplittableRandom(jitterSeed + i);
      CompletableFuture<Void> done =
          create(i, key, 0, null, end, attempts, retried, jitter)
              .thenAccept(
                  ok -> {
                    if (!ok) failed.incrementAndGet();
                  })
              .whenComplete((v, f) -> permits.release());
      all.add(done);
      if (i > 0 && i % 5_000 == 0)
        log.info(
            "creating users: {} of {} sent, {} s", i, count, (System.nanoTime() - start) / 1e9);
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .orTimeout(deadline.toMillis() + 15_000, TimeUnit.MILLISECONDS)
        .exceptionally(f -> null)
        .join();
    long ms = (System.nanoTime() - start) / 1_000_000;
    if (failed.get() > 0)
      throw new IllegalStateException(
          failed.get()
              + " of "
              + count
              + " users could not be created in "
              + deadline
              + " (retried: "
              + retried
              + ")");
    log.info(
        "created {} users (homes {}) in {} ms, {} requests, retried {}",
        count,
        target.names(),
        ms,
        attempts.get(),
        retried);
    return new Creation(count, ms, attempts.get(), new java.util.TreeMap<>(retried), deadline);
  }

  private CompletableFuture<Boolean> create(
      int index,
      String key,
      int attempt,
      Answer last,
      long endNanos,
      java.util.concurrent.atomic.AtomicLong attempts,
      Map<String, Long> retried,
      java.util.SplittableRandom jitter) {
    String region =
        createRegion(
            target.names(),
            homeOf(index),
            attempt,
            last == null ? -1 : last.status(),
            last == null ? null : last.errorCode());
    attempts.incrementAndGet();
    return api.sendAsync(Requests.createUser(userId(index), homeOf(index), key).at(region))
        .handle((result, failure) -> failure != null ? null : result.last())
        .thenCompose(
            answer -> {
              int status = answer == null ? 0 : answer.status();
              String code = answer == null ? null : answer.errorCode();
              if (createdOrExists(status, code)) return CompletableFuture.completedFuture(true);
              String cause =
                  answer == null
                      ? "client failure"
                      : status == 0
                          ? (answer.refused() ? "connection refused" : "no answer")
                          : status + (code == null ? "" : " " + code);
              if (!retryable(status) || System.nanoTime() > endNanos) {
                log.warn(
                    "user {} not created: {}",
                    userId(index),
                    answer == null ? cause : answer.describe());
                return CompletableFuture.completedFuture(false);
              }
              retried.merge(cause, 1L, Long::sum);
              long delay =
                  retryDelayMillis(
                      attempt + 1,
                      answer == null ? null : answer.retryAfter(),
                      jitter.nextDouble());
              return CompletableFuture.supplyAsync(
                      () -> null, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS))
                  .thenCompose(
                      ignored ->
                          create(
                              index,
                              key,
                              attempt + 1,
                              answer,
                              endNanos,
                              attempts,
                              retried,
                              jitter));
            });
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
