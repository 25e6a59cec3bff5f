package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.faults.Blackhole;
import io.meridian.tools.demo.DemoCommand;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./meridian chaos}: a seeded fault plan and a mixed workload against the three-region
 * system, a recorded history, and a checker over it (docs/testing.md). Starts the system itself as
 * {@code ./meridian demo} does, on its own ports, or attaches to a running one. Exit status 0 only
 * when the checker finds no anomaly.
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
      "Randomized faults, a mixed workload and a history checker (see docs/testing.md).",
      "Example: ./meridian chaos --duration 40s --seed 51 --faults kill,admin-down-up,move,pause-region",
      "         ./meridian chaos --attach --endpoints us=http://127.0.0.1:8081,eu=http://127.0.0.1:8082,ap=http://127.0.0.1:8083 --admin-token $MERIDIAN_ADMIN_TOKEN --api-token $MERIDIAN_API_TOKEN"
    })
public final class ChaosCommand implements Callable<Integer> {
  /**
   * Progress and verdict: one line each, through SLF4J (the launcher's logback prints them on the
   * terminal).
   */
  private static final Logger log = LoggerFactory.getLogger("meridian.chaos");

  @Option(
      names = "--duration",
      defaultValue = "60s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "How long the clients write and faults are injected (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--seed",
      description = "Seed of the fault plan and the workload (default: the clock; printed).")
  Long seed;

  @Option(
      names = "--rate",
      defaultValue = "30",
      description = "Operations per second over all clients (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--clients",
      defaultValue = "4",
      description = "Client threads (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(
      names = "--users",
      defaultValue = "12",
      description =
          "Users the clients share, homes spread over the regions (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(
      names = "--faults",
      split = ",",
      description =
          "Fault kinds: kill, pause-region, pause-cassandra, admin-down-up, move, partition, asymmetric-partition (default: all).")
  List<String> faults;

  @Option(
      names = "--settle",
      defaultValue = "60s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "Time allowed for convergence after the last fault healed and the clients stopped (default: ${DEFAULT-VALUE}).")
  Duration settle;

  @Option(
      names = "--out",
      description =
          "Folder for history.jsonl, report.json, timeline.png (default: target/chaos/<timestamp>).")
  Path out;

  @Option(
      names = "--attach",
      description =
          "Use a running system (--endpoints, --api-token, --admin-token) instead of starting one.")
  boolean attach;

  @Option(
      names = "--endpoints",
      split = ",",
      description = "With --attach: region=http://host:port,...")
  List<String> endpointList;

  @Option(
      names = "--admin-token",
      description = "With --attach: the admin token (default: $MERIDIAN_ADMIN_TOKEN).")
  String adminToken;

  @Option(
      names = "--api-token",
      description =
          "With --attach: the token of the clients' requests, scopes read, write, payments (default: $MERIDIAN_API_TOKEN).")
  String apiToken;

  @Option(
      names = "--cassandra-port",
      defaultValue = "0",
      description = "With --attach: Cassandra's CQL port on this machine, for pause-cassandra.")
  int cassandraPort;

  @Option(
      names = "--regions",
      split = ",",
      defaultValue = "us,eu,ap",
      description = "Regions of the system chaos starts (default: ${DEFAULT-VALUE}).")
  List<String> regions;

  @Option(
      names = "--base-http-port",
      defaultValue = "8281",
      description =
          "HTTP port of the first region chaos starts; apart from the demo's 8081 (default: ${DEFAULT-VALUE}).")
  int baseHttpPort;

  @Option(names = "--base-remote-port", defaultValue = "25621")
  int baseRemotePort;

  @Option(names = "--base-management-port", defaultValue = "8661")
  int baseManagementPort;

  @Option(
      names = "--data-dir",
      defaultValue = ".meridian/chaos",
      description = "Data and logs of the system chaos starts (wiped at start).")
  Path dataDir;

  @Option(
      names = "--ready-timeout",
      defaultValue = "240s",
      converter = DemoCommand.DurationConverter.class)
  Duration readyTimeout;

  @Option(
      names = "--recheck",
      description =
          "Check a finished run's folder again (history.jsonl, final-state.json, report.json) without running anything.")
  Path recheck;

  private final ObjectMapper json = new ObjectMapper();
  private final AtomicBoolean cleanedUp = new AtomicBoolean();
  private volatile ManagedDemo demo;
  private volatile FaultInjector injector;

  @Override
  public Integer call() throws Exception {
    try {
      return run();
    } finally {
      // The logger is asynchronous: flush the verdict before the JVM exits.
      if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)
        context.stop();
    }
  }

  private Integer run() throws Exception {
    if (recheck != null) return recheck(recheck);
    long runSeed = seed != null ? seed : System.currentTimeMillis();
    Path outDir =
        out != null
            ? out
            : Path.of(
                "target",
                "chaos",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Files.createDirectories(outDir);
    log.info(
        String.format(
            "chaos: seed %d (replay with --seed %d); output in %s",
            runSeed, runSeed, outDir.toAbsolutePath()));
    Thread hook = new Thread(this::cleanUp, "chaos-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (History history = new History(outDir.resolve("history.jsonl"), json)) {
      Endpoints endpoints = attach ? attachedEndpoints() : startSystem(outDir, history);
      List<String> planRegions = endpoints.regionNames();
      FaultPlan plan = FaultPlan.of(runSeed, duration, kinds(endpoints), planRegions, users);
      log.info(
          String.format(
              "chaos: plan of %d faults over %d s:", plan.faults().size(), duration.toSeconds()));
      for (PlannedFault fault : plan.faults())
        log.info(
            String.format(
                "  t=%5.1fs..%5.1fs  %-15s %s%s",
                fault.atMillis() / 1000.0,
                fault.healAtMillis() / 1000.0,
                fault.kind().label(),
                fault.region(),
                fault.userIndex() >= 0 ? " (user #" + fault.userIndex() + ")" : ""));
      return run(plan, endpoints, history, outDir, runSeed);
    } finally {
      cleanUp();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs already
      }
    }
  }

  private int run(FaultPlan plan, Endpoints endpoints, History history, Path outDir, long runSeed)
      throws Exception {
    MeridianHttp http = new MeridianHttp(endpoints, json, Duration.ofSeconds(5));
    RecordingClient requests = new RecordingClient(http, history);
    if (!new RegionHealth(http).awaitAllUp(readyTimeout))
      throw new IllegalStateException("not every region is up after " + readyTimeout);
    String tag =
        Long.toString(Math.abs(runSeed) % 1_000_000L, 36)
            + Long.toString(System.currentTimeMillis() % 100_000L, 36);
    Workload workload = new Workload(requests, plan.regions(), users, runSeed, tag, log::info);
    workload.createUsers(Duration.ofSeconds(120));
    injector = new FaultInjector(plan, requests, history, workload.users(), log::info);

    RegionStatusWatcher watcher = new RegionStatusWatcher(http, history);
    watcher.start();
    long t0Millis = System.currentTimeMillis();
    long t0Nanos = System.nanoTime();
    log.info(
        String.format(
            "chaos: %d clients, %.0f ops/s, %d users, for %d s",
            clients, rate, users, duration.toSeconds()));
    workload.start(clients, rate);
    Thread faults =
        new Thread(
            () -> {
              try {
                injector.run(t0Nanos);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "chaos-injector");
    faults.start();
    long end = t0Nanos + duration.toNanos();
    while (System.nanoTime() < end) {
      TimeUnit.MILLISECONDS.sleep(
          Math.min(
              10_000,
              Math.max(
                  1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())))); // progress period
      printProgress(history.snapshot(), t0Nanos);
    }
    faults.join(); // a fault may still be healing: the clients keep writing meanwhile
    workload.stop();
    injector.healAll();
    long stoppedAt = System.currentTimeMillis();
    log.info(
        String.format(
            "chaos: workload stopped; waiting up to %d s for every region to be up and identical",
            settle.toSeconds()));

    Convergence convergence = new Convergence(http);
    Convergence.Result settled =
        convergence.await(workload.users(), Math.max(stoppedAt, injector.lastHealMillis()), settle);
    watcher.close();
    log.info(
        String.format(
            "chaos: %s after %d ms",
            settled.converged() ? "converged" : "NOT converged", settled.millis()));
    History.Snapshot snapshot = history.snapshot();
    FinalState state =
        new FinalState(
            settled.documents(),
            convergence.lookUpPayments(snapshot),
            settled.converged(),
            settled.millis(),
            settle.toMillis());
    Verdict verdict = new HistoryChecker(plan.regions()).check(snapshot, state);

    json.writeValue(outDir.resolve("final-state.json").toFile(), state);
    ChaosReport report = ChaosReport.of(plan, options(), snapshot, state, verdict);
    report.write(outDir.resolve("report.json"), json);
    TimelineChart.save(outDir.resolve("timeline.png"), snapshot, t0Millis, plan.regions());
    printVerdict(report, outDir);
    return verdict.pass() ? 0 : 1;
  }

  /** The checker again over a recorded run (after the checker changed, or to study a failure). */
  private int recheck(Path dir) throws Exception {
    History.Snapshot snapshot = History.read(dir.resolve("history.jsonl"), json);
    FinalState state = json.readValue(dir.resolve("final-state.json").toFile(), FinalState.class);
    var previous = json.readTree(dir.resolve("report.json").toFile());
    List<String> regionOrder =
        json.convertValue(
            previous.path("regions"),
            json.getTypeFactory().constructCollectionType(List.class, String.class));
    Verdict verdict = new HistoryChecker(regionOrder).check(snapshot, state);
    log.info(
        String.format(
            "chaos: %s on recheck of %s (seed %d)",
            verdict.pass() ? "PASS" : "FAIL", dir, previous.path("seed").asLong()));
    for (Anomaly anomaly : verdict.anomalies())
      log.info(
          String.format("  %-28s %-18s %s", anomaly.check(), anomaly.subject(), anomaly.detail()));
    return verdict.pass() ? 0 : 1;
  }

  private Endpoints startSystem(Path outDir, History history) throws Exception {
    // The partition switches (docs/testing.md): the chaos-only admin endpoint and Artery's test
    // mode,
    // for the processes chaos starts only; both are off in ./meridian demo and in production.
    List<String> switches =
        List.of(
            "-D" + Blackhole.ENABLED_KEY + "=on", "-Dpekko.remote.artery.advanced.test-mode=on");
    var layout =
        new ManagedDemo.Layout(
            regions,
            baseHttpPort,
            baseRemotePort,
            baseManagementPort,
            dataDir,
            outDir.resolve("demo.log"),
            switches);
    demo = ManagedDemo.launch(layout, history::record, log::info);
    Endpoints endpoints = demo.awaitReady(readyTimeout);
    log.info(
        String.format(
            "chaos: system up (demo pid %d, Cassandra on port %d)",
            demo.pid(), endpoints.cassandraPort()));
    return endpoints;
  }

  private Endpoints attachedEndpoints() {
    if (endpointList == null || endpointList.isEmpty())
      throw new IllegalArgumentException("--attach needs --endpoints region=http://host:port,...");
    Map<String, URI> uris = new LinkedHashMap<>();
    for (String entry : endpointList) {
      String[] parts = entry.split("=", 2);
      if (parts.length != 2)
        throw new IllegalArgumentException(
            "--endpoints entries look like us=http://127.0.0.1:8081, not " + entry);
      uris.put(parts[0].trim(), URI.create(parts[1].trim()));
    }
    String token =
        adminToken != null ? adminToken : System.getenv().getOrDefault("MERIDIAN_ADMIN_TOKEN", "");
    String clientToken =
        apiToken != null ? apiToken : System.getenv().getOrDefault("MERIDIAN_API_TOKEN", "");
    if (clientToken.isBlank())
      throw new IllegalArgumentException(
          "--attach needs --api-token (or MERIDIAN_API_TOKEN): every /v1 request carries one");
    return new Endpoints(uris, token, clientToken, cassandraPort);
  }

  private List<FaultKind> kinds(Endpoints endpoints) {
    if (faults == null || faults.isEmpty()) {
      // pause-cassandra needs to know Cassandra's port, partitions the chaos switch: both are given
      // when chaos started the system; attached, only what is asked for explicitly.
      return FaultKind.all().stream()
          .filter(k -> k != FaultKind.PAUSE_CASSANDRA || endpoints.cassandraPort() > 0)
          .filter(k -> !attach || (k != FaultKind.PARTITION && k != FaultKind.ASYMMETRIC_PARTITION))
          .toList();
    }
    List<FaultKind> kinds = faults.stream().map(FaultKind::parse).distinct().toList();
    if (kinds.contains(FaultKind.PAUSE_CASSANDRA) && endpoints.cassandraPort() <= 0)
      throw new IllegalArgumentException("pause-cassandra needs --cassandra-port with --attach");
    if (kinds.contains(FaultKind.ADMIN_DOWN_UP) && endpoints.adminToken().isBlank())
      throw new IllegalArgumentException("admin-down-up needs --admin-token with --attach");
    return kinds;
  }

  private Map<String, Object> options() {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("duration", duration.toString());
    options.put("rate", rate);
    options.put("clients", clients);
    options.put("users", users);
    options.put("settle", settle.toString());
    options.put("attach", attach);
    return options;
  }

  private static void printProgress(History.Snapshot history, long t0Nanos) {
    Map<Outcome, Integer> counts = new java.util.EnumMap<>(Outcome.class);
    for (Operation op : history.operations()) counts.merge(op.outcome(), 1, Integer::sum);
    log.info(
        String.format(
            "chaos: t=%ds  %d ok, %d failed, %d indeterminate, %d faults done",
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0Nanos),
            counts.getOrDefault(Outcome.OK, 0),
            counts.getOrDefault(Outcome.FAILED, 0),
            counts.getOrDefault(Outcome.INDETERMINATE, 0),
            history.faults().size()));
  }

  private static void printVerdict(ChaosReport report, Path outDir) {
    log.info(
        String.format(
            "chaos: %s  (seed %d; %d users checked; operations %s; converged in %d ms; %d false downs)",
            report.verdict(),
            report.seed(),
            report.usersChecked(),
            report.operations(),
            report.convergenceMillis(),
            report.falseDowns()));
    for (ChaosReport.FaultImpact impact : report.faultImpact()) {
      log.info(
          String.format(
              "  fault %-20s %-9s %6d ms: %d ok, %d failed, %d indeterminate; longest without an acknowledged write %d ms",
              impact.kind(),
              impact.region(),
              impact.durationMillis(),
              impact.ok(),
              impact.failed(),
              impact.indeterminate(),
              impact.longestWithoutOkWriteMillis()));
    }
    for (Anomaly anomaly : report.anomalies())
      log.info(
          String.format("  %-28s %-18s %s", anomaly.check(), anomaly.subject(), anomaly.detail()));
    log.info(
        String.format(
            "chaos: history %s, report %s, chart %s",
            outDir.resolve("history.jsonl"),
            outDir.resolve("report.json"),
            outDir.resolve("timeline.png")));
  }

  /** Heals what is still faulty and stops what chaos started; after the run and on Ctrl-C, once. */
  private void cleanUp() {
    if (!cleanedUp.compareAndSet(false, true)) return;
    FaultInjector faults = injector;
    if (faults != null) faults.healAll();
    ManagedDemo system = demo;
    if (system != null) {
      log.info("chaos: stopping the system it started");
      system.close();
    }
  }
}
