package io.meridian.tools.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ./meridian bench --compare}: Meridian against its baselines in one run, under the same
 * conditions. Every system gets an unmeasured warm-up; then the phases run interleaved (A B C D …,
 * the order rotated each repetition so no system always follows the same one) and repeated, and
 * each figure is the median of the repetitions with their spread (min, max). Ratios are taken
 * within a repetition (phases seconds apart) and their median reported, so a load swing of the
 * machine moves both sides of a ratio.
 *
 * <p>Throughput phases are closed loop at the bench's concurrency (writes: profile, points,
 * devices); latency phases are open loop at a moderate fixed rate, so their p99 is service time,
 * not queueing.
 */
final class Comparison {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");

  /** One measured phase: what it drives and how. */
  record Phase(
      String name,
      String what,
      boolean throughput,
      Supplier<Workload.Op> ops,
      LoadGenerator.Sender sender) {}

  /** One phase's figures in one repetition. */
  record Measured(
      double opsPerSecond,
      double p50Millis,
      double p99Millis,
      long ok,
      long errors,
      Map<String, Object> cpu) {}

  /** What runs before and after every phase (CPU samples of the processes). */
  interface CpuMeter {
    ProcCpu.Sample sample();

    Map<String, Object> cost(ProcCpu.Sample before, ProcCpu.Sample after, long operations);
  }

  private final List<Phase> phases;
  private final int repetitions;
  private final Duration warmup;
  private final Duration phaseDuration;
  private final int concurrency;
  private final double latencyRate;
  private final CpuMeter cpu;

  /** Per phase name, one entry per repetition. */
  private final Map<String, List<Measured>> results = new LinkedHashMap<>();

  Comparison(
      List<Phase> phases,
      int repetitions,
      Duration warmup,
      Duration phaseDuration,
      int concurrency,
      double latencyRate,
      CpuMeter cpu) {
    this.phases = List.copyOf(phases);
    this.repetitions = repetitions;
    this.warmup = warmup;
    this.phaseDuration = phaseDuration;
    this.concurrency = concurrency;
    this.latencyRate = latencyRate;
    this.cpu = cpu;
    for (Phase phase : phases) results.put(phase.name(), new ArrayList<>());
  }

  /** The order of repetition {@code r}: the phase list rotated by {@code r}. */
  static <T> List<T> rotated(List<T> phases, int r) {
    List<T> order = new ArrayList<>(phases);
    Collections.rotate(order, -(r % Math.max(1, phases.size())));
    return order;
  }

  /** Warm-up of every phase (not recorded), then the repetitions. */
  void run() throws InterruptedException {
    if (!warmup.isZero()) {
      for (Phase phase : phases) {
        log.info("compare: warm-up {} for {}", phase.name(), warmup);
        measure(phase, warmup);
      }
    }
    for (int r = 0; r < repetitions; r++) {
      for (Phase phase : rotated(phases, r)) {
        Measured m = measure(phase, phaseDuration);
        results.get(phase.name()).add(m);
        log.info(
            "compare: repetition {}/{} {}: {} ops/s, p50 {} ms, p99 {} ms, {} errors",
            r + 1,
            repetitions,
            phase.name(),
            Report.round(m.opsPerSecond()),
            m.p50Millis(),
            m.p99Millis(),
            m.errors());
      }
    }
  }

  private Measured measure(Phase phase, Duration duration) throws InterruptedException {
    ProcCpu.Sample before = cpu.sample();
    Measured m;
    if (phase.throughput()) {
      var settings =
          new LoadGenerator.Settings(phase.name(), concurrency, 0, Duration.ZERO, duration);
      LoadGenerator.Result result =
          new LoadGenerator(settings).run(phase.ops(), phase.sender(), () -> false);
      Histogram all = result.all();
      m =
          new Measured(
              result.throughput(),
              Report.ms(all.getValueAtPercentile(50)),
              Report.ms(all.getValueAtPercentile(99)),
              result.ok(),
              result.errorCount(),
              null);
    } else {
      OpenLoop.Step step =
          new OpenLoop(concurrency * 8, Duration.ofSeconds(15))
              .step(latencyRate, Duration.ZERO, duration, phase.ops(), phase.sender());
      m =
          new Measured(
              step.achievedPerSecond(),
              Report.ms(step.latency().getValueAtPercentile(50)),
              Report.ms(step.latency().getValueAtPercentile(99)),
              step.ok(),
              step.errorCount(),
              null);
    }
    Map<String, Object> cost = cpu.cost(before, cpu.sample(), m.ok());
    return new Measured(m.opsPerSecond(), m.p50Millis(), m.p99Millis(), m.ok(), m.errors(), cost);
  }

  List<Measured> of(String phase) {
    return results.getOrDefault(phase, List.of());
  }

  /** Median, min and max of values (rounded); empty values give nulls. */
  static Map<String, Object> spread(List<Double> values) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<Double> sorted = values.stream().sorted().toList();
    out.put("median", sorted.isEmpty() ? null : Report.round(median(sorted)));
    out.put("min", sorted.isEmpty() ? null : Report.round(sorted.get(0)));
    out.put("max", sorted.isEmpty() ? null : Report.round(sorted.get(sorted.size() - 1)));
    out.put("values", values.stream().map(Report::round).toList());
    return out;
  }

  /** The median of sorted values: the middle one, or the mean of the two middle ones. */
  static double median(List<Double> sorted) {
    int n = sorted.size();
    if (n == 0) throw new IllegalArgumentException("no values");
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** Per repetition, {@code f} of the two phases' figures of that repetition. */
  List<Double> perRepetition(
      String a, String b, java.util.function.BiFunction<Measured, Measured, Double> f) {
    List<Double> out = new ArrayList<>();
    // A phase left out of the run (--no-baselines) has no figures: the ratio has none either.
    List<Measured> as = results.getOrDefault(a, List.of());
    List<Measured> bs = results.getOrDefault(b, List.of());
    for (int i = 0; i < Math.min(as.size(), bs.size()); i++) out.add(f.apply(as.get(i), bs.get(i)));
    return out;
  }

  /** Every phase's figures: median and spread of throughput, p50, p99, and CPU per operation. */
  Map<String, Object> phaseFigures() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Phase phase : phases) {
      List<Measured> ms = results.get(phase.name());
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("what", phase.what());
      f.put(
          "loop",
          phase.throughput()
              ? "closed, concurrency " + concurrency
              : "open, " + latencyRate + " ops/s");
      f.put("opsPerSecond", spread(ms.stream().map(Measured::opsPerSecond).toList()));
      f.put("p50Millis", spread(ms.stream().map(Measured::p50Millis).toList()));
      f.put("p99Millis", spread(ms.stream().map(Measured::p99Millis).toList()));
      f.put("errors", ms.stream().mapToLong(Measured::errors).sum());
      f.put("cpuMsPerOp", cpuPerOp(ms));
      out.put(phase.name(), f);
    }
    return out;
  }

  /** Per process, the median over the repetitions of its CPU milliseconds per operation. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> cpuPerOp(List<Measured> ms) {
    Map<String, List<Double>> byProcess = new LinkedHashMap<>();
    for (Measured m : ms) {
      if (m.cpu() == null) continue;
      var processes = (Map<String, Object>) m.cpu().get("byProcess");
      if (processes == null) continue;
      processes.forEach(
          (name, figures) -> {
            Object perOp = ((Map<String, Object>) figures).get("cpuMillisPerOp");
            if (perOp instanceof Number n)
              byProcess.computeIfAbsent(name, k -> new ArrayList<>()).add(n.doubleValue());
          });
    }
    Map<String, Object> out = new LinkedHashMap<>();
    byProcess.forEach(
        (name, values) -> out.put(name, Report.round(median(values.stream().sorted().toList()))));
    return out;
  }

  // The phases of `./meridian bench --compare` (BenchCommand builds them).
  static final String THROUGHPUT_REPLICATED = "throughput/meridian-3-regions";
  static final String THROUGHPUT_SINGLE_REGION = "throughput/meridian-1-region";
  static final String THROUGHPUT_ENTITY = "throughput/entity";
  static final String THROUGHPUT_DRIVER = "throughput/driver";
  static final String WRITE_HOME = "latency/write-at-home";
  static final String WRITE_FORWARDED = "latency/write-forwarded";
  static final String PAYMENT_HOME = "latency/payment-at-home";
  static final String WRITE_SINGLE_REGION = "latency/meridian-1-region-write";
  static final String WRITE_ENTITY = "latency/entity-write";

  /** Prefix of the phases of the second Meridian ({@code --compare-with}). */
  static final String B = "B/";

  /** One goal of issue 13: its bound, the measured median and spread, and whether it is met. */
  static Map<String, Object> goal(
      String what, String bound, List<Double> values, boolean atMost, double limit) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("goal", what);
    out.put("bound", bound);
    Map<String, Object> measured = spread(values);
    out.put("measured", measured);
    Object median = measured.get("median");
    out.put(
        "met",
        median == null ? null : atMost ? ((Double) median) <= limit : ((Double) median) >= limit);
    return out;
  }

  /**
   * The goals, each from this run: the ratios per repetition, their median; {@code lagP50} and
   * {@code lagP99} are the run's replication lag figures (ms).
   */
  List<Map<String, Object>> goals(Double lagP50, Double lagP99, String lagSource) {
    List<Map<String, Object>> out = new ArrayList<>();
    out.add(
        goal(
            "home-region write p99 (open loop, " + latencyRate + " ops/s)",
            "<= 10 ms",
            of(WRITE_HOME).stream().map(Measured::p99Millis).toList(),
            true,
            10));
    out.add(
        goal(
            "a forwarded write adds (p50 forwarded - p50 at home)",
            "<= 3 ms",
            perRepetition(WRITE_FORWARDED, WRITE_HOME, (f, h) -> f.p50Millis() - h.p50Millis()),
            true,
            3));
    out.add(
        goal(
            "a forwarded write adds at p99 (p99 forwarded - p99 at home)",
            "<= 3 ms (not a stated goal; shown for the tail)",
            perRepetition(WRITE_FORWARDED, WRITE_HOME, (f, h) -> f.p99Millis() - h.p99Millis()),
            true,
            3));
    out.add(
        goal(
            "a payment costs (p50 payment / p50 write, both at home)",
            "<= 2x",
            perRepetition(PAYMENT_HOME, WRITE_HOME, (p, w) -> p.p50Millis() / w.p50Millis()),
            true,
            2));
    out.add(
        goal(
            "replication lag p50 (" + lagSource + ")",
            "<= 10 ms",
            lagP50 == null ? List.of() : List.of(lagP50),
            true,
            10));
    out.add(
        goal(
            "replication lag p99 (" + lagSource + ")",
            "<= 50 ms",
            lagP99 == null ? List.of() : List.of(lagP99),
            true,
            50));
    out.add(
        goal(
            "replicated writes / single-region Meridian writes (throughput, closed loop)",
            ">= 0.3x",
            perRepetition(
                THROUGHPUT_REPLICATED,
                THROUGHPUT_SINGLE_REGION,
                (r, s) -> r.opsPerSecond() / s.opsPerSecond()),
            false,
            0.3));
    return out;
  }

  /** The second Meridian against the first, per repetition: B/A of throughput and latencies. */
  Map<String, Object> secondVsFirst() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "throughput B/A",
        spread(
            perRepetition(
                B + THROUGHPUT_REPLICATED,
                THROUGHPUT_REPLICATED,
                (b, a) -> b.opsPerSecond() / a.opsPerSecond())));
    for (String phase : List.of(WRITE_HOME, PAYMENT_HOME)) {
      out.put(
          phase + " p50 B/A",
          spread(perRepetition(B + phase, phase, (b, a) -> b.p50Millis() / a.p50Millis())));
      out.put(
          phase + " p99 B/A",
          spread(perRepetition(B + phase, phase, (b, a) -> b.p99Millis() / a.p99Millis())));
    }
    out.put(
        "CPU ms per write, all processes, throughput phase B/A",
        spread(
            perRepetition(
                B + THROUGHPUT_REPLICATED,
                THROUGHPUT_REPLICATED,
                (b, a) -> listedCpuPerOp(b, true) / listedCpuPerOp(a, false))));
    return out;
  }

  /** CPU ms per op summed over the processes of one side (B's carry the prefix). */
  @SuppressWarnings("unchecked")
  private static double listedCpuPerOp(Measured m, boolean second) {
    if (m.cpu() == null || m.cpu().get("byProcess") == null) return Double.NaN;
    double sum = 0;
    for (var e : ((Map<String, Object>) m.cpu().get("byProcess")).entrySet()) {
      String name = e.getKey();
      if (name.startsWith(B) != second
          || name.contains("bench")
          || name.startsWith("single-region")) continue;
      Object perOp = ((Map<String, Object>) e.getValue()).get("cpuMillisPerOp");
      if (perOp instanceof Number n) sum += n.doubleValue();
    }
    return sum;
  }

  /** Ratios shown beside the goals: where the time goes between the layers. */
  Map<String, Object> ratios() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "singleRegionMeridian/entity (throughput: the cost of HTTP, sharding and the gateway)",
        spread(
            perRepetition(
                THROUGHPUT_SINGLE_REGION,
                THROUGHPUT_ENTITY,
                (m, e) -> m.opsPerSecond() / e.opsPerSecond())));
    out.put(
        "entity/driver (throughput: the cost of Pekko Persistence)",
        spread(
            perRepetition(
                THROUGHPUT_ENTITY,
                THROUGHPUT_DRIVER,
                (e, d) -> e.opsPerSecond() / d.opsPerSecond())));
    out.put(
        "replicated/driver (throughput)",
        spread(
            perRepetition(
                THROUGHPUT_REPLICATED,
                THROUGHPUT_DRIVER,
                (r, d) -> r.opsPerSecond() / d.opsPerSecond())));
    out.put(
        "home write p50 / single-region write p50 (latency: the cost of replication on the write path)",
        spread(
            perRepetition(
                WRITE_HOME, WRITE_SINGLE_REGION, (h, s) -> h.p50Millis() / s.p50Millis())));
    out.put(
        "single-region write p50 - entity write p50 (ms: HTTP, sharding and the gateway)",
        spread(
            perRepetition(
                WRITE_SINGLE_REGION, WRITE_ENTITY, (s, e) -> s.p50Millis() - e.p50Millis())));
    return out;
  }

  /** Sends every op to its user's home region. */
  static LoadGenerator.Sender atHome(MeridianClient client) {
    return op -> client.send(op, endpointOf(client, client.homeOf(op.user())));
  }

  /** Sends every op to a region other than its user's home (the owner), so it is forwarded. */
  static LoadGenerator.Sender awayFromHome(MeridianClient client, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    return op -> {
      String home = client.homeOf(op.user());
      List<Target.Region> others =
          client.target.regions.stream().filter(r -> !r.name().equals(home)).toList();
      return client.send(op, others.get(random.nextInt(others.size())).endpoint());
    };
  }

  private static java.net.URI endpointOf(MeridianClient client, String region) {
    for (Target.Region r : client.target.regions) if (r.name().equals(region)) return r.endpoint();
    throw new IllegalStateException("no endpoint for region " + region);
  }

  /** Ops of one kind only, drawn from a source. */
  static Supplier<Workload.Op> only(Workload.Kind kind, Workload.Source source) {
    return () -> {
      Workload.Op op;
      do {
        op = source.next();
      } while (op.kind() != kind);
      return op;
    };
  }

  /** Writes only (no reads) from a source. */
  static Supplier<Workload.Op> writes(Workload.Source source) {
    return () -> {
      Workload.Op op;
      do {
        op = source.next();
      } while (!op.kind().write);
      return op;
    };
  }
}
