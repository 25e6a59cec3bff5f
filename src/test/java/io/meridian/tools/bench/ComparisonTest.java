package io.meridian.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ComparisonTest {

  @Test
  void eachRepetitionStartsOnePhaseLaterSoNoPhaseAlwaysFollowsTheSameOne() {
    List<String> phases = List.of("a", "b", "c");
    assertEquals(List.of("a", "b", "c"), Comparison.rotated(phases, 0));
    assertEquals(List.of("b", "c", "a"), Comparison.rotated(phases, 1));
    assertEquals(List.of("c", "a", "b"), Comparison.rotated(phases, 2));
    assertEquals(List.of("a", "b", "c"), Comparison.rotated(phases, 3));
  }

  @Test
  void theMedianIsTheMiddleValueOrTheMeanOfTheTwoMiddleOnes() {
    assertEquals(2.0, Comparison.median(List.of(1.0, 2.0, 9.0)));
    assertEquals(2.5, Comparison.median(List.of(1.0, 2.0, 3.0, 9.0)));
    assertEquals(7.0, Comparison.median(List.of(7.0)));
  }

  @Test
  void aSpreadGivesMedianMinAndMaxOfTheValuesInTheirOrder() {
    Map<String, Object> spread = Comparison.spread(List.of(3.0, 1.0, 2.0));
    assertEquals(2.0, spread.get("median"));
    assertEquals(1.0, spread.get("min"));
    assertEquals(3.0, spread.get("max"));
    assertEquals(List.of(3.0, 1.0, 2.0), spread.get("values"));
    assertNull(Comparison.spread(List.of()).get("median"));
  }

  @Test
  void aGoalIsMetByItsMedianOnTheRightSideOfTheBoundIncludingTheBoundItself() {
    assertEquals(
        true, Comparison.goal("g", "<= 10", List.of(9.0, 10.0, 30.0), true, 10).get("met"));
    assertEquals(
        false, Comparison.goal("g", "<= 10", List.of(9.0, 11.0, 30.0), true, 10).get("met"));
    assertEquals(
        true, Comparison.goal("g", ">= 0.3", List.of(0.3, 0.2, 0.4), false, 0.3).get("met"));
    assertEquals(
        false, Comparison.goal("g", ">= 0.3", List.of(0.29, 0.2, 0.4), false, 0.3).get("met"));
    assertNull(Comparison.goal("g", "<= 10", List.of(), true, 10).get("met"));
  }

  @Test
  void phasesRunWarmUpFirstThenInterleavedAndRatiosPairPhasesOfTheSameRepetition()
      throws InterruptedException {
    List<String> sent = new ArrayList<>();
    Comparison.Phase a = phase(Comparison.THROUGHPUT_REPLICATED, true, sent);
    Comparison.Phase b = phase(Comparison.THROUGHPUT_SINGLE_REGION, true, sent);
    Comparison comparison =
        new Comparison(
            List.of(a, b),
            2,
            Duration.ofMillis(50),
            Duration.ofMillis(100),
            2,
            50,
            new Comparison.CpuMeter() {
              @Override
              public ProcCpu.Sample sample() {
                return new ProcCpu.Sample(System.nanoTime(), Map.of(), -1);
              }

              @Override
              public Map<String, Object> cost(
                  ProcCpu.Sample before, ProcCpu.Sample after, long operations) {
                return Map.of();
              }
            });
    comparison.run();
    assertEquals(2, comparison.of(Comparison.THROUGHPUT_REPLICATED).size());
    assertEquals(2, comparison.of(Comparison.THROUGHPUT_SINGLE_REGION).size());
    // warm-up a, b; repetition 1: a, b; repetition 2: b, a
    List<String> runs = new ArrayList<>();
    for (String phase : sent)
      if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(phase)) runs.add(phase);
    assertEquals(
        List.of(
            Comparison.THROUGHPUT_REPLICATED,
            Comparison.THROUGHPUT_SINGLE_REGION,
            Comparison.THROUGHPUT_REPLICATED,
            Comparison.THROUGHPUT_SINGLE_REGION,
            Comparison.THROUGHPUT_REPLICATED),
        runs);
    List<Double> ratios =
        comparison.perRepetition(
            Comparison.THROUGHPUT_REPLICATED,
            Comparison.THROUGHPUT_SINGLE_REGION,
            (x, y) -> x.opsPerSecond() / y.opsPerSecond());
    assertEquals(2, ratios.size());
    // Phases left out of a run (--no-baselines) give goals without data, not a failed report.
    var goals = comparison.goals(null, null, "none");
    assertEquals(7, goals.size());
    assertNull(goals.get(0).get("met"));
    assertEquals(
        List.of(), comparison.perRepetition(Comparison.WRITE_HOME, "missing", (x, y) -> 1.0));
  }

  private static Comparison.Phase phase(String name, boolean throughput, List<String> sent) {
    return new Comparison.Phase(
        name,
        name,
        throughput,
        () -> new Workload.Op(Workload.Kind.PROFILE, 0, 1, 0),
        op -> {
          synchronized (sent) {
            sent.add(name);
          }
          return CompletableFuture.supplyAsync(
              () -> LoadGenerator.Outcome.ok("profile"),
              CompletableFuture.delayedExecutor(5, java.util.concurrent.TimeUnit.MILLISECONDS));
        });
  }

  @Test
  void theComparisonChartIsWrittenWithAPanelForThroughputAndOneForLatency(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
    System.setProperty("java.awt.headless", "true");
    java.nio.file.Path file = dir.resolve("compare.png");
    Charts.saveComparison(
        file,
        Map.of(Comparison.THROUGHPUT_REPLICATED, 120.0),
        Map.of(Comparison.WRITE_HOME, List.of(8.0, 30.0)));
    var image = javax.imageio.ImageIO.read(file.toFile());
    assertEquals(1600, image.getWidth());
    assertEquals(480, image.getHeight());
  }
}
