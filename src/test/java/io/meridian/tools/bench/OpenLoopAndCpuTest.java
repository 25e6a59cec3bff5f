package io.meridian.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The open-loop mode's arithmetic (schedule, corrected latency, max sustainable rate) and the CPU
 * accounting's parsing of /proc.
 */
class OpenLoopAndCpuTest {

  @Test
  void operationsAreDueAtFixedIntervalsFromTheStart() {
    assertEquals(0, OpenLoop.intendedOffsetNanos(50, 0));
    assertEquals(20_000_000, OpenLoop.intendedOffsetNanos(50, 1));
    assertEquals(1_000_000_000, OpenLoop.intendedOffsetNanos(50, 50));
    // No drift from summing rounded intervals: 3 ops/s, op 3 is due at exactly 1 s.
    assertEquals(333_333_333, OpenLoop.intendedOffsetNanos(3, 1));
    assertEquals(1_000_000_000, OpenLoop.intendedOffsetNanos(3, 3));
    assertEquals(10_000_000_000L, OpenLoop.intendedOffsetNanos(3, 30));
    // A step holds the operations due before its end.
    assertEquals(500, OpenLoop.operationsInStep(50, 10_000_000_000L));
    assertEquals(30, OpenLoop.operationsInStep(3, 10_000_000_000L));
    assertEquals(4, OpenLoop.operationsInStep(3, 1_000_000_001L));
    assertEquals(0, OpenLoop.operationsInStep(100, 0));
  }

  @Test
  void latencyCountsFromTheIntendedSendTime() {
    // Due at 1 s, sent late at 1.3 s (the sender was held up), answered at 1.31 s: 310 ms, not 10.
    long intended = 1_000_000_000L;
    assertEquals(310_000, OpenLoop.correctedMicros(intended, 1_310_000_000L));
    assertEquals(1, OpenLoop.correctedMicros(intended, intended));
  }

  @Test
  void aStallShowsInTheRecordedLatencies() throws Exception {
    // 200 ops/s for 1 s; the system answers at once, except that it stalls 300 ms from 0.5 s:
    // the operations due during the stall wait for its end, and their latency says so.
    long[] stallUntil = {0};
    long start = System.nanoTime();
    LoadGenerator.Sender sender =
        op -> {
          long now = System.nanoTime();
          if (now - start >= 500_000_000L && stallUntil[0] == 0) stallUntil[0] = now + 300_000_000L;
          long wait = Math.max(0, stallUntil[0] - now);
          return CompletableFuture.supplyAsync(
              () -> LoadGenerator.Outcome.ok("read"),
              CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS));
        };
    Workload.Source source = Workload.READS.source(1, 10);
    OpenLoop.Step step =
        new OpenLoop(100, Duration.ofSeconds(5))
            .step(200, Duration.ZERO, Duration.ofSeconds(1), source::next, sender);
    assertEquals(200, step.sent());
    assertEquals(200, step.ok());
    // The first operation of the stall waited ≈ 300 ms; later ones less, linearly.
    assertTrue(step.latency().getMaxValue() >= 250_000, "max " + step.latency().getMaxValue());
    assertTrue(step.p99Millis() >= 200, "p99 " + step.p99Millis());
    assertTrue(
        step.latency().getValueAtPercentile(50) < 150_000,
        "p50 " + step.latency().getValueAtPercentile(50));
  }

  @Test
  void atAFixedRateLatencyCountsFromTheScheduleWhenTheSenderFallsBehind() throws Exception {
    // --rate 100 with one request in flight and 50 ms answers: the operations fall behind their
    // schedule, and their latency from the intended time grows with the backlog.
    LoadGenerator.Sender slow =
        op ->
            CompletableFuture.supplyAsync(
                () -> LoadGenerator.Outcome.ok("read"),
                CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
    var settings =
        new LoadGenerator.Settings("test", 1, 100, Duration.ZERO, Duration.ofMillis(1500));
    LoadGenerator.Result result =
        new LoadGenerator(settings).run(Workload.READS.source(1, 10)::next, slow, () -> false);
    long max = result.all().getMaxValue();
    assertTrue(max >= 800_000, "max latency from the intended time " + max + " us");
  }

  @Test
  void maxSustainableRateIsTheHighestPassingRate() {
    OpenLoop.Bound bound = OpenLoop.Bound.of(50);
    List<OpenLoop.Step> steps =
        List.of(
            step(50, 10, 500, 5, 0),
            step(100, 10, 1000, 20, 0),
            step(200, 10, 2000, 49, 0),
            step(400, 10, 2000, 900, 0));
    assertEquals(200.0, OpenLoop.maxSustainableRate(steps, bound));
    // Too few completed (achieved < 95 % of offered): fails though its p99 is low.
    assertEquals(
        100.0,
        OpenLoop.maxSustainableRate(
            List.of(step(100, 10, 1000, 20, 0), step(200, 10, 1500, 20, 0)), bound));
    // Errors above 1 % of the sent operations fail a step.
    assertEquals(
        50.0,
        OpenLoop.maxSustainableRate(
            List.of(step(50, 10, 500, 5, 0), step(100, 10, 1000, 20, 30)), bound));
    assertNull(OpenLoop.maxSustainableRate(List.of(step(50, 10, 500, 80, 0)), bound));
    assertNull(OpenLoop.maxSustainableRate(List.of(), bound));
  }

  /** A step of {@code ok} answers, all of {@code latencyMillis}, and {@code errors} failures. */
  private static OpenLoop.Step step(
      double rate, double seconds, long ok, long latencyMillis, long errors) {
    Histogram h = new Histogram(3);
    h.recordValueWithCount(latencyMillis * 1000, ok);
    Map<String, Long> errs = new LinkedHashMap<>();
    if (errors > 0) errs.put("timeout", errors);
    return new OpenLoop.Step(rate, seconds, ok + errors, h, Map.of("read", h), errs, 0);
  }

  @Test
  void procStatGivesUserPlusSystemTicksCountedFromTheLastParenthesis() {
    String line =
        "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 123 0 0 0 1500 250 3 4 20 0 57 0"
            + " 987654 5000000000 30000 18446744073709551615 1 1 0 0 0 0 0 4096 16384 0 0 0 17 1"
            + " 0 0 0 0 0";
    ProcCpu.Ticks ticks = ProcCpu.parseStat(line);
    assertEquals(1750, ticks.cpu());
    assertEquals(987654, ticks.startTime());
    assertThrows(IllegalArgumentException.class, () -> ProcCpu.parseStat("garbage"));
  }

  @Test
  void procStatOfTheMachineCountsEverythingButIdleAndIowait() {
    assertEquals(
        100 + 2 + 30 + 5 + 6 + 7, ProcCpu.parseMachineBusy("cpu  100 2 30 9000 400 5 6 7 0 0"));
  }

  @Test
  void costDividesTheCpuTimeByTheOperations() {
    var before =
        new ProcCpu.Sample(
            0,
            Map.of(
                "region us", new ProcCpu.Ticks(1000, 7),
                "cassandra", new ProcCpu.Ticks(500, 9),
                "region eu", new ProcCpu.Ticks(10, 11)),
            10_000);
    var after =
        new ProcCpu.Sample(
            10_000_000_000L,
            new LinkedHashMap<>(
                Map.of(
                    "region us", new ProcCpu.Ticks(1500, 7),
                    "cassandra", new ProcCpu.Ticks(700, 9),
                    "region eu", new ProcCpu.Ticks(5, 99))),
            11_000);
    Map<String, Object> cost = ProcCpu.cost(before, after, 1000, 100);
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> byProcess =
        (Map<String, Map<String, Object>>) cost.get("byProcess");
    // 500 ticks at 100/s = 5,000 ms over 1,000 operations; 0.5 cores over 10 s.
    assertEquals(5000.0, byProcess.get("region us").get("cpuMillis"));
    assertEquals(5.0, byProcess.get("region us").get("cpuMillisPerOp"));
    assertEquals(0.5, byProcess.get("region us").get("coresUsed"));
    assertEquals(2.0, byProcess.get("cassandra").get("cpuMillisPerOp"));
    // A pid whose start time changed is another process: not counted.
    assertTrue(byProcess.get("region eu").containsKey("note"));
    @SuppressWarnings("unchecked")
    Map<String, Object> others = (Map<String, Object>) cost.get("otherProcesses");
    assertEquals(3000.0, others.get("cpuMillis"));
    assertTrue(ProcCpu.summary(cost).contains("region us"));
    // Without load region us used 0.3 cores: over 10 s that is 3,000 of its 5,000 ms, so the
    // operations cost it 2 ms each at the margin.
    var idleBefore = new ProcCpu.Sample(0, Map.of("region us", new ProcCpu.Ticks(0, 7)), 0);
    var idleAfter =
        new ProcCpu.Sample(5_000_000_000L, Map.of("region us", new ProcCpu.Ticks(150, 7)), 200);
    ProcCpu.addMarginal(cost, ProcCpu.cost(idleBefore, idleAfter, 0, 100));
    assertEquals(0.3, byProcess.get("region us").get("idleCores"));
    assertEquals(2.0, byProcess.get("region us").get("marginalCpuMillisPerOp"));
  }
}
