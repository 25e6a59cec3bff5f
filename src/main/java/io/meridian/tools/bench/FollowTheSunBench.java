package io.meridian.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.client.Answer;
import io.meridian.client.ApiRequest;
import io.meridian.client.Requests;
import io.meridian.client.RetryPolicy;
import io.meridian.client.Routing;
import io.meridian.tools.chaos.Endpoints;
import io.meridian.tools.chaos.ManagedDemo;
import io.meridian.tools.demo.DemoCommand;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./meridian bench follow-the-sun}: what a scheduled hand-off costs (issue 17, item 7). For
 * each cohort size: a cohort scheduled in the first region, its members created there, then a
 * schedule whose boundary hands the cohort to the second region a little later (a window of the
 * day, put through {@code PUT /v1/admin/cohorts/{name}}), and at the boundary: the time until the
 * new region reports the hand-off done and until every member's ownership history shows the
 * scheduled move, the move durations of {@code meridian_cohort_user_move_seconds}, and a client
 * writing to random members at a fixed rate from every region throughout: refusals (503) and
 * latency before, during and after the hand-off.
 */
@Command(
    name = "follow-the-sun",
    mixinStandardHelpOptions = true,
    description = {
      "Moves a cohort of 1k and 10k users from one region to the next at a schedule boundary, under a fixed-rate write stream.",
      "Starts its own demo (ports from 9281) unless --endpoints are given.",
      "  ./meridian bench follow-the-sun --sizes 1000",
      "  ./meridian bench follow-the-sun --endpoints http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083"
    })
public final class FollowTheSunBench implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");
  private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);
  static final String MOVE_METRIC = "meridian_cohort_user_move_seconds";
  static final String HAND_OFF_METRIC = "meridian_cohort_hand_off_seconds";
  static final String REFUSED_METRIC = "meridian_writes_refused_ownership_moving_total";

  @Option(
      names = "--sizes",
      split = ",",
      defaultValue = "1000,10000",
      description = "Cohort sizes, one hand-off each, in one system (default: ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(
      names = "--endpoints",
      split = ",",
      description =
          "One HTTP endpoint per region of a running system (default: start a demo); the cohort moves from the first's region to the second's.")
  List<URI> endpoints;

  @Option(names = "--api-token", description = "With --endpoints (default: $MERIDIAN_API_TOKEN).")
  String apiToken;

  @Option(
      names = "--admin-token",
      description = "With --endpoints (default: $MERIDIAN_ADMIN_TOKEN).")
  String adminToken;

  @Option(
      names = "--write-rate",
      defaultValue = "20",
      description =
          "Writes per second to random members, from random regions, throughout (default: ${DEFAULT-VALUE}).")
  double writeRate;

  @Option(
      names = "--concurrency",
      defaultValue = "16",
      description = "Creations in flight at most (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--lead",
      defaultValue = "40s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "Writes measured before the boundary at least; the boundary is the next whole minute after it (default: ${DEFAULT-VALUE}).")
  Duration lead;

  @Option(
      names = "--tail",
      defaultValue = "20s",
      converter = DemoCommand.DurationConverter.class,
      description = "Writes measured after the hand-off is done (default: ${DEFAULT-VALUE}).")
  Duration tail;

  @Option(
      names = "--hand-off-timeout",
      defaultValue = "15m",
      converter = DemoCommand.DurationConverter.class,
      description = "How long after the boundary to wait for done (default: ${DEFAULT-VALUE}).")
  Duration handOffTimeout;

  @Option(names = "--base-http-port", defaultValue = "9281")
  int baseHttpPort;

  @Option(
      names = "--ready-timeout",
      defaultValue = "300s",
      converter = DemoCommand.DurationConverter.class)
  Duration readyTimeout;

  @Option(
      names = "--region-java-option",
      description =
          "With the started demo: an extra JVM option of every region, e.g. -Dmeridian.cohorts.hand-off-rate=400 (repeatable).")
  List<String> regionJavaOptions = new ArrayList<>();

  @Option(
      names = "--out",
      description = "The JSON file (default: target/bench/follow-the-sun-<timestamp>.json).")
  Path out;

  @Option(names = "--seed", description = "Random seed (default: the clock).")
  Long seed;

  private HttpClient http;
  private io.meridian.client.MeridianClient creating;
  private io.meridian.client.MeridianClient writing;
  private Endpoints system;

  @Override
  public Integer call() throws Exception {
    String stamp =
        java.time.LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path file = out != null ? out : Path.of("target", "bench", "follow-the-sun-" + stamp + ".json");
    ManagedDemo demo = null;
    try {
      if (endpoints == null || endpoints.isEmpty()) {
        Path dir = file.toAbsolutePath().getParent().resolve("follow-the-sun-" + stamp);
        demo =
            ManagedDemo.launch(
                new ManagedDemo.Layout(
                    List.of("us", "eu", "ap"),
                    baseHttpPort,
                    baseHttpPort + 18_240,
                    baseHttpPort + 380,
                    Path.of(".meridian", "bench-follow-the-sun"),
                    dir.resolve("demo.log"),
                    regionJavaOptions),
                exit -> log.warn("follow-the-sun: {}", exit.detail()),
                log::info);
        system = demo.awaitReady(readyTimeout);
      } else {
        system = attached();
      }
      return run(file, stamp);
    } finally {
      if (demo != null) demo.close();
      if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)
        context.stop();
    }
  }

  private Endpoints attached() throws IOException, InterruptedException {
    String api =
        apiToken != null ? apiToken : System.getenv().getOrDefault("MERIDIAN_API_TOKEN", "");
    String admin =
        adminToken != null ? adminToken : System.getenv().getOrDefault("MERIDIAN_ADMIN_TOKEN", "");
    if (api.isBlank() || admin.isBlank())
      throw new IllegalArgumentException(
          "--endpoints needs --api-token and --admin-token (or MERIDIAN_API_TOKEN, MERIDIAN_ADMIN_TOKEN)");
    Target target = Target.discover(endpoints, MeridianClient.newHttpClient(), api);
    Map<String, URI> uris = new LinkedHashMap<>();
    for (Target.Region region : target.regions) uris.put(region.name(), region.endpoint());
    return new Endpoints(uris, admin, api, 0);
  }

  private int run(Path file, String stamp) throws Exception {
    http = MeridianClient.newHttpClient();
    creating = client(RetryPolicy.standard(), Duration.ofSeconds(60));
    writing = client(RetryPolicy.none(), MeridianClient.REQUEST_TIMEOUT);
    List<String> regions = system.regionNames();
    if (regions.size() < 2) throw new IllegalArgumentException("needs two regions at least");
    String from = regions.get(0);
    String to = regions.get(1);
    SplittableRandom random = new SplittableRandom(seed != null ? seed : System.nanoTime());
    String runId = "fts" + Long.toString(System.currentTimeMillis(), 36);
    Map<String, Object> figures = new LinkedHashMap<>();
    Map<String, Object> runInfo = new LinkedHashMap<>();
    runInfo.put("workload", "follow-the-sun");
    runInfo.put("startedAt", stamp);
    runInfo.put("regions", regions);
    runInfo.put("from", from);
    runInfo.put("to", to);
    runInfo.put("writeRatePerSecond", writeRate);
    runInfo.put(
        "writes", "profile PATCH and points POST alternately, random member, random region");
    runInfo.put("cpus", Runtime.getRuntime().availableProcessors());
    figures.put("run", runInfo);
    List<Map<String, Object>> results = new ArrayList<>();
    figures.put("sizes", results);
    StringBuilder summary = new StringBuilder();
    for (int size : sizes) {
      Map<String, Object> result = measure(runId, size, from, to, random);
      results.add(result);
      summary.append(summaryLine(result));
      Report.writeJson(file, figures);
    }
    log.info(
        "follow-the-sun: cohort moved {} -> {} under {} writes/s\n{}{}figures in {}",
        from,
        to,
        writeRate,
        summaryHeader(),
        summary,
        file);
    return 0;
  }

  private io.meridian.client.MeridianClient client(RetryPolicy policy, Duration deadline) {
    var builder =
        io.meridian.client.MeridianClient.builder()
            .httpClient(http)
            .token(system.apiToken())
            .retryPolicy(policy)
            .deadline(deadline)
            .attemptTimeout(MeridianClient.REQUEST_TIMEOUT);
    system.regions().forEach(builder::region);
    return builder.build();
  }

  /** One cohort of {@code size}: set-up, the boundary, the hand-off, the figures. */
  private Map<String, Object> measure(
      String runId, int size, String from, String to, SplittableRandom random) throws Exception {
    String cohort = runId + "-" + size;
    List<String> members = new ArrayList<>(size);
    for (int i = 0; i < size; i++) members.add(cohort + "-u" + i);

    // 1. The cohort, all day in the first region, and its members, created there.
    putSchedule(cohort, "{\"rotateEvery\":\"PT24H\",\"regions\":[\"" + from + "\"]}");
    Creation creation = create(cohort, members, from);
    long creationMillis = creation.millis();

    // 2. The boundary: the next whole minute at least --lead from now; the window long enough.
    Instant boundary = boundaryAfter(Instant.now().plus(lead));
    Duration window = windowFor(handOffTimeout);
    JsonNode stored = putSchedule(cohort, windowsSpec(from, to, boundary, window));
    log.info(
        "follow-the-sun: cohort {} of {} users: {} (hand-off {} -> {} at {})",
        cohort,
        size,
        stored.path("describe").asText(),
        from,
        to,
        boundary);
    Map<String, PromText> before = scrapeAll();
    Writer writer = new Writer(members, random.split());
    writer.start();

    // 3. The hand-off, as the new region reports it.
    JsonNode done = awaitDone(cohort, to, boundary);
    long doneAt = done.path("finishedAt").asLong();
    TimeUnit.MILLISECONDS.sleep(tail.toMillis());
    writer.stop();
    Map<String, PromText> after = scrapeAll();

    // 4. Every member's ownership history: the scheduled move's time and region. Then the cohort
    // stays where it is, so that its window's end moves nothing while the next size is measured.
    Ownership owned = ownership(members, to, boundary.toEpochMilli());
    putSchedule(cohort, "{\"rotateEvery\":\"PT24H\",\"regions\":[\"" + to + "\"]}");

    Map<String, Object> f = new LinkedHashMap<>();
    f.put("cohort", cohort);
    f.put("members", members.size());
    f.put("notCreated", creation.notCreated());
    f.put("creationMillis", creationMillis);
    f.put("creationPerSecond", Report.round(members.size() * 1000.0 / Math.max(1, creationMillis)));
    f.put("boundary", boundary.toString());
    f.put("handOffDoneSeconds", seconds(doneAt - boundary.toEpochMilli()));
    f.put("allOwnedSeconds", seconds(owned.lastMoveAt - boundary.toEpochMilli()));
    f.put("firstMoveSeconds", seconds(owned.firstMoveAt - boundary.toEpochMilli()));
    f.put("ownedByNewRegion", owned.ownedByTarget);
    f.put("scheduledMoves", owned.scheduledMoves);
    f.put("handOff", JsonToMap.of(done));
    f.put("passes", new TreeMap<>(passes));
    PromText toBefore = before.get(to);
    PromText toAfter = after.get(to);
    Map<String, Object> move = new LinkedHashMap<>();
    move.put("count", Report.round(delta(before, after, MOVE_METRIC + "_count", Map.of())));
    move.put(
        "p50Millis",
        millis(PromText.quantileBetween(toBefore, toAfter, MOVE_METRIC, Map.of(), 0.5)));
    move.put(
        "p99Millis",
        millis(PromText.quantileBetween(toBefore, toAfter, MOVE_METRIC, Map.of(), 0.99)));
    // Only the new region's: the old one records the stint it held when the schedule was put
    // (its age, hours), which is no hand-off.
    move.put(
        "handOffMetricSeconds",
        Report.round3(
            toAfter.sum(HAND_OFF_METRIC + "_sum", Map.of("cohort", cohort))
                - toBefore.sum(HAND_OFF_METRIC + "_sum", Map.of("cohort", cohort))));
    move.put(
        "usersMovedMetric",
        Report.round(
            delta(before, after, "meridian_cohort_users_moved_total", Map.of("cohort", cohort))));
    f.put("userMove", move);
    f.put("writesRefusedMetric", Report.round(delta(before, after, REFUSED_METRIC, Map.of())));
    f.put("client", writer.figures(boundary.toEpochMilli(), doneAt));
    log.info("follow-the-sun: {}", summaryHeader() + summaryLine(f));
    return f;
  }

  // ------------------------------------------------------------------ set-up

  private JsonNode putSchedule(String cohort, String spec) throws Exception {
    URI uri = system.uri(system.regionNames().get(0)).resolve("/v1/admin/cohorts/" + cohort);
    for (int attempt = 1; ; attempt++) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri)
                  .timeout(MeridianClient.REQUEST_TIMEOUT)
                  .header("Authorization", "Bearer " + system.adminToken())
                  .header("Content-Type", "application/json")
                  .PUT(HttpRequest.BodyPublishers.ofString(spec))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) return MeridianClient.JSON.readTree(response.body());
      if (response.statusCode() != 503 || attempt >= 10)
        throw new IllegalStateException(
            "PUT " + uri + " " + spec + ": " + response.statusCode() + " " + response.body());
      TimeUnit.SECONDS.sleep(1);
    }
  }

  /** How the members' creation went: the time it took, and how many could not be created. */
  record Creation(long millis, int notCreated) {}

  /**
   * Creates the members in {@code cohort} through {@code region}, each retried (same key) for up to
   * a minute. Members that could not be created are left out of the cohort measured (and out of
   * {@code members}) if they are at most 1% of it, else the run stops: a saturated machine refuses
   * creates (docs/benchmarks.md, "Scaling").
   */
  private Creation create(String cohort, List<String> members, String region)
      throws InterruptedException {
    long start = System.nanoTime();
    Semaphore permits = new Semaphore(concurrency);
    AtomicInteger failed = new AtomicInteger();
    java.util.Set<String> notCreated = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (String userId : members) {
      permits.acquire();
      String body =
          "{\"userId\":\""
              + userId
              + "\",\"homeRegion\":\""
              + region
              + "\",\"cohort\":\""
              + cohort
              + "\"}";
      ApiRequest request =
          new ApiRequest(
              "create-user",
              "POST",
              "/v1/users",
              body,
              Routing.OWNER,
              userId,
              region,
              userId + "-create",
              region,
              null,
              true);
      all.add(
          creating
              .sendAsync(request)
              .whenComplete(
                  (result, failure) -> {
                    permits.release();
                    Answer last = result == null ? null : result.last();
                    boolean ok =
                        last != null
                            && (last.isSuccess()
                                || (last.status() == 409
                                    && "user_exists".equals(last.errorCode())));
                    if (!ok) notCreated.add(userId);
                    if (!ok && failed.getAndIncrement() < 5)
                      log.warn(
                          "follow-the-sun: {} not created: {}",
                          userId,
                          last == null ? failure : last.describe());
                  }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    long millis = (System.nanoTime() - start) / 1_000_000;
    if (notCreated.size() * 100 > members.size())
      throw new IllegalStateException(
          notCreated.size() + " of " + members.size() + " members of " + cohort + " not created");
    members.removeAll(notCreated);
    log.info(
        "follow-the-sun: created {} members of {} in {} ms ({} /s), {} not created",
        members.size(),
        cohort,
        millis,
        Report.round(members.size() * 1000.0 / Math.max(1, millis)),
        notCreated.size());
    return new Creation(millis, notCreated.size());
  }

  // ------------------------------------------------------------------ the hand-off

  /** Pass number → the last progress seen of it (the report's "passes"). */
  private final Map<Integer, Map<String, Object>> passes = new TreeMap<>();

  /** Polls the new region's view of the cohort until its hand-off of {@code boundary} is done. */
  private JsonNode awaitDone(String cohort, String to, Instant boundary) throws Exception {
    passes.clear();
    URI uri = system.uri(to).resolve("/v1/admin/cohorts/" + cohort);
    long deadline = boundary.toEpochMilli() + handOffTimeout.toMillis();
    String lastState = "";
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> response;
      try {
        response =
            http.send(
                HttpRequest.newBuilder(uri)
                    .timeout(MeridianClient.REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + system.adminToken())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException unanswered) {
        // A busy region may not answer one poll (a 10,000-member run on a saturated machine):
        // ask again until the deadline rather than give up the run.
        log.info("follow-the-sun: {}'s cohort view did not answer: {}", to, unanswered.toString());
        TimeUnit.MILLISECONDS.sleep(1000);
        continue;
      }
      if (response.statusCode() == 200) {
        JsonNode handOff = MeridianClient.JSON.readTree(response.body()).path("handOff");
        if (to.equals(handOff.path("toRegion").asText())
            && handOff.path("boundary").asLong() == boundary.toEpochMilli()) {
          passes.put(handOff.path("passes").asInt(), JsonToMap.of(handOff));
          String state = handOff.path("state").asText() + "#" + handOff.path("passes").asInt();
          if (!state.equals(lastState))
            log.info(
                "follow-the-sun: hand-off of {} to {}: pass {} {}, {} members, {} moved, {} failed",
                cohort,
                to,
                handOff.path("passes").asInt(),
                handOff.path("state").asText(),
                handOff.path("members").asLong(),
                handOff.path("moved").asLong(),
                handOff.path("failed").asLong());
          lastState = state;
          if ("done".equals(handOff.path("state").asText())) return handOff;
        }
      }
      TimeUnit.MILLISECONDS.sleep(250);
    }
    throw new IllegalStateException(
        "the hand-off of "
            + cohort
            + " to "
            + to
            + " was not done "
            + handOffTimeout
            + " after its boundary");
  }

  /** What the members' ownership histories say about the scheduled move. */
  record Ownership(long firstMoveAt, long lastMoveAt, int ownedByTarget, int scheduledMoves) {}

  private Ownership ownership(List<String> members, String to, long boundaryMillis)
      throws InterruptedException {
    Semaphore permits = new Semaphore(concurrency);
    ConcurrentLinkedQueue<Long> moves = new ConcurrentLinkedQueue<>();
    AtomicInteger owned = new AtomicInteger();
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (String userId : members) {
      permits.acquire();
      all.add(
          creating
              .sendAsync(Requests.ownershipHistory(userId).at(to))
              .whenComplete(
                  (result, failure) -> {
                    permits.release();
                    if (result == null || !result.isSuccess()) return;
                    try {
                      JsonNode body = MeridianClient.JSON.readTree(result.last().body());
                      if (to.equals(body.path("owner").asText())) owned.incrementAndGet();
                      for (JsonNode change : body.path("changes"))
                        if ("schedule".equals(change.path("reason").asText())
                            && to.equals(change.path("to").asText())
                            && change.path("at").asLong() >= boundaryMillis - 1_000)
                          moves.add(change.path("at").asLong());
                    } catch (IOException e) {
                      // not counted
                    }
                  }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    long first = moves.stream().mapToLong(Long::longValue).min().orElse(boundaryMillis);
    long last = moves.stream().mapToLong(Long::longValue).max().orElse(boundaryMillis);
    return new Ownership(first, last, owned.get(), moves.size());
  }

  private Map<String, PromText> scrapeAll() {
    Map<String, PromText> out = new LinkedHashMap<>();
    system
        .regions()
        .forEach(
            (region, uri) -> {
              try {
                HttpResponse<String> response =
                    http.send(
                        HttpRequest.newBuilder(uri.resolve("/metrics"))
                            .timeout(MeridianClient.REQUEST_TIMEOUT)
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
                out.put(
                    region,
                    response.statusCode() == 200
                        ? PromText.parse(response.body())
                        : PromText.empty());
              } catch (IOException e) {
                out.put(region, PromText.empty());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.put(region, PromText.empty());
              }
            });
    return out;
  }

  private static double delta(
      Map<String, PromText> before,
      Map<String, PromText> after,
      String name,
      Map<String, String> where) {
    double sum = 0;
    for (var entry : after.entrySet())
      sum +=
          entry.getValue().sum(name, where)
              - before.getOrDefault(entry.getKey(), PromText.empty()).sum(name, where);
    return sum;
  }

  // ------------------------------------------------------------------ the writer

  /** When a write was due, relative to the hand-off. */
  enum Phase {
    BEFORE,
    DURING,
    AFTER;

    /** DURING from the boundary (inclusive) until the hand-off was done (exclusive). */
    static Phase of(long dueMillis, long boundaryMillis, long doneMillis) {
      if (dueMillis < boundaryMillis) return BEFORE;
      return dueMillis < doneMillis ? DURING : AFTER;
    }
  }

  /** One write: when it was due, how long from then to its answer, and the answer. */
  record Sample(long dueMillis, long latencyMicros, int status, String error) {}

  /**
   * Writes at a fixed rate to random members, each to a random region, one attempt each (no retry,
   * no Idempotency-Key), latency from the time it was due (so a stall shows instead of thinning the
   * load).
   */
  private final class Writer {
    private final List<String> members;
    private final SplittableRandom random;
    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Semaphore inFlight = new Semaphore(1_000);
    private final Thread thread;

    Writer(List<String> members, SplittableRandom random) {
      this.members = members;
      this.random = random;
      this.thread = new Thread(this::loop, "follow-the-sun-writer");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join();
      inFlight.tryAcquire(1_000, 30, TimeUnit.SECONDS);
    }

    private void loop() {
      List<String> regions = system.regionNames();
      long intervalNanos = (long) (1e9 / writeRate);
      long startNanos = System.nanoTime();
      long startMillis = System.currentTimeMillis();
      for (long i = 0; running.get(); i++) {
        long dueNanos = startNanos + i * intervalNanos;
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait);
        long dueMillis = startMillis + (dueNanos - startNanos) / 1_000_000;
        String userId = members.get(random.nextInt(members.size()));
        String region = regions.get(random.nextInt(regions.size()));
        ApiRequest request =
            i % 2 == 0
                ? Requests.updateProfile(userId, Map.of("displayName", "n" + i), null)
                : Requests.adjustPoints(userId, 1, null);
        inFlight.acquireUninterruptibly();
        writing
            .sendAsync(request.at(region))
            .whenComplete(
                (result, failure) -> {
                  inFlight.release();
                  long micros = (System.nanoTime() - dueNanos) / 1_000;
                  Answer last = result == null ? null : result.last();
                  samples.add(
                      new Sample(
                          dueMillis,
                          micros,
                          last == null ? 0 : last.status(),
                          last == null ? String.valueOf(failure) : last.errorCode()));
                });
      }
    }

    Map<String, Object> figures(long boundaryMillis, long doneMillis) {
      return FollowTheSunBench.figures(List.copyOf(samples), boundaryMillis, doneMillis);
    }
  }

  /** Latency and answers per phase (and outside: before and after together). */
  static Map<String, Object> figures(List<Sample> samples, long boundaryMillis, long doneMillis) {
    Map<String, Histogram> latency = new LinkedHashMap<>();
    Map<String, Map<String, Long>> answers = new LinkedHashMap<>();
    Map<String, long[]> span = new LinkedHashMap<>();
    for (String key : List.of("before", "during", "after", "outside")) {
      latency.put(key, new Histogram(3_600_000_000L, 3));
      answers.put(key, new TreeMap<>());
      span.put(key, new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
    }
    for (Sample s : samples) {
      Phase phase = Phase.of(s.dueMillis(), boundaryMillis, doneMillis);
      List<String> keys =
          phase == Phase.DURING
              ? List.of("during")
              : List.of(phase.name().toLowerCase(Locale.ROOT), "outside");
      for (String key : keys) {
        latency.get(key).recordValue(Math.max(0, Math.min(s.latencyMicros(), 3_600_000_000L)));
        answers.get(key).merge(answerKey(s), 1L, Long::sum);
        long[] range = span.get(key);
        range[0] = Math.min(range[0], s.dueMillis());
        range[1] = Math.max(range[1], s.dueMillis());
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (String key : latency.keySet()) {
      Map<String, Object> phase = new LinkedHashMap<>();
      Map<String, Long> byAnswer = answers.get(key);
      long total = byAnswer.values().stream().mapToLong(Long::longValue).sum();
      long refused =
          byAnswer.entrySet().stream()
              .filter(e -> e.getKey().startsWith("503"))
              .mapToLong(Map.Entry::getValue)
              .sum();
      phase.put("writes", total);
      phase.put("refused503", refused);
      phase.put("answers", byAnswer);
      phase.put("latency", Report.percentiles(latency.get(key)));
      out.put(key, phase);
    }
    return out;
  }

  static String answerKey(Sample s) {
    if (s.status() == 0) return "no answer";
    if (s.status() / 100 == 2) return "2xx";
    return s.status() + (s.error() == null ? "" : " " + s.error());
  }

  // ------------------------------------------------------------------ schedule arithmetic

  /** The first whole minute (UTC) at or after {@code earliest}. */
  static Instant boundaryAfter(Instant earliest) {
    Instant minute = earliest.truncatedTo(ChronoUnit.MINUTES);
    return minute.equals(earliest) ? minute : minute.plus(1, ChronoUnit.MINUTES);
  }

  /**
   * The new region's window: long enough for the hand-off to finish and the report to be read (the
   * timeout and ten minutes more, whole minutes, at most 12 h so the old region keeps the rest of
   * the day).
   */
  static Duration windowFor(Duration handOffTimeout) {
    long minutes = Math.max(1, (handOffTimeout.toSeconds() + 59) / 60) + 10;
    return Duration.ofMinutes(Math.min(minutes, 12 * 60));
  }

  /**
   * A schedule of two windows of the UTC day: {@code to} from {@code boundary} for {@code window},
   * {@code from} for the rest of the day (wrapping midnight as needed), as the JSON of {@code PUT
   * /v1/admin/cohorts/{name}}.
   */
  static String windowsSpec(String from, String to, Instant boundary, Duration window) {
    if (window.isZero() || window.isNegative() || window.compareTo(Duration.ofHours(24)) >= 0)
      throw new IllegalArgumentException("window " + window + " must be within one day");
    LocalTime start = LocalTime.ofInstant(boundary, ZoneOffset.UTC);
    LocalTime end = start.plus(window);
    return String.format(
        "{\"zone\":\"UTC\",\"windows\":[{\"region\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"},"
            + "{\"region\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"}]}",
        to, HH_MM.format(start), clockTo(end), from, HH_MM.format(end), clockTo(start));
  }

  /** A window's exclusive end: midnight is 24:00. */
  private static String clockTo(LocalTime time) {
    return time.equals(LocalTime.MIDNIGHT) ? "24:00" : HH_MM.format(time);
  }

  private static Object seconds(long millis) {
    return Report.round3(millis / 1000.0);
  }

  private static Object millis(Double seconds) {
    return seconds == null ? null : Report.round(seconds * 1000);
  }

  private static String summaryHeader() {
    return String.format(
        Locale.ROOT,
        "  %7s %9s %9s %9s %9s %8s %8s %22s %22s %22s%n",
        "members",
        "done s",
        "owned s",
        "move p50",
        "move p99",
        "refused",
        "writes",
        "before p50/p99/max ms",
        "during p50/p99/max ms",
        "after p50/p99/max ms");
  }

  @SuppressWarnings("unchecked")
  private static String summaryLine(Map<String, Object> f) {
    Map<String, Object> client = (Map<String, Object>) f.get("client");
    Map<String, Object> during = (Map<String, Object>) client.get("during");
    Map<String, Object> before = (Map<String, Object>) client.get("before");
    Map<String, Object> after = (Map<String, Object>) client.get("after");
    Map<String, Object> move = (Map<String, Object>) f.get("userMove");
    return String.format(
        Locale.ROOT,
        "  %7s %9s %9s %9s %9s %8s %8s %22s %22s %22s%n",
        f.get("members"),
        f.get("handOffDoneSeconds"),
        f.get("allOwnedSeconds"),
        move.get("p50Millis"),
        move.get("p99Millis"),
        during.get("refused503") + "",
        during.get("writes") + "",
        triple((Map<String, Object>) before.get("latency")),
        triple((Map<String, Object>) during.get("latency")),
        triple((Map<String, Object>) after.get("latency")));
  }

  private static String triple(Map<String, Object> latency) {
    return latency.get("p50Millis")
        + "/"
        + latency.get("p99Millis")
        + "/"
        + latency.get("maxMillis");
  }

  /** A JSON object as a map for the report. */
  static final class JsonToMap {
    private JsonToMap() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> of(JsonNode node) {
      return MeridianClient.JSON.convertValue(node, Map.class);
    }
  }
}
