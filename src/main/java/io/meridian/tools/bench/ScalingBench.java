package io.meridian.tools.bench;

import io.meridian.tools.chaos.Endpoints;
import io.meridian.tools.chaos.ManagedDemo;
import io.meridian.tools.chaos.ProcessExit;
import io.meridian.tools.demo.DemoCommand;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./meridian bench scaling}: how cost grows with users and regions. One row per (users,
 * regions): a fresh {@code meridian demo} of those regions ({@link ManagedDemo}: own ports, own
 * data folder), then in order
 *
 * <ol>
 *   <li>CPU without users (the empty system),
 *   <li>the creation of the users (time, requests, retries, CPU and CQL per create),
 *   <li>the start-up wave: CPU right after the creation,
 *   <li>steady idle cost with the users' replicas live: CPU and Cassandra requests over one safety
 *       poll period, started a while after the creation,
 *   <li>heap used after a full GC in every region ({@code jcmd GC.run}, {@code GC.heap_info}),
 *   <li>a fixed low write rate, open loop, at the users' home regions: latency, CPU ms per write
 *       per process, CQL statements per client write,
 *   <li>after the users' replicas passivated (2 idle minutes; the nodes' live-stream gauge says
 *       when): idle CPU and heap again, so the difference is what live replicas cost;
 * </ol>
 *
 * the demo is stopped before the next row. Rows above {@code --max-replicas}, or whose creation
 * would take longer than {@code --max-create-time} at the rate measured so far, are not run; the
 * report says so and estimates them from the measured slopes. Event history per user is folded in
 * from a {@code bench recovery} run (its own process and Cassandra). Output: a JSON file and two
 * SVG charts beside it.
 */
@Command(
    name = "scaling",
    mixinStandardHelpOptions = true,
    description = {
      "Cost vs users and regions: a fresh demo per row; creation, start-up wave, idle cost (live and",
      "passivated), heap after full GC, CPU and CQL per write at a low fixed rate; recovery vs events per user.",
      "Example: ./meridian bench scaling --users 1000,10000 --regions us,eu:us,eu,ap:us,eu,ap,sa,af",
      "Output: target/bench/scaling-<timestamp>.json (or --out) and -users.svg / -regions.svg beside it."
    })
public final class ScalingBench implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");

  @Option(
      names = "--users",
      split = ",",
      defaultValue = "1000,10000,100000",
      description = "Users per row (default: ${DEFAULT-VALUE}).")
  List<Integer> users;

  @Option(
      names = "--regions",
      defaultValue = "us,eu:us,eu,ap:us,eu,ap,sa,af",
      description =
          "Region sets, ':' between sets, ',' between regions (default: ${DEFAULT-VALUE}).")
  String regionSets;

  @Option(
      names = "--max-replicas",
      defaultValue = "30000",
      description =
          "Rows with more replicas (users x regions) are not run: the 2-core machine's limit (default: ${DEFAULT-VALUE}).")
  long maxReplicas;

  @Option(
      names = "--max-create-time",
      defaultValue = "10m",
      converter = DemoCommand.DurationConverter.class,
      description =
          "Rows whose creation would take longer even at the fastest rate measured so far (rows with as many regions or fewer) are not run (default: ${DEFAULT-VALUE}).")
  Duration maxCreateTime;

  @Option(
      names = "--concurrency",
      defaultValue = "32",
      description = "Creates in flight at most (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--write-rate",
      defaultValue = "25",
      description = "Writes/s of the fixed-rate phase, open loop (default: ${DEFAULT-VALUE}).")
  double writeRate;

  @Option(
      names = "--write-duration",
      defaultValue = "20s",
      converter = DemoCommand.DurationConverter.class,
      description = "Measured time of the write phase (default: ${DEFAULT-VALUE}).")
  Duration writeDuration;

  @Option(
      names = "--write-warmup",
      defaultValue = "5s",
      converter = DemoCommand.DurationConverter.class,
      description = "Unmeasured writes before it (default: ${DEFAULT-VALUE}).")
  Duration writeWarmup;

  @Option(
      names = "--empty-sample",
      defaultValue = "10s",
      converter = DemoCommand.DurationConverter.class,
      description = "CPU sampled before any user exists (default: ${DEFAULT-VALUE}).")
  Duration emptySample;

  @Option(
      names = "--wave-sample",
      defaultValue = "20s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "CPU sampled right after the creation: the start-up wave (default: ${DEFAULT-VALUE}).")
  Duration waveSample;

  @Option(
      names = "--idle-after",
      defaultValue = "40s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "The live idle sample starts this long after the creation ended (default: ${DEFAULT-VALUE}).")
  Duration idleAfter;

  @Option(
      names = "--idle-sample",
      defaultValue = "45s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "Length of the idle samples: one safety-poll period, so every live replica polls once (default: ${DEFAULT-VALUE}).")
  Duration idleSample;

  @Option(
      names = "--passivation-wait",
      defaultValue = "240s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "After the writes: wait at most this long for the replicas to passivate, then sample idle and heap again; 0 skips it (default: ${DEFAULT-VALUE}).")
  Duration passivationWait;

  @Option(
      names = "--history",
      split = ",",
      defaultValue = "1000,10000,100000",
      description =
          "Events per user for the recovery runs (bench recovery, its own Cassandra) (default: ${DEFAULT-VALUE}).")
  List<Integer> history;

  @Option(
      names = "--history-repeat",
      defaultValue = "3",
      description = "Recoveries per size (default: ${DEFAULT-VALUE}).")
  int historyRepeat;

  @Option(names = "--no-history", description = "Skip the recovery runs.")
  boolean noHistory;

  @Option(names = "--base-http-port", defaultValue = "19181")
  int baseHttpPort;

  @Option(names = "--base-remote-port", defaultValue = "27621")
  int baseRemotePort;

  @Option(names = "--base-management-port", defaultValue = "18661")
  int baseManagementPort;

  @Option(
      names = "--ready-timeout",
      defaultValue = "300s",
      converter = DemoCommand.DurationConverter.class)
  Duration readyTimeout;

  @Option(
      names = "--region-java-option",
      description =
          "An extra JVM option for every region process (repeatable; passed to the demo).")
  List<String> regionJavaOptions = new ArrayList<>();

  @Option(
      names = "--out",
      description =
          "The JSON file (default: target/bench/scaling-<timestamp>.json); the charts beside it.")
  Path out;

  @Option(names = "--seed", description = "Random seed (default: the clock).")
  Long seed;

  @Option(
      names = "--merge",
      split = ",",
      description =
          "Run nothing: one report (--out) and its charts from the measured rows of earlier reports, in order (a later row of the same users and regions replaces an earlier one); the first report's history is kept.")
  List<Path> merge;

  private final long hz = ProcCpu.clockTicksPerSecond();

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    try {
      return run();
    } finally {
      if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)
        context.stop();
    }
  }

  private int run() throws Exception {
    if (merge != null && !merge.isEmpty()) return merge();
    List<ScalingPlan.Row> rows = ScalingPlan.rows(users, ScalingPlan.parseRegionSets(regionSets));
    Path jsonFile =
        out != null
            ? out
            : Path.of(
                "target",
                "bench",
                "scaling-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                    + ".json");
    String base = jsonFile.toString().replaceFirst("\\.json$", "");
    Path runDir = Path.of(base + "-run");
    Files.createDirectories(runDir);
    SplittableRandom random = new SplittableRandom(seed != null ? seed : System.nanoTime());
    String runId = "s" + Long.toString(System.currentTimeMillis(), 36);

    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("run", runInfo(runId, rows));
    List<Map<String, Object>> rowFigures = new ArrayList<>();
    figures.put("rows", rowFigures);
    log.info(
        "scaling {}: {} rows {}, logs and data in {}",
        runId,
        rows.size(),
        rows.stream().map(ScalingPlan.Row::label).toList(),
        runDir);
    for (int i = 0; i < rows.size(); i++) {
      ScalingPlan.Row row = rows.get(i);
      Optional<String> skip =
          ScalingPlan.skipReason(
              row, maxReplicas, fastestCreateRate(rowFigures, row), maxCreateTime);
      Map<String, Object> f;
      if (skip.isPresent()) {
        log.info("scaling: {} not run: {}", row.label(), skip.get());
        f = rowHead(row, i);
        f.put("status", "not run");
        f.put("reason", skip.get());
      } else {
        f = measureRow(row, i, runId + "r" + i, runDir, random);
      }
      rowFigures.add(f);
      Report.writeJson(jsonFile, figures); // a partial report survives an interrupted run
    }
    if (!noHistory && !history.isEmpty()) figures.put("history", history(runDir));
    figures.put("estimates", ScalingFigures.estimates(rowFigures));
    Report.writeJson(jsonFile, figures);
    Path usersChart = Path.of(base + "-users.svg");
    Path regionsChart = Path.of(base + "-regions.svg");
    ScalingChart.save(usersChart, regionsChart, rowFigures);
    log.info(ScalingFigures.summary(figures) + "figures: " + jsonFile.toAbsolutePath());
    log.info("charts: {} {}", usersChart.toAbsolutePath(), regionsChart.toAbsolutePath());
    return 0;
  }

  /** {@code --merge}: the rows of earlier reports in one report, estimates and charts again. */
  @SuppressWarnings("unchecked")
  private int merge() throws IOException {
    Map<String, Object> figures = new LinkedHashMap<>();
    Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
    List<Object> runs = new ArrayList<>();
    for (Path file : merge) {
      Map<String, Object> report = MeridianClient.JSON.readValue(file.toFile(), Map.class);
      runs.add(report.get("run"));
      if (!figures.containsKey("history") && report.get("history") != null)
        figures.put("history", report.get("history"));
      for (Map<String, Object> row : (List<Map<String, Object>>) report.get("rows")) {
        String key = row.get("users") + "x" + row.get("regions");
        if (!rows.containsKey(key) || "measured".equals(row.get("status"))) rows.put(key, row);
      }
    }
    List<Map<String, Object>> ordered = new ArrayList<>(rows.values());
    ordered.sort(
        java.util.Comparator.comparingInt((Map<String, Object> r) -> (Integer) r.get("users"))
            .thenComparingInt(r -> ((List<?>) r.get("regions")).size()));
    Map<String, Object> merged = new LinkedHashMap<>();
    merged.put("run", Map.of("mode", "scaling (merged)", "from", merge.toString(), "runs", runs));
    merged.put("rows", ordered);
    if (figures.get("history") != null) merged.put("history", figures.get("history"));
    merged.put("estimates", ScalingFigures.estimates(ordered));
    Path jsonFile = out != null ? out : Path.of("target", "bench", "scaling-merged.json");
    Report.writeJson(jsonFile, merged);
    String base = jsonFile.toString().replaceFirst("\\.json$", "");
    ScalingChart.save(Path.of(base + "-users.svg"), Path.of(base + "-regions.svg"), ordered);
    log.info(ScalingFigures.summary(merged) + "figures: " + jsonFile.toAbsolutePath());
    return 0;
  }

  private Map<String, Object> runInfo(String runId, List<ScalingPlan.Row> rows) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("runId", runId);
    info.put("mode", "scaling");
    info.put("startedAt", java.time.Instant.now().toString());
    info.put("rows", rows.stream().map(ScalingPlan.Row::label).toList());
    info.put("maxReplicas", maxReplicas);
    info.put("maxCreateTimeSeconds", maxCreateTime.toSeconds());
    info.put("createConcurrency", concurrency);
    info.put("writeRate", writeRate);
    info.put("writeSeconds", writeDuration.toMillis() / 1000.0);
    info.put("writeWarmupSeconds", writeWarmup.toMillis() / 1000.0);
    info.put("emptySampleSeconds", emptySample.toSeconds());
    info.put("waveSampleSeconds", waveSample.toSeconds());
    info.put("idleAfterSeconds", idleAfter.toSeconds());
    info.put("idleSampleSeconds", idleSample.toSeconds());
    info.put("passivationWaitSeconds", passivationWait.toSeconds());
    info.put("regionJvmFlags", DemoCommand.MEASURED_JVM_FLAGS);
    info.put("regionJavaOptions", regionJavaOptions);
    info.put("availableProcessors", Runtime.getRuntime().availableProcessors());
    info.put(
        "how",
        "per row a fresh demo (own ports and data folder); CPU from /proc/<pid>/stat, Cassandra's requests from its system_views counters, live replicas from meridian_replication_live_streams / (regions - 1), heap from jcmd GC.run then GC.heap_info; load average from /proc/loadavg at each phase");
    return info;
  }

  /**
   * The fastest creation rate measured so far in rows with as many regions as {@code row}'s or
   * fewer: a row is skipped only if even the best rate seen could not create its users in time (the
   * rate swings with the machine's load; the creation deadline catches the rest).
   */
  private static Double fastestCreateRate(List<Map<String, Object>> done, ScalingPlan.Row row) {
    Double fastest = null;
    for (Map<String, Object> f : done) {
      if (!"measured".equals(f.get("status"))) continue;
      if (((List<?>) f.get("regions")).size() > row.regions().size()) continue;
      @SuppressWarnings("unchecked")
      Map<String, Object> creation = (Map<String, Object>) f.get("creation");
      double rate = ((Number) creation.get("perSecond")).doubleValue();
      if (fastest == null || rate > fastest) fastest = rate;
    }
    return fastest;
  }

  private Map<String, Object> rowHead(ScalingPlan.Row row, int index) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("row", index);
    f.put("users", row.users());
    f.put("regions", row.regions());
    f.put("loadAverageAtStart", loadAverage());
    return f;
  }

  /** One row, start to stop; a failure is recorded with the phase it happened in. */
  private Map<String, Object> measureRow(
      ScalingPlan.Row row, int index, String rowRunId, Path runDir, SplittableRandom random) {
    Map<String, Object> f = rowHead(row, index);
    List<Map<String, Object>> exits = new CopyOnWriteArrayList<>();
    ManagedDemo.Layout layout =
        new ManagedDemo.Layout(
            row.regions(),
            baseHttpPort + 10 * index,
            baseRemotePort + 10 * index,
            baseManagementPort + 10 * index,
            runDir.resolve("row" + index + "-data").toAbsolutePath(),
            runDir.resolve("row" + index + "-demo.log").toAbsolutePath(),
            regionJavaOptions);
    f.put("demoLog", layout.logFile().toString());
    f.put("baseHttpPort", layout.baseHttpPort());
    String phase = "start the demo";
    long started = System.nanoTime();
    log.info("scaling: row {} ({}) starting", index, row.label());
    ManagedDemo demo = null;
    try {
      demo =
          ManagedDemo.launch(
              layout,
              (ProcessExit e) ->
                  exits.add(
                      Map.of("atMillis", e.atMillis(), "region", e.region(), "detail", e.detail())),
              log::info);
      Endpoints endpoints = demo.awaitReady(readyTimeout);
      f.put("demoReadySeconds", Report.round((System.nanoTime() - started) / 1e9));
      phase = "discover";
      HttpClient http = MeridianClient.newHttpClient();
      Target target =
          Target.discover(List.copyOf(endpoints.regions().values()), http, endpoints.apiToken());
      MeridianClient client = new MeridianClient(http, target, rowRunId, endpoints.apiToken());
      String cassandraAt = "127.0.0.1:" + endpoints.cassandraPort();
      try (CassandraSide cassandra = CassandraSide.connect(cassandraAt, "datacenter1")) {
        Row r = new Row(row, target, client, cassandra, cassandraAt, f, random);
        log.info("scaling: CPU accounting for {}", r.processes);
        phase = "empty idle";
        f.put("emptyIdle", r.sample("empty system (no users)", emptySample));
        phase = "create users";
        long createdAt = r.create();
        phase = "start-up wave";
        f.put("wave", r.sample("start-up wave (right after the creation)", waveSample));
        phase = "live idle";
        sleepUntil(createdAt + idleAfter.toNanos());
        f.put("liveIdle", r.sample("idle, replicas live", idleSample));
        phase = "heap (live)";
        f.put("heapLive", r.heap());
        phase = "writes";
        f.put("writes", r.writes());
        if (!passivationWait.isZero()) {
          phase = "passivation";
          f.put("passivation", r.awaitPassivation(passivationWait));
          phase = "passivated idle";
          f.put("passivatedIdle", r.sample("idle, replicas passivated", idleSample));
          phase = "heap (passivated)";
          f.put("heapPassivated", r.heap());
        }
        f.put("regionStatusWorst", r.worstRegionStatus);
      }
      f.put("status", "measured");
      f.put("derived", ScalingFigures.derived(f));
    } catch (Exception | Error e) {
      log.warn("scaling: row {} ({}) failed in '{}': {}", index, row.label(), phase, e.toString());
      f.put("status", "failed");
      f.put("failedIn", phase);
      f.put("failure", String.valueOf(e.getMessage() != null ? e.getMessage() : e.toString()));
    } finally {
      f.put("regionProcessExits", exits);
      f.put("loadAverageAtEnd", loadAverage());
      if (demo != null) {
        log.info("scaling: stopping the demo of row {}", index);
        demo.close();
      }
      f.put("rowSeconds", Report.round((System.nanoTime() - started) / 1e9));
    }
    return f;
  }

  /** A running row: its system, and the samples taken on it. */
  private final class Row {
    final ScalingPlan.Row row;
    final Target target;
    final MeridianClient client;
    final CassandraSide cassandra;
    final String cassandraAt;
    final Map<String, Object> figures;

    /** The processes measured; found again before each phase, so a restarted region counts. */
    List<ProcCpu.Proc> processes;

    final SplittableRandom random;

    /**
     * Per region, the lowest meridian_region_status any region reported (2 up, 1 suspect, 0 down).
     */
    final Map<String, Double> worstRegionStatus = new java.util.TreeMap<>();

    Row(
        ScalingPlan.Row row,
        Target target,
        MeridianClient client,
        CassandraSide cassandra,
        String cassandraAt,
        Map<String, Object> figures,
        SplittableRandom random) {
      this.row = row;
      this.target = target;
      this.client = client;
      this.cassandra = cassandra;
      this.cassandraAt = cassandraAt;
      this.figures = figures;
      this.random = random;
      this.processes = ProcCpu.discover(target, Optional.of(cassandraAt));
    }

    /**
     * Finds the processes again (a region falsely declared down exits and the demo restarts it
     * under another pid); a phase in which one restarted leaves it out ("process started during the
     * phase") rather than counting a stale pid.
     */
    void refresh() {
      List<ProcCpu.Proc> now = ProcCpu.discover(target, Optional.of(cassandraAt));
      if (!now.equals(processes)) log.info("scaling: processes now {}", now);
      processes = now;
    }

    /** Creates the users; returns when the creation ended (System.nanoTime). */
    long create() throws InterruptedException {
      refresh();
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("loadAverageBefore", loadAverage());
      ProcCpu.Sample cpuBefore = ProcCpu.sample(processes);
      CassandraSide.Counters before = cassandra.counters();
      MeridianClient.Creation creation =
          client.createUsers(
              row.users(), concurrency, MeridianClient.creationDeadline(row.users()), random);
      long end = System.nanoTime();
      ProcCpu.Sample cpuAfter = ProcCpu.sample(processes);
      CassandraSide.Counters after = cassandra.counters();
      CassandraSide.Rates rates = CassandraSide.rates(before, after);
      f.put("seconds", Report.round(creation.millis() / 1000.0));
      f.put("perSecond", Report.round(creation.perSecond()));
      f.put("requests", creation.attempts());
      f.put("retried", creation.retried());
      f.put("deadlineSeconds", creation.deadline().toSeconds());
      f.put("concurrency", concurrency);
      f.put("cpu", ProcCpu.cost(cpuBefore, cpuAfter, row.users(), hz));
      f.put(
          "cqlStatementsPerCreate",
          Report.round(rates.statementsPerSecond() * rates.seconds() / row.users()));
      f.put("loadAverageAfter", loadAverage());
      f.put(
          "how",
          "POST /v1/users at the user's home region, at most "
              + concurrency
              + " in flight, an Idempotency-Key per user kept for its retries (503, 429, 408, no answer; back-off 100 ms-2 s), deadline 120 s + 50 ms per user");
      figures.put("creation", f);
      return end;
    }

    /** CPU of every process, Cassandra's requests and the live replicas over {@code length}. */
    Map<String, Object> sample(String what, Duration length) throws InterruptedException {
      refresh();
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("what", what);
      f.put("loadAverageBefore", loadAverage());
      Map<String, Double> liveBefore = liveReplicas();
      ProcCpu.Sample cpuBefore = ProcCpu.sample(processes);
      CassandraSide.Counters before = cassandra.counters();
      Thread.sleep(length.toMillis());
      ProcCpu.Sample cpuAfter = ProcCpu.sample(processes);
      CassandraSide.Counters after = cassandra.counters();
      Map<String, Double> liveAfter = liveReplicas();
      CassandraSide.Rates rates = CassandraSide.rates(before, after);
      f.put("cpu", ProcCpu.cost(cpuBefore, cpuAfter, 0, hz));
      f.put("cqlStatementsPerSecond", Report.round(rates.statementsPerSecond()));
      f.put("journalReadsPerSecond", Report.round(rates.reads(journals()::contains)));
      f.put("liveReplicasBefore", liveBefore);
      f.put("liveReplicasAfter", liveAfter);
      f.put("loadAverageAfter", loadAverage());
      log.info(
          "scaling: {}: regions {} cores, Cassandra {} cores, {} CQL/s, live replicas {} -> {}, load {}",
          what,
          ScalingFigures.regionsCores(f),
          ScalingFigures.processCores(f, "cassandra"),
          f.get("cqlStatementsPerSecond"),
          liveBefore,
          liveAfter,
          f.get("loadAverageAfter"));
      return f;
    }

    private java.util.Set<String> journals() {
      java.util.Set<String> journals = new java.util.HashSet<>();
      for (String region : target.names()) journals.add("meridian_" + region + ".messages");
      return journals;
    }

    /**
     * Live replicas per region: its live replication streams / (regions - 1); also remembers the
     * worst region status seen.
     */
    Map<String, Double> liveReplicas() {
      Map<String, Double> out = new LinkedHashMap<>();
      int others = Math.max(1, target.names().size() - 1);
      for (Target.Region region : target.regions) {
        PromText scrape = scrape(region.endpoint());
        double streams =
            scrape.by("meridian_replication_live_streams", "region", Map.of()).values().stream()
                .mapToDouble(Double::doubleValue)
                .sum();
        out.put(region.name(), Report.round(streams / others));
        scrape
            .by("meridian_region_status", "of", Map.of())
            .forEach((of, v) -> worstRegionStatus.merge(of, v, Math::min));
      }
      return out;
    }

    private PromText scrape(URI endpoint) {
      try {
        var response = client.getText(endpoint.resolve("/metrics"));
        return response.statusCode() == 200 ? PromText.parse(response.body()) : PromText.empty();
      } catch (IOException e) {
        return PromText.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return PromText.empty();
      }
    }

    /** Per region: heap used after a full GC, and the live replicas at that moment. */
    Map<String, Object> heap() {
      refresh();
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Double> live = liveReplicas();
      for (ProcCpu.Proc proc : processes) {
        if (!proc.name().startsWith("region ")) continue;
        String region = proc.name().substring("region ".length());
        Map<String, Object> f = new LinkedHashMap<>();
        try {
          jcmd(proc.pid(), "GC.run");
          String info = jcmd(proc.pid(), "GC.heap_info");
          Optional<Long> kb = ScalingPlan.heapUsedKb(info);
          f.put("heapUsedAfterFullGcMb", kb.map(k -> Report.round(k / 1024.0)).orElse(null));
          if (kb.isEmpty()) f.put("heapInfo", info);
        } catch (IOException | RuntimeException e) {
          f.put("error", e.toString());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          f.put("error", "interrupted");
        }
        f.put("liveReplicas", live.get(region));
        out.put(region, f);
      }
      log.info("scaling: heap after full GC {}", out);
      return out;
    }

    /**
     * {@code --write-rate} writes/s (profile, points, devices) at the users' home regions, open
     * loop: {@code --write-warmup} unmeasured, then {@code --write-duration} measured with CPU and
     * Cassandra's requests.
     */
    Map<String, Object> writes() throws InterruptedException {
      refresh();
      Workload.Source source = Workload.WRITES.source(random.nextLong(), row.users());
      Map<String, URI> endpointOf = new LinkedHashMap<>();
      for (Target.Region region : target.regions) endpointOf.put(region.name(), region.endpoint());
      LoadGenerator.Sender sender = op -> client.send(op, endpointOf.get(client.homeOf(op.user())));
      OpenLoop openLoop = new OpenLoop(2000, Duration.ofSeconds(15));
      if (!writeWarmup.isZero())
        openLoop.step(writeRate, Duration.ZERO, writeWarmup, source::next, sender);
      // 5 s without load just before: the live replicas' own cost (CPU, safety polls) then,
      // subtracted to give the marginal cost per write.
      CassandraSide.Counters idleCountersBefore = cassandra.counters();
      Map<String, Object> idleBefore = sampleCpuOnly(Duration.ofSeconds(5));
      CassandraSide.Rates idleRates = CassandraSide.rates(idleCountersBefore, cassandra.counters());
      Object loadBefore = loadAverage();
      ProcCpu.Sample cpuBefore = ProcCpu.sample(processes);
      CassandraSide.Counters before = cassandra.counters();
      OpenLoop.Step step =
          openLoop.step(writeRate, Duration.ZERO, writeDuration, source::next, sender);
      ProcCpu.Sample cpuAfter = ProcCpu.sample(processes);
      CassandraSide.Counters after = cassandra.counters();
      Map<String, Object> f = OpenLoop.figures(step);
      Map<String, Object> cpu = ProcCpu.cost(cpuBefore, cpuAfter, step.ok(), hz);
      ProcCpu.addMarginal(cpu, idleBefore);
      f.put("cpu", cpu);
      CassandraSide.Rates rates = CassandraSide.rates(before, after);
      double statements = rates.statementsPerSecond() * rates.seconds();
      double journalWrites = rates.writes(journals()::contains) * rates.seconds();
      double journalReads = rates.reads(journals()::contains) * rates.seconds();
      f.put(
          "cqlStatementsPerClientWrite",
          step.ok() > 0 ? Report.round(statements / step.ok()) : null);
      f.put(
          "marginalCqlStatementsPerClientWrite",
          step.ok() > 0
              ? Report.round(
                  (statements - idleRates.statementsPerSecond() * rates.seconds()) / step.ok())
              : null);
      f.put("idleCqlStatementsPerSecondBefore", Report.round(idleRates.statementsPerSecond()));
      f.put(
          "journalWritesPerClientWrite",
          step.ok() > 0 ? Report.round(journalWrites / step.ok()) : null);
      f.put(
          "journalReadsPerClientWrite",
          step.ok() > 0 ? Report.round(journalReads / step.ok()) : null);
      f.put("loadAverageBefore", loadBefore);
      f.put("loadAverageAfter", loadAverage());
      f.put(
          "how",
          "open loop at the users' home regions (workload writes: profile, points, devices), latency from the intended send time; CPU per write = process CPU / acknowledged writes, marginal = minus the 5 s idle sample just before; CQL per client write from Cassandra's counters (marginal: minus the statements/s of the 5 s idle sample, i.e. the live replicas' safety polls)");
      log.info(
          "scaling: {} writes/s: p50 {} ms, p99 {} ms, regions {} CPU ms/write, {} CQL/write",
          writeRate,
          ((Map<?, ?>) f.get("latency")).get("p50Millis"),
          ((Map<?, ?>) f.get("latency")).get("p99Millis"),
          ScalingFigures.regionsCpuPerOp(cpu),
          f.get("cqlStatementsPerClientWrite"));
      return f;
    }

    private Map<String, Object> sampleCpuOnly(Duration length) throws InterruptedException {
      ProcCpu.Sample before = ProcCpu.sample(processes);
      Thread.sleep(length.toMillis());
      return ProcCpu.cost(before, ProcCpu.sample(processes), 0, hz);
    }

    /**
     * Waits until the live replicas have gone (at most 1 % of the peak left in every region) or
     * {@code max} passed, polling the gauge every 5 s.
     */
    Map<String, Object> awaitPassivation(Duration max) throws InterruptedException {
      long start = System.nanoTime();
      Map<String, Double> first = liveReplicas();
      double peak = first.values().stream().mapToDouble(Double::doubleValue).sum();
      Map<String, Double> now = first;
      while (System.nanoTime() - start < max.toNanos()) {
        double left = now.values().stream().mapToDouble(Double::doubleValue).sum();
        if (left <= Math.max(1, peak * 0.01)) break;
        Thread.sleep(5_000);
        now = liveReplicas();
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("liveReplicasAtStart", first);
      f.put("liveReplicasAtEnd", now);
      f.put("waitedSeconds", Report.round((System.nanoTime() - start) / 1e9));
      f.put(
          "rule",
          "wait until at most 1% of the live replicas are left (idle-entity.timeout 2 min) or --passivation-wait");
      log.info(
          "scaling: passivation: live replicas {} -> {} in {} s",
          first,
          now,
          f.get("waitedSeconds"));
      return f;
    }
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Process p =
        new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + pid + " " + command + " did not finish in 60 s");
    }
    if (p.exitValue() != 0)
      throw new IOException(
          "jcmd " + pid + " " + command + " exited " + p.exitValue() + ": " + output);
    return output;
  }

  /**
   * {@code bench recovery} in a child process (same class path and flags as the regions, its own
   * Cassandra): recovery time vs events per user; its figures folded in.
   */
  private Map<String, Object> history(Path runDir) {
    Map<String, Object> f = new LinkedHashMap<>();
    Path json = runDir.resolve("recovery.json").toAbsolutePath();
    Path logFile = runDir.resolve("recovery.log").toAbsolutePath();
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(DemoCommand.MEASURED_JVM_FLAGS);
    String cassandraClasspath = System.getProperty("cassandra.classpath.file");
    if (cassandraClasspath != null) command.add("-Dcassandra.classpath.file=" + cassandraClasspath);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "io.meridian.Main",
            "bench",
            "recovery",
            "--events",
            String.join(",", history.stream().map(String::valueOf).toList()),
            "--repeat",
            Integer.toString(historyRepeat),
            "--out",
            json.toString()));
    f.put(
        "command", "./meridian bench recovery --events " + history + " --repeat " + historyRepeat);
    f.put("loadAverageAtStart", loadAverage());
    log.info("scaling: recovery vs events per user (bench recovery, log {})", logFile);
    long start = System.nanoTime();
    Process p = null;
    try {
      p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
      p.getOutputStream().close();
      if (!p.waitFor(20, TimeUnit.MINUTES)) {
        f.put("status", "failed");
        f.put("failure", "did not finish in 20 minutes");
      } else if (p.exitValue() != 0 || !Files.exists(json)) {
        f.put("status", "failed");
        f.put("failure", "exited " + p.exitValue() + "; see " + logFile);
      } else {
        f.put("status", "measured");
        f.put("bySize", MeridianClient.JSON.readValue(json.toFile(), Map.class));
      }
    } catch (IOException e) {
      f.put("status", "failed");
      f.put("failure", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.put("status", "failed");
      f.put("failure", "interrupted");
    } finally {
      if (p != null && p.isAlive()) {
        p.destroy();
        try {
          if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (InterruptedException e) {
          p.destroyForcibly();
        }
      }
    }
    f.put("seconds", Report.round((System.nanoTime() - start) / 1e9));
    f.put("log", logFile.toString());
    f.put("loadAverageAtEnd", loadAverage());
    return f;
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
  }

  /** The 1, 5 and 15 minute load averages, or null off Linux. */
  static List<Double> loadAverage() {
    try {
      return ScalingPlan.loadAverage(Files.readString(Path.of("/proc/loadavg")));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
