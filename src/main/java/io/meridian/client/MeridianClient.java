package io.meridian.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A client of Meridian's HTTP API v1 for a calling service (docs/api.md, "The Java client"):
 *
 * <pre>{@code
 * var meridian = MeridianClient.builder()
 *     .region("us", URI.create("https://meridian-us.example:8080"))
 *     .region("eu", URI.create("https://meridian-eu.example:8080"))
 *     .homeRegion("eu")
 *     .token(System.getenv("MERIDIAN_API_TOKEN"))
 *     .build();
 * meridian.createUser("u-1", "us");
 * UserDocument user = meridian.adjustPoints("u-1", 5); // retried safely: one Idempotency-Key
 * }</pre>
 *
 * <p>Where a call goes: reads and CRDT writes (points, devices) to the home region; single-writer
 * writes (create, profile, move, payment) to the user's owner once an answer named it ({@code
 * X-Meridian-Owner}, remembered per user), else to the home region, which forwards. When an attempt
 * gets no answer (connection refused or reset, timeout), a 503 or a 429, the call is sent again,
 * after a back-off that honours {@code Retry-After}, to the owner if one is known, else to the next
 * region that did not just fail; a region whose connection failed is avoided for {@link
 * Builder#coolOff} unless no other is left. Writes carry one Idempotency-Key for all their attempts
 * (payments their paymentId), so a retry never applies a write twice. A call ends at its deadline
 * with the last answer.
 *
 * <p>Thread-safe; one instance per process is enough (it pools connections).
 */
public final class MeridianClient implements AutoCloseable {
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  static final String SERVED_BY = "X-Meridian-Served-By";
  static final String OWNER = "X-Meridian-Owner";
  private static final int OWNER_CACHE_SIZE = 100_000;

  private final Map<String, URI> endpoints;
  private final List<String> order;
  private final String homeRegion;
  private final String token;
  private final Duration deadline;
  private final Duration attemptTimeout;
  private final Duration coolOff;
  private final RetryPolicy retry;
  private final ClientListener listener;
  private final HttpClient http;
  private final boolean ownsHttp;
  private final Supplier<String> keys;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, String> owners;
  private final Map<String, Long> avoidUntilNanos = new ConcurrentHashMap<>();

  private MeridianClient(Builder builder) {
    if (builder.endpoints.isEmpty()) throw new IllegalArgumentException("no region configured");
    this.endpoints = Map.copyOf(builder.endpoints);
    this.homeRegion =
        builder.homeRegion != null
            ? builder.homeRegion
            : builder.endpoints.keySet().iterator().next();
    if (!endpoints.containsKey(homeRegion))
      throw new IllegalArgumentException("home region " + homeRegion + " has no endpoint");
    List<String> regions = new ArrayList<>();
    regions.add(homeRegion);
    for (String region : builder.endpoints.keySet())
      if (!region.equals(homeRegion)) regions.add(region);
    this.order = List.copyOf(regions);
    this.token = builder.token;
    this.deadline = builder.deadline;
    this.attemptTimeout = builder.attemptTimeout;
    this.coolOff = builder.coolOff;
    this.retry = builder.retry;
    this.listener = builder.listener;
    this.keys = builder.keys;
    this.ownsHttp = builder.http == null;
    this.http =
        builder.http != null
            ? builder.http
            : HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(builder.connectTimeout)
                .build();
    this.owners =
        java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > OWNER_CACHE_SIZE;
              }
            });
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The caller's home region, then the others in the configured order. */
  public List<String> regions() {
    return order;
  }

  /** The owner of {@code userId} as the last answer about it said, or null. */
  public String knownOwner(String userId) {
    return owners.get(userId);
  }

  /** A new Idempotency-Key, as the typed methods use one per call. */
  public String newIdempotencyKey() {
    return keys.get();
  }

  // ---------------------------------------------------------------- typed operations

  /** Creates {@code userId} with its home in {@code homeRegion} (null: the serving region's). */
  public UserDocument createUser(String userId, String homeRegion) {
    return value(Requests.createUser(userId, homeRegion, keys.get()), UserDocument.class);
  }

  /**
   * Creates {@code userId} in follow-the-sun {@code cohort}: it starts in the region the cohort's
   * schedule gives the cohort now (docs/follow-the-sun.md).
   */
  public UserDocument createUser(String userId, String homeRegion, String cohort) {
    return value(Requests.createUser(userId, homeRegion, cohort, keys.get()), UserDocument.class);
  }

  /** Joins {@code cohort}, or leaves the user's cohort ({@code null}). */
  public UserDocument setCohort(String userId, String cohort) {
    return value(Requests.setCohort(userId, cohort, keys.get()), UserDocument.class);
  }

  /** The user as the home region's replica (or the next reachable one) has it. */
  public UserDocument user(String userId) {
    return value(Requests.user(userId), UserDocument.class);
  }

  /** The user as its owner's replica has it. */
  public UserDocument userFromOwner(String userId) {
    return value(Requests.userFromOwner(userId), UserDocument.class);
  }

  /**
   * The user once the answering replica has applied {@code events} events of {@code region} (a
   * write's {@code version[region]}): reads one's own write made elsewhere, without polling.
   */
  public UserDocument userOnceApplied(String userId, String region, long events) {
    return value(Requests.userOnceApplied(userId, region, events), UserDocument.class);
  }

  public UserDocument updateProfile(String userId, Map<String, String> fields) {
    return value(Requests.updateProfile(userId, fields, keys.get()), UserDocument.class);
  }

  public UserDocument adjustPoints(String userId, long delta) {
    return value(Requests.adjustPoints(userId, delta, keys.get()), UserDocument.class);
  }

  public UserDocument addDevice(String userId, String deviceId) {
    return value(Requests.addDevice(userId, deviceId, keys.get()), UserDocument.class);
  }

  public UserDocument removeDevice(String userId, String deviceId) {
    return value(Requests.removeDevice(userId, deviceId, keys.get()), UserDocument.class);
  }

  /** The planned move; answers once the new owner has taken over. */
  public UserDocument move(String userId, String toRegion) {
    return value(Requests.move(userId, toRegion, keys.get()), UserDocument.class);
  }

  /** {@code kind}: credit or debit; idempotent by {@code paymentId}. */
  public PaymentDocument pay(String userId, String paymentId, String kind, BigDecimal amount) {
    return value(Requests.pay(userId, paymentId, kind, amount), PaymentDocument.class);
  }

  public PaymentDocument payment(String userId, String paymentId) {
    return value(Requests.payment(userId, paymentId), PaymentDocument.class);
  }

  public List<RegionDocument> regionStatus() {
    JsonNode body = value(Requests.regions(), JsonNode.class);
    List<RegionDocument> regions = new ArrayList<>();
    for (JsonNode region : body.path("regions"))
      regions.add(json.convertValue(region, RegionDocument.class));
    return regions;
  }

  /** The API contract (docs/openapi.yaml as JSON). */
  public JsonNode contract() {
    return value(Requests.contract(), JsonNode.class);
  }

  public JsonNode ownershipHistory(String userId) {
    return value(Requests.ownershipHistory(userId), JsonNode.class);
  }

  public JsonNode replicas(String userId) {
    return value(Requests.replicas(userId), JsonNode.class);
  }

  public JsonNode replicationLag() {
    return value(Requests.replicationLag(), JsonNode.class);
  }

  public JsonNode events() {
    return value(Requests.events(), JsonNode.class);
  }

  /** Scope admin. */
  public RegionDocument declareDown(String region) {
    return value(Requests.declareRegion(region, true), RegionDocument.class);
  }

  /** Scope admin. */
  public RegionDocument declareUp(String region) {
    return value(Requests.declareRegion(region, false), RegionDocument.class);
  }

  /** Scope admin. */
  public UserDocument adminMove(String userId, String toRegion) {
    return value(Requests.adminMove(userId, toRegion), UserDocument.class);
  }

  /** Scope admin: every cohort's schedule, owner now, next hand-off and hand-off progress. */
  public JsonNode cohorts() {
    return value(Requests.cohorts(), JsonNode.class);
  }

  /** Scope admin. */
  public JsonNode cohort(String name) {
    return value(Requests.cohort(name), JsonNode.class);
  }

  /** Scope admin; {@code spec}: a CohortScheduleSpec (docs/openapi.yaml), e.g. a Map. */
  public JsonNode putCohort(String name, Object spec) {
    return value(Requests.putCohort(name, spec), JsonNode.class);
  }

  /** Scope admin; {@code users} null: the node's default. */
  public JsonNode startDrill(String region, Integer users) {
    return value(Requests.startDrill(region, users), JsonNode.class);
  }

  /** Scope admin; ask the region whose node runs the drill. */
  public JsonNode drill(String region, String drillId) {
    return value(Requests.drill(drillId).at(region), JsonNode.class);
  }

  /** Scope admin, chaos only: {@code action} blackhole or heal. */
  public JsonNode chaos(String action, String from, String to, String direction) {
    return value(Requests.chaos(action, from, to, direction), JsonNode.class);
  }

  // ---------------------------------------------------------------- any request

  /** Sends {@code request} (with retries by the policy) and waits for the call to end. */
  public CallResult send(ApiRequest request) {
    try {
      return sendAsync(request).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the call failed inside the client", e.getCause());
    }
  }

  /** Sends {@code request}; the future completes when the call ends, successful or not. */
  public CompletableFuture<CallResult> sendAsync(ApiRequest request) {
    long start = System.nanoTime();
    Duration callDeadline = request.deadline() != null ? request.deadline() : deadline;
    var call = new Call(request, start, start + callDeadline.toNanos());
    attempt(call, firstRegion(request));
    return call.done;
  }

  /** The value of a successful call's body; a {@link MeridianException} for any other end. */
  public <T> T value(ApiRequest request, Class<T> type) {
    CallResult result = send(request);
    if (!result.isSuccess()) throw new MeridianException(result);
    try {
      return json.readValue(result.last().body(), type);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "not a " + type.getSimpleName() + ": " + result.last().body(), e);
    }
  }

  // ---------------------------------------------------------------- the retry loop

  private final class Call {
    final ApiRequest request;
    final long startNanos;
    final long deadlineNanos;
    final List<Answer> attempts = new ArrayList<>();
    final CompletableFuture<CallResult> done = new CompletableFuture<>();

    Call(ApiRequest request, long startNanos, long deadlineNanos) {
      this.request = request;
      this.startNanos = startNanos;
      this.deadlineNanos = deadlineNanos;
    }

    void finish(boolean deadlineReached) {
      var result =
          new CallResult(
              request,
              List.copyOf(attempts),
              Duration.ofNanos(System.nanoTime() - startNanos),
              deadlineReached);
      notifyListener(() -> listener.completed(result));
      done.complete(result);
    }
  }

  private void attempt(Call call, String region) {
    long remaining = call.deadlineNanos - System.nanoTime();
    Duration timeout =
        Duration.ofNanos(Math.max(1_000_000, Math.min(attemptTimeout.toNanos(), remaining)));
    HttpRequest request = httpRequest(call.request, region, timeout);
    long sent = System.nanoTime();
    http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, failure) -> answer(region, response, failure, sent))
        .thenAccept(answer -> afterAttempt(call, answer))
        .exceptionally(
            failure -> {
              call.done.completeExceptionally(failure);
              return null;
            });
  }

  private void afterAttempt(Call call, Answer answer) {
    call.attempts.add(answer);
    learn(call.request, answer);
    notifyListener(() -> listener.attempted(call.request, answer));
    if (answer.isSuccess()
        || !(call.request.retryable() || RetryPolicy.nothingExecuted(answer))
        || !RetryPolicy.isRetryable(answer)
        || call.attempts.size() >= retry.maxAttempts()) {
      call.finish(false);
      return;
    }
    long waitMillis = retry.backoffMillis(call.attempts.size(), answer);
    if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis) >= call.deadlineNanos) {
      call.finish(true);
      return;
    }
    String next = nextRegion(call.request, answer);
    notifyListener(() -> listener.retrying(call.request, answer, next, waitMillis));
    CompletableFuture.delayedExecutor(waitMillis, TimeUnit.MILLISECONDS)
        .execute(() -> attempt(call, next));
  }

  private String firstRegion(ApiRequest request) {
    if (request.firstRegion() != null) {
      if (!endpoints.containsKey(request.firstRegion()))
        throw new IllegalArgumentException("no endpoint for region " + request.firstRegion());
      return request.firstRegion();
    }
    if (request.routing() == Routing.OWNER) {
      String owner = request.userId() == null ? null : owners.get(request.userId());
      if (owner != null && usable(owner)) return owner;
      if (request.homeHint() != null && usable(request.homeHint())) return request.homeHint();
    }
    return firstUsableFrom(0, null);
  }

  /**
   * After a failed attempt: the owner the answer (or an earlier one) named, for a single-writer
   * write, unless it is the region that just failed without answering; else the next region in
   * order after the failed one that is not being avoided. A 429 stays where it was.
   */
  private String nextRegion(ApiRequest request, Answer failed) {
    if (failed.status() == 429) return failed.region();
    if (request.routing() == Routing.OWNER && request.userId() != null) {
      String owner = owners.get(request.userId());
      if (owner != null
          && usable(owner)
          && !(owner.equals(failed.region()) && failed.isTransportFailure())) return owner;
    }
    if (failed.status() == 503 && !"ownership_unconfirmed".equals(failed.errorCode()))
      return usable(failed.region()) ? failed.region() : firstUsableFrom(0, failed.region());
    return firstUsableFrom(order.indexOf(failed.region()) + 1, failed.region());
  }

  private String firstUsableFrom(int index, String avoid) {
    for (int i = 0; i < order.size(); i++) {
      String region = order.get((index + i) % order.size());
      if (!region.equals(avoid) && usable(region)) return region;
    }
    // Every other region is being avoided: try the next one anyway rather than none.
    for (int i = 0; i < order.size(); i++) {
      String region = order.get((index + i) % order.size());
      if (!region.equals(avoid)) return region;
    }
    return order.get(0);
  }

  private boolean usable(String region) {
    Long until = avoidUntilNanos.get(region);
    return until == null || System.nanoTime() > until;
  }

  private void learn(ApiRequest request, Answer answer) {
    if (answer.isTransportFailure()) {
      avoidUntilNanos.put(answer.region(), System.nanoTime() + coolOff.toNanos());
      return;
    }
    avoidUntilNanos.remove(answer.region());
    if (answer.status() == 503 && "ownership_unconfirmed".equals(answer.errorCode()))
      avoidUntilNanos.put(answer.region(), System.nanoTime() + coolOff.toNanos());
    if (request.userId() != null && answer.owner() != null && endpoints.containsKey(answer.owner()))
      owners.put(request.userId(), answer.owner());
  }

  private HttpRequest httpRequest(ApiRequest request, String region, Duration timeout) {
    var builder =
        HttpRequest.newBuilder(endpoints.get(region).resolve(request.path()))
            .timeout(timeout)
            .method(
                request.method(),
                request.body() == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(request.body()));
    if (request.body() != null) builder.header("Content-Type", "application/json");
    if (token != null) builder.header("Authorization", "Bearer " + token);
    if (request.idempotencyKey() != null) builder.header(IDEMPOTENCY_KEY, request.idempotencyKey());
    return builder.build();
  }

  private Answer answer(
      String region, HttpResponse<String> response, Throwable failure, long sent) {
    Duration took = Duration.ofNanos(System.nanoTime() - sent);
    if (failure != null) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      boolean refused = isRefused(cause);
      String name =
          cause instanceof HttpTimeoutException && !refused
              ? "timeout"
              : cause.getClass().getSimpleName();
      return new Answer(region, 0, null, null, null, null, null, name, refused, took);
    }
    String body = response.body();
    String errorCode = null;
    if (response.statusCode() >= 400 && body != null && !body.isEmpty()) {
      try {
        JsonNode error = json.readTree(body);
        if (error != null && error.path("error").isTextual())
          errorCode = error.get("error").asText();
      } catch (IOException e) {
        errorCode = null; // not the API's error body: a proxy's page, say
      }
    }
    return new Answer(
        region,
        response.statusCode(),
        body,
        errorCode,
        response.headers().firstValue(SERVED_BY).orElse(null),
        response.headers().firstValue(OWNER).orElse(null),
        retryAfter(response),
        null,
        false,
        took);
  }

  /** Connection refused or not established in time: the request reached no server. */
  private static boolean isRefused(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException) return true;
      if (t.getCause() == t) break;
    }
    return false;
  }

  private static Duration retryAfter(HttpResponse<?> response) {
    var value = response.headers().firstValue("Retry-After");
    if (value.isEmpty()) return null;
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(value.get().trim())));
    } catch (NumberFormatException e) {
      return null; // an HTTP date: Meridian never sends one
    }
  }

  private static void notifyListener(Runnable hook) {
    try {
      hook.run();
    } catch (RuntimeException e) {
      // A metrics hook must not break the call.
    }
  }

  /** Closes the connections of an HTTP client this instance created (Java 21+; a no-op on 17). */
  @Override
  public void close() {
    if (ownsHttp && http instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        // nothing left to do
      }
    }
  }

  // ---------------------------------------------------------------- configuration

  /** How a client is made; {@link #region} at least once. */
  public static final class Builder {
    private final Map<String, URI> endpoints = new LinkedHashMap<>();
    private String homeRegion;
    private String token;
    private Duration deadline = Duration.ofSeconds(30);
    private Duration attemptTimeout = Duration.ofSeconds(10);
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration coolOff = Duration.ofSeconds(5);
    private RetryPolicy retry = RetryPolicy.standard();
    private ClientListener listener = ClientListener.NONE;
    private HttpClient http;
    private Supplier<String> keys = () -> UUID.randomUUID().toString();

    private Builder() {}

    /**
     * A region's endpoint ({@code http(s)://host:port}); the first is home unless {@link
     * #homeRegion}.
     */
    public Builder region(String region, URI endpoint) {
      endpoints.put(Objects.requireNonNull(region), Objects.requireNonNull(endpoint));
      return this;
    }

    /** The region this caller runs in: reads and CRDT writes go there first. */
    public Builder homeRegion(String region) {
      this.homeRegion = region;
      return this;
    }

    /** The caller's bearer token (docs/api.md, Authentication). */
    public Builder token(String apiToken) {
      this.token = apiToken;
      return this;
    }

    /** The most a call may take, all attempts and waits included (default 30 s). */
    public Builder deadline(Duration callDeadline) {
      this.deadline = callDeadline;
      return this;
    }

    /** The most one attempt may take (default 10 s; never more than what is left of the call). */
    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeout = timeout;
      return this;
    }

    /** The most a connection may take to open (default 2 s; ignored with {@link #httpClient}). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout;
      return this;
    }

    /** How long a region whose connection failed is avoided (default 5 s). */
    public Builder coolOff(Duration avoidFor) {
      this.coolOff = avoidFor;
      return this;
    }

    public Builder retryPolicy(RetryPolicy policy) {
      this.retry = policy;
      return this;
    }

    public Builder listener(ClientListener hooks) {
      this.listener = hooks;
      return this;
    }

    /** An HTTP client to share (e.g. with TLS settings of its own). */
    public Builder httpClient(HttpClient client) {
      this.http = client;
      return this;
    }

    /** Where Idempotency-Keys come from (default: random UUIDs). */
    public Builder idempotencyKeys(Supplier<String> source) {
      this.keys = source;
      return this;
    }

    public MeridianClient build() {
      return new MeridianClient(this);
    }
  }
}
