package io.meridian.tools.bench;

import io.meridian.tools.demo.DemoCommand;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./meridian bench}: drives a running Meridian (the demo by default) over HTTP, measures
 * latency, throughput and replication lag, and in the same run two single-region baselines on the
 * same Cassandra, so the ratios hold on a noisy machine. Writes a summary to the log, all figures
 * to a JSON file and a chart next to it. Bounded in time; it stops by itself.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    subcommands = {RecoveryBench.class, FollowTheSunBench.class, ScalingBench.class},
    description = {
      "Benchmarks a running Meridian (by default ./meridian demo on this machine) against single-region baselines.",
      "Workloads: writes, reads, mixed (half reads), payments, failover-drill (kills a region's process mid-run).",
      "Examples:",
      "  ./meridian bench --workload mixed --duration 30s",
      "  ./meridian bench --workload writes --users 300 --concurrency 32",
      "  ./meridian bench --workload reads --rate 500 --no-baselines",
      "  ./meridian bench --workload writes --rates 25,50,100,200 --rate-duration 15s \\",
      "      --p99-bound 50ms --no-baselines   (open-loop latency curve, max sustainable rate)",
      "  ./meridian bench --workload failover-drill        (kills us; auto-down)",
      "  ./meridian bench --workload failover-drill --kill-region eu \\",
      "      --admin-token <token from the demo banner>",
      "Every request carries --api-token (default: $MERIDIAN_API_TOKEN, else the demo banner's via --demo-log).",
      "  ./meridian bench --cassandra 127.0.0.1:9042 \\",
      "      --endpoints http://127.0.0.1:9081,http://127.0.0.1:9082,http://127.0.0.1:9083",
      "  ./meridian bench recovery        (recovery time without snapshots: 1k, 10k, 100k events)",
      "  ./meridian bench follow-the-sun  (a cohort of 1k and 10k users handed to the next region under writes)",
      "  ./meridian bench scaling         (cost vs users and regions, a fresh demo per row)",
      "Output: a summary in the log, all figures in target/bench/<timestamp>.json",
      "(or --out) and a chart beside it (.png).",
      ""
    })
public final class BenchCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");
  private static final Pattern CASSANDRA_IN_BANNER = Pattern.compile("Cassandra at (\\S+)");
  private static final Pattern TOKEN_IN_BANNER = Pattern.compile("Admin token: (\\S+)");
  private static final Pattern API_TOKEN_IN_BANNER = Pattern.compile("API token: (\\S+)");

  @Option(
      names = "--workload",
      defaultValue = "mixed",
      description = "writes, reads, mixed, payments or failover-drill (default: ${DEFAULT-VALUE}).")
  String workloadName;

  @Option(
      names = "--endpoints",
      split = ",",
      defaultValue = "http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083",
      description = "One HTTP endpoint per region, loopback only (default: the demo's).")
  List<URI> endpoints;

  @Option(
      names = "--users",
      defaultValue = "150",
      description = "Users, homes spread over the regions (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(
      names = "--duration",
      converter = DemoCommand.DurationConverter.class,
      description =
          "Measured time (default: 30s; failover-drill: the upper bound of the drill, 180s).")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "5s",
      converter = DemoCommand.DurationConverter.class,
      description = "Load before measuring (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(
      names = "--concurrency",
      defaultValue = "16",
      description = "Requests in flight at most (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description =
          "Operations per second (open loop); 0: as many as --concurrency allows (default).")
  double rate;

  @Option(
      names = "--rates",
      split = ",",
      description =
          "Open-loop latency curve: one step per rate (operations/s), e.g. 50,100,200,400; each step --rate-duration, sent at fixed intervals, latency from the intended send time.")
  List<Double> rates;

  @Option(
      names = "--rate-duration",
      defaultValue = "15s",
      converter = DemoCommand.DurationConverter.class,
      description = "With --rates: measured time of each step (default: ${DEFAULT-VALUE}).")
  Duration rateDuration;

  @Option(
      names = "--p99-bound",
      defaultValue = "50ms",
      converter = DemoCommand.DurationConverter.class,
      description =
          "With --rates: the p99 bound of the max sustainable rate (default: ${DEFAULT-VALUE}).")
  Duration p99Bound;

  @Option(
      names = "--rate-idle-sample",
      defaultValue = "5s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "With --rates: CPU sampled without load before the steps, to give each step's marginal CPU per operation; 0 to skip (default: ${DEFAULT-VALUE}).")
  Duration rateIdleSample;

  @Option(
      names = "--max-in-flight",
      defaultValue = "2000",
      description =
          "With --rates: requests outstanding at most; beyond, the sender waits and the wait counts in the latency (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(
      names = "--home-affinity",
      defaultValue = "0",
      description =
          "Probability that an operation goes to the user's home region instead of a random one (default: ${DEFAULT-VALUE}: random regions).")
  double homeAffinity;

  @Option(
      names = "--lag-probes",
      defaultValue = "5",
      description = "End-to-end replication lag probes per second (default: ${DEFAULT-VALUE}).")
  double lagProbes;

  @Option(
      names = "--cassandra",
      description =
          "The system's Cassandra, host:port (default: from --demo-log, else from the demo's region process).")
  String cassandra;

  @Option(names = "--cassandra-local-dc", defaultValue = "datacenter1")
  String cassandraLocalDc;

  @Option(
      names = "--demo-log",
      description =
          "The demo's output, to read Cassandra's address and the admin token from its banner.")
  Path demoLog;

  @Option(
      names = "--api-token",
      description =
          "Bearer token of every request (scopes read, write, payments; default: $MERIDIAN_API_TOKEN, else from --demo-log).")
  String apiToken;

  @Option(
      names = "--admin-token",
      description =
          "failover-drill: declare the region down through the admin endpoint right after the kill (else auto-down).")
  String adminToken;

  @Option(
      names = "--kill-region",
      description = "failover-drill: the region to kill (default: the first endpoint's).")
  String killRegion;

  @Option(
      names = "--kill-pid",
      description =
          "failover-drill: its process id (default: the process listening on its HTTP port).")
  Long killPid;

  @Option(
      names = "--kill-after",
      defaultValue = "15s",
      converter = DemoCommand.DurationConverter.class,
      description = "failover-drill: when to kill (default: ${DEFAULT-VALUE}).")
  Duration killAfter;

  @Option(
      names = "--baseline-duration",
      defaultValue = "15s",
      converter = DemoCommand.DurationConverter.class,
      description = "Measured time of each baseline (default: ${DEFAULT-VALUE}).")
  Duration baselineDuration;

  @Option(names = "--no-baselines", description = "Skip the single-region baselines.")
  boolean noBaselines;

  @Option(
      names = "--compare",
      description =
          "Meridian against its baselines in one run: a single-region Meridian over HTTP (started by the bench), a plain entity and raw driver inserts; a warm-up of each, then the phases interleaved and repeated (--repetitions), figures as median and spread; checks the goals of docs/benchmarks.md.")
  boolean compare;

  @Option(
      names = "--compare-with",
      split = ",",
      description =
          "With --compare: a second Meridian (one endpoint per region, e.g. a second demo started with other settings); its phases run interleaved with the first's, and the report gives B/A per repetition.")
  List<URI> compareWith;

  @Option(
      names = "--repetitions",
      defaultValue = "3",
      description = "With --compare: rounds of the interleaved phases (default: ${DEFAULT-VALUE}).")
  int repetitions;

  @Option(
      names = "--phase-duration",
      defaultValue = "10s",
      converter = DemoCommand.DurationConverter.class,
      description = "With --compare: measured time of each phase (default: ${DEFAULT-VALUE}).")
  Duration phaseDuration;

  @Option(
      names = "--compare-rate",
      defaultValue = "25",
      description =
          "With --compare: the fixed rate of the latency phases, operations/s (default: ${DEFAULT-VALUE}).")
  double compareRate;

  @Option(
      names = "--idle-sample",
      defaultValue = "5s",
      converter = DemoCommand.DurationConverter.class,
      description =
          "After the load: how long to count Cassandra reads while idle (the journal polling cost) (default: ${DEFAULT-VALUE}).")
  Duration idleSample;

  @Option(
      names = "--out",
      description =
          "The JSON file (default: target/bench/<timestamp>.json); the chart is written beside it (.png).")
  Path out;

  @Option(names = "--seed", description = "Random seed (default: the clock).")
  Long seed;

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    try {
      return run();
    } finally {
      // The logger is asynchronous: flush the summary before the JVM exits.
      if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)
        context.stop();
    }
  }

  /**
   * The phases in order: plan, baselines, Meridian's load, the samples after it, the figures, the
   * report.
   */
  private int run() throws Exception {
    Plan plan = plan();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("run", runInfo(plan));
    CassandraSide cassandraSide =
        plan.cassandraAt().map(cp -> CassandraSide.connect(cp, cassandraLocalDc)).orElse(null);
    try {
      if (compare) return compare(plan, cassandraSide);
      // 1. Baselines first: before this run's users exist, so their replicas' journal polling does
      // not load Cassandra meanwhile.
      Baselines baselines = noBaselines ? Baselines.NONE : baselines(plan, cassandraSide);
      // 2. Meridian.
      plan.client()
          .createUsers(users, concurrency, MeridianClient.creationDeadline(users), plan.random());
      List<ProcCpu.Proc> processes = ProcCpu.discover(plan.target(), plan.cassandraAt());
      log.info("CPU accounting for {}", processes);
      MeasureStart atMeasureStart =
          new MeasureStart(plan.client(), plan.target(), cassandraSide, processes);
      Load load =
          plan.drill()
              ? failoverDrill(plan, atMeasureStart)
              : openLoop()
                  ? rateSweep(plan, atMeasureStart, cassandraSide)
                  : steadyLoad(plan, atMeasureStart);
      AfterLoad afterLoad = afterLoad(plan, cassandraSide, atMeasureStart);
      // 3. Figures.
      addFigures(figures, plan, baselines, load, afterLoad);
      writeReport(plan, figures, baselines, load);
      return 0;
    } finally {
      if (cassandraSide != null) cassandraSide.close();
    }
  }

  /**
   * {@code --compare}: the same users in Meridian (three regions) and in a single-region Meridian,
   * the plain entity and the driver; the phases interleaved and repeated ({@link Comparison}), the
   * lag probe on the three regions throughout.
   */
  private int compare(Plan plan, CassandraSide cassandraSide) throws Exception {
    if (plan.cassandraAt().isEmpty() || cassandraSide == null)
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this),
          "--compare needs the system's Cassandra: pass --cassandra host:port or --demo-log");
    String cassandraAt = plan.cassandraAt().get();
    MeridianClient replicated = plan.client();
    replicated.createUsers(
        users, concurrency, MeridianClient.creationDeadline(users), plan.random());
    Path logDir = plan.jsonFile().toAbsolutePath().getParent().resolve(plan.runId() + "-logs");
    try (SoloRegion solo =
            SoloRegion.start(
                cassandraAt,
                plan.token().orElse(""),
                replicated.apiToken,
                logDir,
                Duration.ofSeconds(180));
        EntityBaseline entity =
            EntityBaseline.start(
                cassandraAt,
                cassandraLocalDc,
                plan.runId(),
                users,
                plan.snapshotEvery(),
                concurrency)) {
      HttpClient soloHttp = MeridianClient.newHttpClient();
      MeridianClient single =
          new MeridianClient(
              soloHttp,
              Target.discover(List.of(solo.endpoint), soloHttp, replicated.apiToken),
              plan.runId(),
              replicated.apiToken);
      single.createUsers(users, concurrency, MeridianClient.creationDeadline(users), plan.random());
      CassandraSide.RowSize rowSize =
          cassandraSide.rowSize("meridian_" + plan.target().names().get(0));
      SplittableRandom random = plan.random();
      Workload.Source writes = Workload.WRITES.source(random.nextLong(), users);
      List<Comparison.Phase> phases =
          new ArrayList<>(
              List.of(
                  new Comparison.Phase(
                      Comparison.THROUGHPUT_REPLICATED,
                      "Meridian, three regions, writes (profile, points, devices) sent to the user's home region",
                      true,
                      Comparison.writes(writes),
                      Comparison.atHome(replicated)),
                  new Comparison.Phase(
                      Comparison.THROUGHPUT_SINGLE_REGION,
                      "Meridian with one region over HTTP (same node, API, entity and journal; nothing replicates), same writes",
                      true,
                      Comparison.writes(writes),
                      Comparison.atHome(single)),
                  new Comparison.Phase(
                      Comparison.THROUGHPUT_ENTITY,
                      "plain EventSourcedBehavior in the bench JVM, asked directly (no HTTP, no sharding), same writes",
                      true,
                      Comparison.writes(writes),
                      entity.sender()),
                  new Comparison.Phase(
                      Comparison.THROUGHPUT_DRIVER,
                      "raw async driver inserts into a journal-shaped table, LOCAL_QUORUM",
                      true,
                      Comparison.writes(writes),
                      cassandraSide.rawInserts(plan.runId(), users, rowSize)),
                  new Comparison.Phase(
                      Comparison.WRITE_HOME,
                      "Meridian, three regions: profile writes (single-writer) sent to the owner region",
                      false,
                      Comparison.only(Workload.Kind.PROFILE, writes),
                      Comparison.atHome(replicated)),
                  new Comparison.Phase(
                      Comparison.WRITE_FORWARDED,
                      "Meridian, three regions: profile writes sent to another region, forwarded to the owner",
                      false,
                      Comparison.only(Workload.Kind.PROFILE, writes),
                      Comparison.awayFromHome(replicated, random.nextLong())),
                  new Comparison.Phase(
                      Comparison.PAYMENT_HOME,
                      "Meridian, three regions: payments sent to the owner region (answered once durable in two regions)",
                      false,
                      Workload.PAYMENTS.source(random.nextLong(), users)::next,
                      Comparison.atHome(replicated)),
                  new Comparison.Phase(
                      Comparison.WRITE_SINGLE_REGION,
                      "Meridian with one region over HTTP: profile writes",
                      false,
                      Comparison.only(Workload.Kind.PROFILE, writes),
                      Comparison.atHome(single)),
                  new Comparison.Phase(
                      Comparison.WRITE_ENTITY,
                      "plain EventSourcedBehavior asked in-process: profile writes",
                      false,
                      Comparison.only(Workload.Kind.PROFILE, writes),
                      entity.sender())));
      List<ProcCpu.Proc> processes =
          new ArrayList<>(ProcCpu.discover(plan.target(), plan.cassandraAt()));
      processes.add(new ProcCpu.Proc("single-region Meridian", solo.pid()));
      if (noBaselines)
        phases.removeIf(
            p ->
                List.of(
                        Comparison.THROUGHPUT_SINGLE_REGION,
                        Comparison.THROUGHPUT_ENTITY,
                        Comparison.THROUGHPUT_DRIVER,
                        Comparison.WRITE_SINGLE_REGION,
                        Comparison.WRITE_ENTITY)
                    .contains(p.name()));
      MeridianClient other = null;
      if (compareWith != null && !compareWith.isEmpty()) {
        HttpClient otherHttp = MeridianClient.newHttpClient();
        Target otherTarget = Target.discover(compareWith, otherHttp, replicated.apiToken);
        other = new MeridianClient(otherHttp, otherTarget, plan.runId(), replicated.apiToken);
        other.createUsers(
            users, concurrency, MeridianClient.creationDeadline(users), plan.random());
        phases.add(
            new Comparison.Phase(
                Comparison.B + Comparison.THROUGHPUT_REPLICATED,
                "the second Meridian (--compare-with): writes at home",
                true,
                Comparison.writes(writes),
                Comparison.atHome(other)));
        phases.add(
            new Comparison.Phase(
                Comparison.B + Comparison.WRITE_HOME,
                "the second Meridian: profile writes at home",
                false,
                Comparison.only(Workload.Kind.PROFILE, writes),
                Comparison.atHome(other)));
        phases.add(
            new Comparison.Phase(
                Comparison.B + Comparison.PAYMENT_HOME,
                "the second Meridian: payments at home",
                false,
                Workload.PAYMENTS.source(random.nextLong(), users)::next,
                Comparison.atHome(other)));
        for (ProcCpu.Proc proc : ProcCpu.discover(otherTarget, findCassandra(otherTarget)))
          if (proc.pid() != ProcessHandle.current().pid())
            processes.add(new ProcCpu.Proc(Comparison.B + proc.name(), proc.pid()));
      }
      long hz = ProcCpu.clockTicksPerSecond();
      Comparison comparison =
          new Comparison(
              phases,
              repetitions,
              warmup,
              phaseDuration,
              concurrency,
              compareRate,
              new Comparison.CpuMeter() {
                @Override
                public ProcCpu.Sample sample() {
                  return ProcCpu.sample(processes);
                }

                @Override
                public Map<String, Object> cost(
                    ProcCpu.Sample before, ProcCpu.Sample after, long operations) {
                  return ProcCpu.cost(before, after, operations, hz);
                }
              });
      log.info(
          "compare: {} phases x {} repetitions of {} (warm-up {} each), latency phases at {} ops/s, throughput phases at concurrency {}",
          phases.size(),
          repetitions,
          phaseDuration,
          warmup,
          compareRate,
          concurrency);
      LagProbe lagProbe =
          new LagProbe(
              replicated,
              () -> plan.target().regions,
              lagProbes,
              System.currentTimeMillis(),
              random.nextLong(),
              0);
      List<PromText> scrapesBefore = scrapeAll(replicated, plan.target());
      lagProbe.start();
      comparison.run();
      lagProbe.stop();
      List<PromText> scrapesAfter = scrapeAll(replicated, plan.target());

      Map<String, Object> figures = new LinkedHashMap<>();
      Map<String, Object> runInfo = runInfo(plan);
      runInfo.put("mode", "compare");
      runInfo.put("repetitions", repetitions);
      runInfo.put("phaseSeconds", phaseDuration.toMillis() / 1000.0);
      runInfo.put("latencyRate", compareRate);
      runInfo.put("jvmFlags", DemoCommand.MEASURED_JVM_FLAGS);
      figures.put("run", runInfo);
      Map<String, Object> lag =
          replicationLag(plan.target(), lagProbe, scrapesBefore, scrapesAfter);
      Histogram probeLags = lagProbe.lags();
      Double lagP50 =
          probeLags.getTotalCount() == 0 ? null : Report.ms(probeLags.getValueAtPercentile(50));
      Double lagP99 =
          probeLags.getTotalCount() == 0 ? null : Report.ms(probeLags.getValueAtPercentile(99));
      List<Map<String, Object>> goals =
          comparison.goals(
              lagP50, lagP99, "end-to-end probe, " + probeLags.getTotalCount() + " probes");
      figures.put("goals", goals);
      figures.put("ratios", comparison.ratios());
      if (other != null) figures.put("secondVsFirst", comparison.secondVsFirst());
      figures.put("phases", comparison.phaseFigures());
      figures.put("replicationLag", lag);
      Report.writeJson(plan.jsonFile(), figures);
      saveComparisonChart(plan.chartFile(), comparison);
      log.info(compareSummary(goals, comparison, plan.jsonFile()) + "chart: " + plan.chartFile());
      return 0;
    }
  }

  @SuppressWarnings("unchecked")
  private static void saveComparisonChart(Path file, Comparison comparison) throws IOException {
    Map<String, Double> throughputs = new LinkedHashMap<>();
    Map<String, List<Double>> latencies = new LinkedHashMap<>();
    comparison
        .phaseFigures()
        .forEach(
            (name, f) -> {
              Map<String, Object> p = (Map<String, Object>) f;
              Object tput = ((Map<String, Object>) p.get("opsPerSecond")).get("median");
              Object p50 = ((Map<String, Object>) p.get("p50Millis")).get("median");
              Object p99 = ((Map<String, Object>) p.get("p99Millis")).get("median");
              if (name.contains("throughput/")) {
                if (tput instanceof Double d) throughputs.put(name, d);
              } else if (p50 instanceof Double a && p99 instanceof Double b) {
                latencies.put(name, List.of(a, b));
              }
            });
    Charts.saveComparison(file, throughputs, latencies);
  }

  @SuppressWarnings("unchecked")
  private static String compareSummary(
      List<Map<String, Object>> goals, Comparison comparison, Path jsonFile) {
    StringBuilder out =
        new StringBuilder("\n\ncompare: goals (median [min, max] over the repetitions)\n");
    for (Map<String, Object> goal : goals) {
      Map<String, Object> m = (Map<String, Object>) goal.get("measured");
      out.append(
          String.format(
              Locale.ROOT,
              "  %-80s %-10s %8s [%s, %s]  %s%n",
              goal.get("goal"),
              goal.get("bound"),
              m.get("median"),
              m.get("min"),
              m.get("max"),
              Boolean.TRUE.equals(goal.get("met"))
                  ? "met"
                  : goal.get("met") == null ? "no data" : "NOT met"));
    }
    out.append("phases: ops/s, p50 ms, p99 ms (median [min, max])\n");
    comparison
        .phaseFigures()
        .forEach(
            (name, f) -> {
              Map<String, Object> p = (Map<String, Object>) f;
              out.append(
                  String.format(
                      Locale.ROOT,
                      "  %-34s %s  %s  %s  cpu ms/op %s%n",
                      name,
                      brief(p.get("opsPerSecond")),
                      brief(p.get("p50Millis")),
                      brief(p.get("p99Millis")),
                      p.get("cpuMsPerOp")));
            });
    out.append("figures: ").append(jsonFile).append('\n');
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private static String brief(Object spread) {
    Map<String, Object> m = (Map<String, Object>) spread;
    return m.get("median") + " [" + m.get("min") + ", " + m.get("max") + "]";
  }

  /**
   * What a run is: the options resolved, the target's regions and Cassandra found, where the
   * figures go.
   */
  private record Plan(
      Workload workload,
      Duration measured,
      long seed,
      SplittableRandom random,
      String runId,
      int snapshotEvery,
      Path jsonFile,
      Path chartFile,
      Target target,
      MeridianClient client,
      Optional<String> cassandraAt,
      Optional<String> token,
      int cpus) {
    boolean drill() {
      return workload == Workload.FAILOVER_DRILL;
    }

    /**
     * The drill's baselines write (its own throughput includes the outage); the others run the same
     * mix as Meridian.
     */
    Workload baselineWorkload() {
      return drill() ? Workload.WRITES : workload;
    }
  }

  /** The baselines' results; all null with --no-baselines. */
  private record Baselines(
      LoadGenerator.Result entity, LoadGenerator.Result driver, CassandraSide.RowSize rowSize) {
    static final Baselines NONE = new Baselines(null, null, null);
  }

  /**
   * Meridian's measured load: its result, the end-to-end lag probe, the drill (null in a steady
   * run), and what was sampled as it started.
   */
  private record Load(
      LoadGenerator.Result meridian,
      LagProbe lagProbe,
      FailoverDrill failover,
      MeasureStart atStart,
      List<Map<String, Object>> sweep) {}

  /**
   * Sampled after the load: Cassandra's counters and the metrics scrapes, Cassandra's counters
   * after the idle sample, a journal row's size.
   */
  private record AfterLoad(
      CassandraSide.Counters counters,
      List<PromText> scrapes,
      CassandraSide.Counters idle,
      CassandraSide.RowSize rows,
      ProcCpu.Sample cpu) {}

  /**
   * Scrapes and Cassandra's counters are taken when the warmup ends, so they cover the measured
   * time.
   */
  private static final class MeasureStart implements Runnable {
    private final MeridianClient client;
    private final Target target;
    private final CassandraSide cassandraSide;
    private final AtomicReference<List<PromText>> scrapes = new AtomicReference<>();
    private final AtomicReference<CassandraSide.Counters> counters = new AtomicReference<>();
    private final AtomicReference<ProcCpu.Sample> cpu = new AtomicReference<>();

    /** Set when the load ends before the after-load samples (the open loop's last step). */
    final AtomicReference<ProcCpu.Sample> cpuAtEnd = new AtomicReference<>();

    final List<ProcCpu.Proc> processes;

    MeasureStart(
        MeridianClient client,
        Target target,
        CassandraSide cassandraSide,
        List<ProcCpu.Proc> processes) {
      this.processes = processes;
      this.client = client;
      this.target = target;
      this.cassandraSide = cassandraSide;
    }

    @Override
    public void run() {
      cpu.set(ProcCpu.sample(processes));
      scrapes.set(scrapeAll(client, target));
      if (cassandraSide != null) counters.set(cassandraSide.counters());
    }

    /** The scrapes at the start, or empty ones if the measured time never started. */
    List<PromText> scrapes() {
      return scrapes.get() != null
          ? scrapes.get()
          : target.regions.stream().map(r -> PromText.empty()).toList();
    }

    CassandraSide.Counters counters() {
      return counters.get();
    }

    ProcCpu.Sample cpu() {
      return cpu.get();
    }
  }

  /**
   * Resolves the options, discovers the target, finds its Cassandra and the admin token, and logs
   * what the run will do.
   */
  private Plan plan() throws IOException, InterruptedException {
    Workload workload = Workload.parse(workloadName);
    boolean drill = workload == Workload.FAILOVER_DRILL;
    Duration measured =
        duration != null ? duration : drill ? Duration.ofSeconds(180) : Duration.ofSeconds(30);
    long randomSeed = seed != null ? seed : System.nanoTime();
    SplittableRandom random = new SplittableRandom(randomSeed);
    String runId = "b" + Long.toString(System.currentTimeMillis(), 36);
    var snapshotEvery =
        com.typesafe.config.ConfigFactory.load().getInt("meridian.user.snapshot-every");
    Path jsonFile =
        out != null
            ? out
            : Path.of(
                "target",
                "bench",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                    + ".json");
    Path chartFile = Path.of(jsonFile.toString().replaceFirst("\\.json$", "") + ".png");

    HttpClient http = MeridianClient.newHttpClient();
    String bearer =
        Optional.ofNullable(apiToken)
            .or(() -> Optional.ofNullable(System.getenv("MERIDIAN_API_TOKEN")))
            .filter(t -> !t.isBlank())
            .or(
                () ->
                    demoLog == null
                        ? Optional.empty()
                        : Target.fromDemoLog(demoLog, API_TOKEN_IN_BANNER))
            .orElse("");
    Target target = Target.discover(endpoints, http, bearer);
    MeridianClient client = new MeridianClient(http, target, runId, bearer);
    Optional<String> cassandraAt = findCassandra(target);
    Optional<String> token =
        Optional.ofNullable(adminToken)
            .or(
                () ->
                    demoLog == null
                        ? Optional.empty()
                        : Target.fromDemoLog(demoLog, TOKEN_IN_BANNER));
    if (cassandraAt.isEmpty() && !noBaselines) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this),
          "cannot find the system's Cassandra (not the demo?): pass --cassandra host:port, --demo-log <the demo's output>, or --no-baselines");
    }
    int cpus = Runtime.getRuntime().availableProcessors();
    log.info(
        "bench {}: workload {} ({}), {} users, concurrency {}, {}, home affinity {}, regions {}, Cassandra {}, {} cores",
        runId,
        workload.label,
        workload.describe(),
        users,
        concurrency,
        loadShape(),
        homeAffinity,
        target.names(),
        cassandraAt.orElse("unknown"),
        cpus);
    return new Plan(
        workload,
        measured,
        randomSeed,
        random,
        runId,
        snapshotEvery,
        jsonFile,
        chartFile,
        target,
        client,
        cassandraAt,
        token,
        cpus);
  }

  private boolean openLoop() {
    return rates != null && !rates.isEmpty();
  }

  /** How the load is shaped, for the log and the summary. */
  private String loadShape() {
    if (openLoop())
      return "open loop at " + rates + " ops/s, " + rateDuration.toMillis() / 1000.0 + " s each";
    return rate > 0 ? rate + " ops/s offered" : "closed loop";
  }

  private Map<String, Object> runInfo(Plan plan) {
    Map<String, Object> runInfo = new LinkedHashMap<>();
    runInfo.put("runId", plan.runId());
    runInfo.put("startedAt", java.time.Instant.now().toString());
    runInfo.put("workload", plan.workload().label);
    runInfo.put("mix", plan.workload().describe());
    runInfo.put("users", users);
    runInfo.put("concurrency", concurrency);
    runInfo.put("ratePerSecond", rate);
    if (openLoop()) {
      runInfo.put("rates", rates);
      runInfo.put("rateStepSeconds", rateDuration.toMillis() / 1000.0);
      runInfo.put("p99BoundMillis", p99Bound.toNanos() / 1e6);
      runInfo.put("maxInFlight", maxInFlight);
    }
    runInfo.put("homeAffinity", homeAffinity);
    runInfo.put("warmupSeconds", warmup.toMillis() / 1000.0);
    runInfo.put("durationSeconds", plan.measured().toMillis() / 1000.0);
    runInfo.put("regions", plan.target().names());
    runInfo.put("endpoints", endpoints.stream().map(URI::toString).toList());
    runInfo.put("cassandra", plan.cassandraAt().orElse(null));
    runInfo.put("availableProcessors", plan.cpus());
    runInfo.put("seed", plan.seed());
    return runInfo;
  }

  /**
   * (a) a plain entity in this process, (b) raw driver inserts, on the system's Cassandra, each for
   * --baseline-duration.
   */
  private Baselines baselines(Plan plan, CassandraSide cassandraSide) throws InterruptedException {
    LoadGenerator.Result entity;
    try (EntityBaseline baseline =
        EntityBaseline.start(
            plan.cassandraAt().get(),
            cassandraLocalDc,
            plan.runId(),
            users,
            plan.snapshotEvery(),
            concurrency)) {
      var settings =
          new LoadGenerator.Settings(
              "baseline entity", concurrency, rate, warmup, baselineDuration);
      entity =
          new LoadGenerator(settings)
              .run(
                  plan.baselineWorkload().source(plan.random().nextLong(), users)::next,
                  baseline.sender(),
                  () -> false);
    }
    CassandraSide.RowSize rowSize =
        cassandraSide.rowSize("meridian_" + plan.target().names().get(0));
    if (rowSize.rows() == 0) rowSize = cassandraSide.rowSize(EntityBaseline.KEYSPACE);
    Workload inserts =
        plan.workload().hasWrites() && !plan.drill() ? plan.workload() : Workload.WRITES;
    var settings =
        new LoadGenerator.Settings("baseline driver", concurrency, rate, warmup, baselineDuration);
    LoadGenerator.Result driver =
        new LoadGenerator(settings)
            .run(
                Comparison.writes(inserts.source(plan.random().nextLong(), users)),
                cassandraSide.rawInserts(plan.runId(), users, rowSize),
                () -> false);
    return new Baselines(entity, driver, rowSize);
  }

  /**
   * The failover drill: load from the start, a region killed after --kill-after, until the drill
   * says stop.
   */
  private Load failoverDrill(Plan plan, MeasureStart atMeasureStart) throws InterruptedException {
    Target target = plan.target();
    MeridianClient client = plan.client();
    SplittableRandom random = plan.random();
    String victim = killRegion != null ? killRegion : target.names().get(0);
    long pid =
        FailoverDrill.victimPid(
            target, victim, killPid == null ? OptionalLong.empty() : OptionalLong.of(killPid));
    FailoverDrill drill =
        new FailoverDrill(
            client, target, victim, pid, plan.token(), killAfter, plan.measured(), users);
    LagProbe lagProbe =
        new LagProbe(
                client,
                drill::available,
                lagProbes,
                System.currentTimeMillis(),
                random.nextLong(),
                homeAffinity)
            .start();
    Thread controller = new Thread(drill::control, "bench-drill-control");
    controller.setDaemon(true);
    controller.start();
    var settings =
        new LoadGenerator.Settings(
            "meridian failover-drill", concurrency, rate, Duration.ZERO, plan.measured());
    LoadGenerator.Result meridian =
        new LoadGenerator(settings)
            .run(
                plan.workload().source(random.nextLong(), users)::next,
                op -> sendTo(client, drill.available(), op, random),
                drill::loadShouldStop,
                atMeasureStart);
    lagProbe.stop();
    controller.join(FailoverDrill.CONVERGENCE_WAIT.plusSeconds(60).toMillis());
    return new Load(meridian, lagProbe, drill, atMeasureStart, null);
  }

  /**
   * Every other workload: --warmup, then --duration measured, with the lag probes from the end of
   * the warmup.
   */
  private Load steadyLoad(Plan plan, MeasureStart atMeasureStart) throws InterruptedException {
    Target target = plan.target();
    MeridianClient client = plan.client();
    SplittableRandom random = plan.random();
    LagProbe lagProbe =
        new LagProbe(
            client,
            () -> target.regions,
            lagProbes,
            System.currentTimeMillis() + warmup.toMillis(),
            random.nextLong(),
            homeAffinity);
    var settings =
        new LoadGenerator.Settings(
            "meridian " + plan.workload().label, concurrency, rate, warmup, plan.measured());
    var probeStarter = new java.util.Timer(true);
    probeStarter.schedule(
        new java.util.TimerTask() {
          @Override
          public void run() {
            lagProbe.start();
          }
        },
        warmup.toMillis());
    LoadGenerator.Result meridian =
        new LoadGenerator(settings)
            .run(
                plan.workload().source(random.nextLong(), users)::next,
                op -> sendTo(client, target.regions, op, random),
                () -> false,
                atMeasureStart);
    probeStarter.cancel();
    lagProbe.stop();
    return new Load(meridian, lagProbe, null, atMeasureStart, null);
  }

  /**
   * Open loop ({@code --rates}): a warm-up at the first rate, then one step per rate, each for
   * --rate-duration, with the lag probes throughout. Per step: the latency from the intended send
   * times, CPU per operation of every process, and Cassandra's requests per client write.
   */
  private Load rateSweep(Plan plan, MeasureStart atMeasureStart, CassandraSide cassandraSide)
      throws InterruptedException {
    Target target = plan.target();
    MeridianClient client = plan.client();
    SplittableRandom random = plan.random();
    Workload.Source source = plan.workload().source(random.nextLong(), users);
    LoadGenerator.Sender sender = op -> sendTo(client, target.regions, op, random);
    OpenLoop openLoop = new OpenLoop(maxInFlight, Duration.ofSeconds(15));
    log.info(
        "open loop: rates {} ops/s, {} each, p99 bound {} ms, warm-up {} at {} ops/s",
        rates,
        rateDuration,
        p99Bound.toMillis(),
        warmup,
        rates.get(0));
    if (!warmup.isZero()) openLoop.step(rates.get(0), Duration.ZERO, warmup, source::next, sender);
    // The processes' CPU with no load, the users' replicas live: subtracted to get the marginal
    // cost per operation of each step.
    long hz = ProcCpu.clockTicksPerSecond();
    Map<String, Object> idleCpu = null;
    if (!rateIdleSample.isZero()) {
      log.info("open loop: sampling CPU for {} without load", rateIdleSample);
      ProcCpu.Sample idleBefore = ProcCpu.sample(atMeasureStart.processes);
      Thread.sleep(rateIdleSample.toMillis());
      idleCpu = ProcCpu.cost(idleBefore, ProcCpu.sample(atMeasureStart.processes), 0, hz);
    }
    long startedAt = System.currentTimeMillis();
    LagProbe lagProbe =
        new LagProbe(
                client, () -> target.regions, lagProbes, startedAt, random.nextLong(), homeAffinity)
            .start();
    atMeasureStart.run();
    List<OpenLoop.Step> steps = new ArrayList<>();
    List<Map<String, Object>> stepFigures = new ArrayList<>();
    for (double stepRate : rates) {
      ProcCpu.Sample cpuBefore = ProcCpu.sample(atMeasureStart.processes);
      CassandraSide.Counters countersBefore =
          cassandraSide == null ? null : cassandraSide.counters();
      long probesBefore = lagProbe.lags().getTotalCount();
      OpenLoop.Step step =
          openLoop.step(stepRate, Duration.ZERO, rateDuration, source::next, sender);
      ProcCpu.Sample cpuAfter = ProcCpu.sample(atMeasureStart.processes);
      CassandraSide.Counters countersAfter =
          cassandraSide == null ? null : cassandraSide.counters();
      long probeWrites = lagProbe.lags().getTotalCount() - probesBefore;
      steps.add(step);
      Map<String, Object> f = OpenLoop.figures(step);
      Map<String, Object> cpu = ProcCpu.cost(cpuBefore, cpuAfter, step.ok(), hz);
      if (idleCpu != null) ProcCpu.addMarginal(cpu, idleCpu);
      f.put("cpu", cpu);
      if (countersBefore != null)
        f.put(
            "cassandra",
            cassandraPerOperation(target, countersBefore, countersAfter, step, probeWrites));
      stepFigures.add(f);
    }
    atMeasureStart.cpuAtEnd.set(ProcCpu.sample(atMeasureStart.processes));
    lagProbe.stop();
    LoadGenerator.Result merged =
        OpenLoop.merged("meridian " + plan.workload().label + " open loop", steps, startedAt);
    Map<String, Object> summary = new LinkedHashMap<>();
    OpenLoop.Bound bound = OpenLoop.Bound.of(p99Bound.toNanos() / 1e6);
    summary.put("p99BoundMillis", bound.p99Millis());
    summary.put("maxSustainableRate", OpenLoop.maxSustainableRate(steps, bound));
    summary.put("rule", bound.rule());
    summary.put("maxInFlight", maxInFlight);
    if (idleCpu != null) summary.put("idleCpu", idleCpu);
    summary.put(
        "how",
        "operation i of a step is due at start + i/rate and sent then, asynchronously, whatever the earlier answers; latency counts from that intended time (coordinated-omission correction); a step's answers are awaited before the next step starts");
    List<Map<String, Object>> out = new ArrayList<>();
    out.add(summary);
    out.addAll(stepFigures);
    return new Load(merged, lagProbe, null, atMeasureStart, out);
  }

  /**
   * Cassandra's requests during a step, per operation and per client write (the load's writes plus
   * the lag probes' writes), from Cassandra's own counters.
   */
  private static Map<String, Object> cassandraPerOperation(
      Target target,
      CassandraSide.Counters before,
      CassandraSide.Counters after,
      OpenLoop.Step step,
      long probeWrites) {
    java.util.Set<String> journals = new java.util.HashSet<>();
    for (String region : target.names()) journals.add("meridian_" + region + ".messages");
    CassandraSide.Rates rates = CassandraSide.rates(before, after);
    double seconds = rates.seconds();
    long writes = probeWrites;
    for (var entry : step.byKey().entrySet())
      if (LoadGenerator.Result.kindOf(entry.getKey()).write)
        writes += entry.getValue().getTotalCount();
    double statements = rates.statementsPerSecond() * seconds;
    double journalWrites = rates.writes(journals::contains) * seconds;
    double journalReads = rates.reads(journals::contains) * seconds;
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("seconds", Report.round(seconds));
    out.put("clientWrites", writes);
    out.put("cqlStatements", Math.round(statements));
    out.put("cqlStatementsPerOp", step.ok() > 0 ? Report.round(statements / step.ok()) : null);
    out.put("cqlStatementsPerClientWrite", writes > 0 ? Report.round(statements / writes) : null);
    out.put(
        "journalWritesPerClientWrite", writes > 0 ? Report.round(journalWrites / writes) : null);
    out.put("journalReadsPerClientWrite", writes > 0 ? Report.round(journalReads / writes) : null);
    out.put(
        "how",
        "Cassandra's own counters (system_views.cql_metrics, local_write_latency, local_read_latency) before and after the step; client writes = the load's acknowledged writes + the lag probes' writes");
    return out;
  }

  /**
   * Right after the load: Cassandra's counters and the scrapes; then, for --idle-sample,
   * Cassandra's reads while Meridian is idle; a journal row's size.
   */
  private AfterLoad afterLoad(Plan plan, CassandraSide cassandraSide, MeasureStart atStart)
      throws InterruptedException {
    ProcCpu.Sample cpuAfter =
        atStart.cpuAtEnd.get() != null ? atStart.cpuAtEnd.get() : ProcCpu.sample(atStart.processes);
    CassandraSide.Counters countersAfter = cassandraSide == null ? null : cassandraSide.counters();
    List<PromText> scrapesAfter = scrapeAll(plan.client(), plan.target());
    CassandraSide.Counters idleAfter = null;
    if (cassandraSide != null && !idleSample.isZero()) {
      log.info(
          "counting Cassandra's reads for {} while Meridian is idle (journal polling by the live replicas)",
          idleSample);
      Thread.sleep(idleSample.toMillis());
      idleAfter = cassandraSide.counters();
    }
    CassandraSide.RowSize meridianRows =
        cassandraSide == null
            ? null
            : cassandraSide.rowSize("meridian_" + plan.target().names().get(0));
    return new AfterLoad(countersAfter, scrapesAfter, idleAfter, meridianRows, cpuAfter);
  }

  /** Every figure of the run, in the order the JSON file has them. */
  private void addFigures(
      Map<String, Object> figures, Plan plan, Baselines baselines, Load load, AfterLoad afterLoad) {
    Target target = plan.target();
    List<PromText> scrapesBefore = load.atStart().scrapes();
    List<PromText> scrapesAfter = afterLoad.scrapes();
    figures.put("meridian", Report.result(load.meridian()));
    figures.put(
        "replicationLag", replicationLag(target, load.lagProbe(), scrapesBefore, scrapesAfter));
    figures.put(
        "serverCommands",
        serverCounts(
            target,
            scrapesBefore,
            scrapesAfter,
            "meridian_command_latency_seconds_count",
            "command",
            "path"));
    figures.put(
        "serverCommandFailures",
        serverCounts(
            target,
            scrapesBefore,
            scrapesAfter,
            "meridian_command_failures_total",
            "command",
            "cause"));
    figures.put(
        "serverHttpStatuses",
        serverCounts(
            target, scrapesBefore, scrapesAfter, "meridian_http_responses_total", "status", null));
    figures.put(
        "serverPayments",
        serverCounts(
            target, scrapesBefore, scrapesAfter, "meridian_payments_total", "outcome", null));
    figures.put(
        "serverEventsPersisted",
        serverCounts(
            target, scrapesBefore, scrapesAfter, "meridian_events_persisted_total", "type", null));
    figures.put(
        "serverOwnershipChanges",
        serverCounts(
            target,
            scrapesBefore,
            scrapesAfter,
            "meridian_ownership_changes_total",
            "reason",
            null));
    if (baselines.entity() != null) figures.put("baselines", baselineFigures(plan, baselines));
    figures.put("ratios", ratios(plan, baselines, load.meridian()));
    figures.put(
        "cassandra",
        cassandraFigures(
            plan.client(),
            target,
            load.meridian(),
            load.lagProbe(),
            load.atStart().counters(),
            afterLoad.counters(),
            afterLoad.idle(),
            afterLoad.rows()));
    FailoverDrill failover = load.failover();
    if (failover != null) {
      Map<String, Object> drillFigures = failover.figures();
      drillFigures.put("events", failover.events());
      drillFigures.put("probes", failover.probes());
      figures.put("failover", drillFigures);
    }
    if (load.atStart().cpu() != null)
      figures.put(
          "cpu",
          ProcCpu.cost(
              load.atStart().cpu(),
              afterLoad.cpu(),
              load.meridian().ok(),
              ProcCpu.clockTicksPerSecond()));
    if (load.sweep() != null) figures.put("openLoop", load.sweep());
    figures.put("targets", targets(figures, failover));
  }

  private static Map<String, Object> replicationLag(
      Target target, LagProbe lagProbe, List<PromText> scrapesBefore, List<PromText> scrapesAfter) {
    Map<String, Object> lag = new LinkedHashMap<>();
    Map<String, Object> endToEnd = Report.percentiles(lagProbe.lags());
    endToEnd.put("notVisibleWithin10s", lagProbe.notVisible());
    endToEnd.put("discarded", lagProbe.discarded());
    endToEnd.put(
        "how",
        "probe users written only by the probe; a read waiting for the write's count of the origin's events (waitForVersion) sent to the other region before the write; lag = the write's answer to the read's answer, resolution one loopback answer (sub-millisecond)");
    lag.put("endToEnd", endToEnd);
    lag.put("server", serverLag(target, scrapesBefore, scrapesAfter));
    lag.put("samples", lagProbe.samples());
    return lag;
  }

  private Map<String, Object> baselineFigures(Plan plan, Baselines baselines) {
    Map<String, Object> figures = new LinkedHashMap<>();
    Map<String, Object> entityFigures = Report.result(baselines.entity());
    entityFigures.put(
        "what",
        "plain EventSourcedBehavior (same event classes, serializer and snapshot interval), keyspace "
            + EntityBaseline.KEYSPACE
            + ", driven in-process by ask, no HTTP, no replication; workload "
            + plan.baselineWorkload().label);
    figures.put("entity", entityFigures);
    Map<String, Object> driverFigures = Report.result(baselines.driver());
    driverFigures.put(
        "what",
        "raw async driver inserts, at most "
            + concurrency
            + " in flight, into a table shaped like the journal's, LOCAL_QUORUM");
    driverFigures.put("eventBytes", baselines.rowSize().eventBytes());
    driverFigures.put("metaBytes", baselines.rowSize().metaBytes());
    figures.put("driver", driverFigures);
    return figures;
  }

  /** Meridian's throughput over the baselines' (empty without baselines). */
  private static Map<String, Object> ratios(
      Plan plan, Baselines baselines, LoadGenerator.Result meridian) {
    Map<String, Object> ratios = new LinkedHashMap<>();
    LoadGenerator.Result entity = baselines.entity();
    LoadGenerator.Result driver = baselines.driver();
    if (entity == null) return ratios;
    if (!plan.drill()) {
      ratios.put("meridianOverEntity", ratio(meridian.throughput(), entity.throughput()));
      if (plan.workload().hasWrites())
        ratios.put(
            "meridianWritesOverEntityWrites",
            ratio(meridian.writeThroughput(), entity.writeThroughput()));
      if (plan.workload().hasWrites())
        ratios.put(
            "meridianWritesOverDriverInserts",
            ratio(meridian.writeThroughput(), driver.throughput()));
    } else {
      // The drill's own throughput includes the outage; ratios are for comparison only.
      ratios.put(
          "meridianWritesOverEntityWrites(including the outage)",
          ratio(meridian.writeThroughput(), entity.writeThroughput()));
      ratios.put(
          "meridianWritesOverDriverInserts(including the outage)",
          ratio(meridian.writeThroughput(), driver.throughput()));
    }
    ratios.put("entityOverDriver", ratio(entity.writeThroughput(), driver.throughput()));
    return ratios;
  }

  /** The JSON file, the chart beside it, and the summary in the log. */
  private void writeReport(Plan plan, Map<String, Object> figures, Baselines baselines, Load load)
      throws IOException {
    Report.writeJson(plan.jsonFile(), figures);
    saveChart(plan, baselines, load);
    log.info(
        summary(
            plan.workload(),
            load.meridian(),
            baselines.entity(),
            baselines.driver(),
            load.lagProbe(),
            figures,
            load.failover(),
            plan.cpus(),
            plan.jsonFile(),
            plan.chartFile()));
  }

  private void saveChart(Plan plan, Baselines baselines, Load load) throws IOException {
    if (load.sweep() != null) saveRateCurve(plan, load.sweep());
    LoadGenerator.Result meridian = load.meridian();
    LoadGenerator.Result entity = baselines.entity();
    LoadGenerator.Result driver = baselines.driver();
    LagProbe lagProbe = load.lagProbe();
    List<Charts.Line> lines = new ArrayList<>();
    meridian
        .latencies()
        .forEach((key, h) -> lines.add(new Charts.Line("meridian " + key, Report.chartLine(h))));
    if (entity != null)
      lines.add(new Charts.Line("baseline entity (all)", Report.chartLine(entity.all())));
    if (driver != null)
      lines.add(new Charts.Line("baseline driver insert", Report.chartLine(driver.all())));
    if (lagProbe.lags().getTotalCount() > 0)
      lines.add(new Charts.Line("replication lag (end to end)", Report.chartLine(lagProbe.lags())));
    Map<String, Double> bars = new LinkedHashMap<>();
    bars.put("Meridian " + plan.workload().label, Report.round(meridian.throughput()));
    if (entity != null) bars.put("entity baseline", Report.round(entity.throughput()));
    if (driver != null) bars.put("driver inserts", Report.round(driver.throughput()));
    Charts.save(
        plan.chartFile(),
        plan.workload().label + ", " + users + " users, c=" + concurrency,
        lines,
        meridian.series(),
        lagProbe.samples(),
        load.failover(),
        bars);
  }

  @SuppressWarnings("unchecked")
  private static void saveRateCurve(Plan plan, List<Map<String, Object>> sweep) throws IOException {
    List<Double> offered = new ArrayList<>();
    List<Double> achieved = new ArrayList<>();
    List<Double> p50 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    for (Map<String, Object> step : sweep.subList(1, sweep.size())) {
      Map<String, Object> latency = (Map<String, Object>) step.get("latency");
      if (!latency.containsKey("p99Millis")) continue;
      offered.add((Double) step.get("offeredPerSecond"));
      achieved.add((Double) step.get("achievedPerSecond"));
      p50.add((Double) latency.get("p50Millis"));
      p99.add((Double) latency.get("p99Millis"));
    }
    if (offered.isEmpty()) return;
    Path file = Path.of(plan.chartFile().toString().replaceFirst("\\.png$", "") + "-rates.png");
    Charts.saveRateCurve(
        file,
        offered,
        achieved,
        p50,
        p99,
        (Double) sweep.get(0).get("p99BoundMillis"),
        (Double) sweep.get(0).get("maxSustainableRate"));
    log.info("open-loop curve: {}", file.toAbsolutePath());
  }

  private Optional<String> findCassandra(Target target) {
    if (cassandra != null) return Optional.of(cassandra);
    if (demoLog != null) {
      Optional<String> fromBanner = Target.fromDemoLog(demoLog, CASSANDRA_IN_BANNER);
      if (fromBanner.isPresent()) return fromBanner;
    }
    for (Target.Region region : target.regions) {
      OptionalLong pid = Target.pidListeningOn(region.endpoint().getPort());
      if (pid.isPresent()) {
        Optional<String> found = Target.cassandraOfProcess(pid.getAsLong());
        if (found.isPresent()) return found;
      }
    }
    return Optional.empty();
  }

  /**
   * A random region (a write for a user owned elsewhere is forwarded by Meridian, as for a
   * travelling user), or with probability {@code --home-affinity} the user's home region.
   */
  private java.util.concurrent.CompletionStage<LoadGenerator.Outcome> sendTo(
      MeridianClient client, List<Target.Region> regions, Workload.Op op, SplittableRandom random) {
    // The dispatcher is one thread, so the shared random is used by one thread only.
    if (homeAffinity > 0 && random.nextDouble() < homeAffinity) {
      String home = client.homeOf(op.user());
      for (Target.Region region : regions)
        if (region.name().equals(home)) return client.send(op, region.endpoint());
    }
    return client.send(op, regions.get(random.nextInt(regions.size())).endpoint());
  }

  /** The write operations of a source (the driver baseline only inserts). */
  private static List<PromText> scrapeAll(MeridianClient client, Target target) {
    List<PromText> scrapes = new ArrayList<>();
    for (Target.Region region : target.regions) {
      try {
        var response = client.getText(region.endpoint().resolve("/metrics"));
        scrapes.add(
            response.statusCode() == 200 ? PromText.parse(response.body()) : PromText.empty());
      } catch (Exception e) {
        scrapes.add(PromText.empty());
      }
    }
    return scrapes;
  }

  /**
   * Per region, per origin: events applied during the run, their mean lag and percentiles
   * (histogram buckets of the run), and the recent max.
   */
  private static Map<String, Object> serverLag(
      Target target, List<PromText> before, List<PromText> after) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < target.regions.size(); i++) {
      String region = target.regions.get(i).name();
      Map<String, Object> byOrigin = new LinkedHashMap<>();
      Map<String, Double> countAfter =
          after.get(i).by("meridian_replication_lag_seconds_count", "origin", Map.of());
      Map<String, Double> countBefore =
          before.get(i).by("meridian_replication_lag_seconds_count", "origin", Map.of());
      Map<String, Double> sumAfter =
          after.get(i).by("meridian_replication_lag_seconds_sum", "origin", Map.of());
      Map<String, Double> sumBefore =
          before.get(i).by("meridian_replication_lag_seconds_sum", "origin", Map.of());
      Map<String, Double> max =
          after.get(i).by("meridian_replication_lag_seconds_max", "origin", Map.of());
      for (String origin : countAfter.keySet()) {
        Map<String, Object> f = new LinkedHashMap<>();
        double count = countAfter.get(origin) - countBefore.getOrDefault(origin, 0.0);
        double sum = sumAfter.getOrDefault(origin, 0.0) - sumBefore.getOrDefault(origin, 0.0);
        f.put("events", (long) count);
        if (count > 0) f.put("meanMillis", Report.round(sum / count * 1000));
        for (String q : List.of("0.5", "0.95", "0.99")) {
          // From the histogram's buckets gained during the measured time (before -> after).
          Double v =
              PromText.quantileBetween(
                  before.get(i),
                  after.get(i),
                  "meridian_replication_lag_seconds",
                  Map.of("origin", origin),
                  Double.parseDouble(q));
          if (v != null)
            f.put(
                "p" + q.substring(2) + (q.length() == 3 ? "0" : "") + "Millis",
                Report.round(v * 1000));
        }
        if (max.get(origin) != null) f.put("maxMillisRecent", Report.round(max.get(origin) * 1000));
        byOrigin.put(origin, f);
      }
      out.put(region, byOrigin);
    }
    return out;
  }

  /** Per region: the increase of a counter during the run, by one or two labels. */
  private static Map<String, Object> serverCounts(
      Target target,
      List<PromText> before,
      List<PromText> after,
      String name,
      String label,
      String secondLabel) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < target.regions.size(); i++) {
      Map<String, Long> counts = new java.util.TreeMap<>();
      for (PromText.Series s : after.get(i).series) {
        if (!s.name().equals(name)) continue;
        String key =
            s.labels().getOrDefault(label, "")
                + (secondLabel == null ? "" : "/" + s.labels().getOrDefault(secondLabel, ""));
        double was =
            before.get(i).series.stream()
                .filter(b -> b.name().equals(name) && b.labels().equals(s.labels()))
                .mapToDouble(PromText.Series::value)
                .sum();
        long delta = Math.round(s.value() - was);
        if (delta > 0) counts.merge(key, delta, Long::sum);
      }
      out.put(target.regions.get(i).name(), counts);
    }
    return out;
  }

  private Map<String, Object> cassandraFigures(
      MeridianClient client,
      Target target,
      LoadGenerator.Result meridian,
      LagProbe lagProbe,
      CassandraSide.Counters before,
      CassandraSide.Counters after,
      CassandraSide.Counters idle,
      CassandraSide.RowSize rows) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (before == null) return out;
    java.util.Set<String> journals = new java.util.HashSet<>();
    for (String region : target.names()) journals.add("meridian_" + region + ".messages");
    CassandraSide.Rates load = CassandraSide.rates(before, after);
    double journalWrites = load.writes(journals::contains);
    double journalReads = load.reads(journals::contains);
    double clientWrites =
        meridian.writeThroughput()
            + lagProbe.lags().getTotalCount() / Math.max(1e-9, load.seconds());
    Map<String, Object> during = new LinkedHashMap<>();
    during.put("seconds", Report.round(load.seconds()));
    during.put("cqlStatementsPerSecond", Report.round(load.statementsPerSecond()));
    during.put(
        "cqlStatementsPerClientWrite",
        clientWrites > 0 ? Report.round(load.statementsPerSecond() / clientWrites) : null);
    during.put("journalWritesPerSecond", Report.round(journalWrites));
    during.put("journalReadsPerSecond", Report.round(journalReads));
    during.put(
        "journalWritesPerClientWrite",
        clientWrites > 0 ? Report.round(journalWrites / clientWrites) : null);
    during.put("readsPerSecondByTable", load.readsPerSecond());
    during.put("writesPerSecondByTable", load.writesPerSecond());
    out.put("duringLoad", during);
    if (idle != null) {
      CassandraSide.Rates quiet = CassandraSide.rates(after, idle);
      double pollReads = quiet.reads(journals::contains);
      // Live replicas as the nodes count them (two replication streams each with three regions);
      // a system without that gauge (before hints): every user's replica in every region.
      double streams = 0;
      for (PromText scrape : scrapeAll(client, target))
        streams +=
            scrape.by("meridian_replication_live_streams", "region", Map.of()).values().stream()
                .mapToDouble(Double::doubleValue)
                .sum();
      int liveReplicas =
          streams > 0
              ? (int) Math.round(streams / Math.max(1, target.names().size() - 1))
              : users * target.names().size();
      Map<String, Object> polling = new LinkedHashMap<>();
      polling.put("seconds", Report.round(quiet.seconds()));
      polling.put("journalReadsPerSecond", Report.round(pollReads));
      polling.put("cqlStatementsPerSecond", Report.round(quiet.statementsPerSecond()));
      polling.put("liveReplicasOfThisRun", liveReplicas);
      polling.put("journalReadsPerSecondPerLiveReplica", Report.round(pollReads / liveReplicas));
      polling.put(
          "liveReplicasCountedBy",
          streams > 0
              ? "meridian_replication_live_streams / (regions - 1)"
              : "users x regions (no gauge)");
      polling.put(
          "expected",
          "each live replica reads each of the other "
              + (target.names().size() - 1)
              + " regions' journals once per meridian.replication.safety-poll (one CQL read per poll); "
              + "replicas of earlier runs that have not passivated yet (2 min idle) poll too");
      polling.put(
          "shareOfJournalReadsDuringLoad",
          journalReads + journalWrites > 0
              ? Report.round(journalReads / (journalReads + journalWrites))
              : null);
      polling.put(
          "how",
          "Cassandra's own counters (system_views.local_read_latency / local_write_latency / cql_metrics), read by the bench's driver session");
      out.put("idlePolling", polling);
    }
    if (rows != null)
      out.put(
          "journalRow",
          Map.of(
              "rowsSampled",
              rows.rows(),
              "eventBytes",
              rows.eventBytes(),
              "metaBytes",
              rows.metaBytes()));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> targets(Map<String, Object> figures, FailoverDrill failover) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (failover != null) {
      Object rehoming = failover.figures().get("rehomingAfterDeclaredDown");
      out.put(
          "rehoming<=1sAfterDeclaredDown",
          rehoming == null
              ? "not reached"
              : rehoming + " s: " + ((double) rehoming <= 1.0 ? "met" : "NOT met"));
      out.put(
          "replicationLag",
          "not judged in the drill: the lag includes the outage and the catch-up");
      return out;
    }
    Map<String, Object> lag = (Map<String, Object>) figures.get("replicationLag");
    Object p99 = ((Map<String, Object>) lag.get("endToEnd")).get("p99Millis");
    if (p99 != null)
      out.put(
          "replicationLagP99EndToEnd<=200ms",
          p99 + " ms: " + ((double) p99 <= 200 ? "met" : "NOT met"));
    double serverP99 = 0;
    for (Object byOrigin : ((Map<String, Object>) lag.get("server")).values()) {
      for (Object f : ((Map<String, Object>) byOrigin).values()) {
        Object v = ((Map<String, Object>) f).get("p99Millis");
        if (v instanceof Double d) serverP99 = Math.max(serverP99, d);
      }
    }
    out.put(
        "replicationLagP99Server<=200ms(worst region and origin)",
        serverP99 + " ms: " + (serverP99 <= 200 ? "met" : "NOT met"));
    Map<String, Object> ratios = (Map<String, Object>) figures.get("ratios");
    Object writes = ratios.get("meridianWritesOverEntityWrites");
    if (writes instanceof Double r)
      out.put("replicatedWrites>=0.3xEntityBaseline", r + ": " + (r >= 0.3 ? "met" : "NOT met"));
    return out;
  }

  /** The open-loop table: one row per rate, CPU and Cassandra per operation, the max rate. */
  @SuppressWarnings("unchecked")
  private static String openLoopSummary(List<Map<String, Object>> sweep) {
    StringBuilder out = new StringBuilder();
    Map<String, Object> head = sweep.get(0);
    out.append(
        String.format(
            Locale.ROOT,
            "%nOpen loop (latency from the intended send time), p99 bound %s ms:%n",
            head.get("p99BoundMillis")));
    out.append(
        String.format(
            Locale.ROOT,
            "  %9s %9s %8s %8s %8s %7s %10s %10s %9s %9s %9s %10s%n",
            "offered/s",
            "achieved",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "CPU ms/op",
            "marginal",
            "regions",
            "cassandra",
            "bench",
            "CQL/write"));
    for (Map<String, Object> step : sweep.subList(1, sweep.size())) {
      Map<String, Object> latency = (Map<String, Object>) step.get("latency");
      Map<String, Object> cpu = (Map<String, Object>) step.get("cpu");
      Map<String, Object> byProcess = (Map<String, Object>) cpu.get("byProcess");
      double regions = 0;
      Object cassandra = null;
      Object bench = null;
      for (var e : byProcess.entrySet()) {
        Object perOp = ((Map<String, Object>) e.getValue()).get("cpuMillisPerOp");
        if (e.getKey().startsWith("region ") && perOp instanceof Double d) regions += d;
        if (e.getKey().equals("cassandra")) cassandra = perOp;
        if (e.getKey().startsWith("bench")) bench = perOp;
      }
      Map<String, Object> listed = (Map<String, Object>) cpu.get("listedProcesses");
      Map<String, Object> cassandraRequests = (Map<String, Object>) step.get("cassandra");
      long errors =
          ((Map<String, Long>) step.get("errors"))
              .values().stream().mapToLong(Long::longValue).sum();
      out.append(
          String.format(
              Locale.ROOT,
              "  %9s %9s %8s %8s %8s %7d %10s %10s %9s %9s %9s %10s%n",
              step.get("offeredPerSecond"),
              step.get("achievedPerSecond"),
              latency.getOrDefault("p50Millis", "-"),
              latency.getOrDefault("p99Millis", "-"),
              latency.getOrDefault("maxMillis", "-"),
              errors,
              listed.get("cpuMillisPerOp"),
              listed.getOrDefault("marginalCpuMillisPerOp", "-"),
              Report.round3(regions),
              cassandra,
              bench,
              cassandraRequests == null
                  ? "-"
                  : cassandraRequests.get("cqlStatementsPerClientWrite")));
    }
    out.append(
        "  (CPU ms/op: regions, Cassandra and the bench together, then each; marginal: minus their"
            + " CPU without load (--rate-idle-sample); regions: the three summed; CQL/write:"
            + " Cassandra's CQL statements per client write)\n");
    out.append("  max sustainable rate: ")
        .append(head.get("maxSustainableRate") == null ? "none" : head.get("maxSustainableRate"))
        .append(" ops/s (")
        .append(head.get("rule"))
        .append(")\n");
    return out.toString();
  }

  private static Double ratio(double a, double b) {
    return b <= 0 ? null : Math.round(a / b * 1000) / 1000.0;
  }

  @SuppressWarnings("unchecked")
  private String summary(
      Workload workload,
      LoadGenerator.Result meridian,
      LoadGenerator.Result entity,
      LoadGenerator.Result driver,
      LagProbe lagProbe,
      Map<String, Object> figures,
      FailoverDrill failover,
      int cpus,
      Path jsonFile,
      Path chartFile) {
    StringBuilder out = new StringBuilder("\n\n");
    out.append(
        String.format(
            Locale.ROOT,
            "Meridian bench: workload %s (%s), %d users, concurrency %d, %s, home affinity %.2f, %.1f s measured, %d cores%n",
            workload.label,
            workload.describe(),
            users,
            concurrency,
            loadShape(),
            homeAffinity,
            meridian.seconds(),
            cpus));
    out.append(Report.table(meridian));
    if (!meridian.errors().isEmpty())
      out.append("  errors: ").append(meridian.errors()).append('\n');
    Histogram lags = lagProbe.lags();
    out.append(
        String.format(
            Locale.ROOT,
            "%nReplication lag, end to end (ack in A -> visible in B, %d probes, %d not visible in 10 s):%n",
            lags.getTotalCount(),
            lagProbe.notVisible()));
    if (lags.getTotalCount() > 0) {
      out.append(
          String.format(
              Locale.ROOT,
              "  p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
              Report.ms(lags.getValueAtPercentile(50)),
              Report.ms(lags.getValueAtPercentile(95)),
              Report.ms(lags.getValueAtPercentile(99)),
              Report.ms(lags.getMaxValue())));
    }
    out.append(
        "Replication lag, server side (meridian_replication_lag: origin's decision -> applied here; quantiles of the measured time):\n");
    ((Map<String, Object>) ((Map<String, Object>) figures.get("replicationLag")).get("server"))
        .forEach(
            (region, byOrigin) ->
                ((Map<String, Object>) byOrigin)
                    .forEach(
                        (origin, f) ->
                            out.append("  ")
                                .append(origin)
                                .append(" -> ")
                                .append(region)
                                .append(": ")
                                .append(f)
                                .append('\n')));
    if (entity != null) {
      out.append(
          String.format(
              Locale.ROOT,
              "%nBaseline (a) plain EventSourcedBehavior, same mix, same Cassandra, in-process (%.1f s):%n",
              entity.seconds()));
      out.append(Report.table(entity));
      out.append(
          String.format(
              Locale.ROOT, "Baseline (b) raw driver inserts (%.1f s):%n", driver.seconds()));
      out.append(Report.table(driver));
      out.append("\nRatios (same run): ").append(figures.get("ratios")).append('\n');
    }
    Map<String, Object> cassandraFigures = (Map<String, Object>) figures.get("cassandra");
    if (!cassandraFigures.isEmpty()) {
      Map<String, Object> during = (Map<String, Object>) cassandraFigures.get("duringLoad");
      out.append(
          String.format(
              Locale.ROOT,
              "%nCassandra during the load: %s CQL statements/s, journal writes %s/s (%s per client write), journal reads %s/s%n",
              during.get("cqlStatementsPerSecond"),
              during.get("journalWritesPerSecond"),
              during.get("journalWritesPerClientWrite"),
              during.get("journalReadsPerSecond")));
      Map<String, Object> polling = (Map<String, Object>) cassandraFigures.get("idlePolling");
      if (polling != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "Cassandra idle (journal polling): %s journal reads/s, %s CQL statements/s, %s reads/s per live replica (%s replicas of this run)%n",
                polling.get("journalReadsPerSecond"),
                polling.get("cqlStatementsPerSecond"),
                polling.get("journalReadsPerSecondPerLiveReplica"),
                polling.get("liveReplicasOfThisRun")));
      }
    }
    if (failover != null) {
      out.append("\nFailover drill (seconds):\n");
      failover
          .figures()
          .forEach((k, v) -> out.append("  ").append(k).append(": ").append(v).append('\n'));
      out.append("  timeline:\n");
      failover
          .events()
          .forEach(e -> out.append(String.format(Locale.ROOT, "    %7.2f  %s%n", e.t(), e.what())));
    }
    List<Map<String, Object>> sweep = (List<Map<String, Object>>) figures.get("openLoop");
    if (sweep != null) out.append(openLoopSummary(sweep));
    Map<String, Object> cpu = (Map<String, Object>) figures.get("cpu");
    if (cpu != null) {
      out.append(
          String.format(
              Locale.ROOT,
              "%nWhere the machine's time goes (whole measured time, %s s, %s operations):%n",
              cpu.get("seconds"),
              cpu.get("operations")));
      out.append(ProcCpu.summary(cpu));
    }
    out.append("\nTargets: ").append(figures.get("targets")).append('\n');
    out.append("Figures: ")
        .append(jsonFile.toAbsolutePath())
        .append("\nChart:   ")
        .append(chartFile.toAbsolutePath())
        .append('\n');
    return out.toString();
  }
}
