package io.meridian.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScalingPlanTest {

  @Test
  void regionSetsAreSeparatedByColonsAndRegionsByCommas() {
    assertEquals(
        List.of(List.of("us", "eu"), List.of("us", "eu", "ap", "sa", "af")),
        ScalingPlan.parseRegionSets("us,eu:us,eu,ap,sa,af"));
  }

  @Test
  void refuseRegionSetWithEmptyNameDuplicateOrUpperCase() {
    assertThrows(IllegalArgumentException.class, () -> ScalingPlan.parseRegionSets("us,,eu"));
    assertThrows(IllegalArgumentException.class, () -> ScalingPlan.parseRegionSets("us,eu:"));
    assertThrows(IllegalArgumentException.class, () -> ScalingPlan.parseRegionSets("us,us"));
    assertThrows(IllegalArgumentException.class, () -> ScalingPlan.parseRegionSets("US"));
    assertThrows(IllegalArgumentException.class, () -> ScalingPlan.parseRegionSets(" "));
  }

  @Test
  void rowsRunFewerUsersFirstThenFewerRegions() {
    List<ScalingPlan.Row> rows =
        ScalingPlan.rows(
            List.of(10_000, 1_000), List.of(List.of("us", "eu", "ap"), List.of("us", "eu")));
    assertEquals(
        List.of(
            new ScalingPlan.Row(1_000, List.of("us", "eu")),
            new ScalingPlan.Row(1_000, List.of("us", "eu", "ap")),
            new ScalingPlan.Row(10_000, List.of("us", "eu")),
            new ScalingPlan.Row(10_000, List.of("us", "eu", "ap"))),
        rows);
  }

  @Test
  void refuseNonPositiveUsers() {
    assertThrows(
        IllegalArgumentException.class, () -> ScalingPlan.rows(List.of(0), List.of(List.of("us"))));
  }

  @Test
  void skipRowWithMoreReplicasThanTheLimit() {
    var row = new ScalingPlan.Row(10_000, List.of("us", "eu", "ap", "sa", "af"));
    Optional<String> reason = ScalingPlan.skipReason(row, 30_000, null, Duration.ofMinutes(10));
    assertTrue(reason.orElseThrow().contains("50,000 replicas"), reason.get());
  }

  @Test
  void rowAtTheReplicaLimitRuns() {
    var row = new ScalingPlan.Row(10_000, List.of("us", "eu", "ap"));
    assertTrue(ScalingPlan.skipReason(row, 30_000, null, Duration.ofMinutes(10)).isEmpty());
  }

  @Test
  void skipRowWhoseCreationWouldTakeLongerThanAllowed() {
    var row = new ScalingPlan.Row(100_000, List.of("us", "eu"));
    Optional<String> reason = ScalingPlan.skipReason(row, 1_000_000, 40.0, Duration.ofMinutes(10));
    assertTrue(reason.orElseThrow().contains("~42 min"), reason.get());
  }

  @Test
  void skipRowGivesEveryReason() {
    var row = new ScalingPlan.Row(100_000, List.of("us", "eu"));
    String reason = ScalingPlan.skipReason(row, 30_000, 40.0, Duration.ofMinutes(10)).orElseThrow();
    assertTrue(reason.contains("200,000 replicas") && reason.contains("~42 min"), reason);
  }

  @Test
  void rowRunsWhenCreationFitsOrNoRateWasMeasured() {
    var row = new ScalingPlan.Row(10_000, List.of("us", "eu"));
    assertTrue(ScalingPlan.skipReason(row, 1_000_000, 40.0, Duration.ofMinutes(10)).isEmpty());
    var big = new ScalingPlan.Row(100_000, List.of("us", "eu"));
    assertTrue(ScalingPlan.skipReason(big, 1_000_000, null, Duration.ofMinutes(10)).isEmpty());
  }

  @Test
  void heapUsedIsTheSumOfTheGenerationsWithoutMetaspace() {
    String serial =
        """
        12345:
         def new generation   total 157248K, used 2795K [0x00000000e0000000, 0x00000000eaaa0000)
          eden space 139776K,   2% used [0x00000000e0000000, 0x00000000e02bae40, 0x00000000e8880000)
         tenured generation   total 349568K, used 60123K [0x00000000eaaa0000, 0x0000000100000000)
         Metaspace       used 85123K, committed 86016K, reserved 1179648K
        """;
    assertEquals(Optional.of(62_918L), ScalingPlan.heapUsedKb(serial));
  }

  @Test
  void heapUsedOfG1IsItsOneHeapLine() {
    String g1 =
        " garbage-first heap   total 524288K, used 41234K [0x00000000e0000000, 0x0000000100000000)\n"
            + "  region size 1024K, 3 young (3072K), 0 survivors (0K)\n"
            + " Metaspace       used 85123K, committed 86016K, reserved 1179648K\n";
    assertEquals(Optional.of(41_234L), ScalingPlan.heapUsedKb(g1));
  }

  @Test
  void heapUsedIsEmptyWithoutGenerationLines() {
    assertEquals(Optional.empty(), ScalingPlan.heapUsedKb("12345:\nAttachNotSupportedException\n"));
  }

  @Test
  void fitGivesTheLeastSquaresLine() {
    ScalingPlan.Line line =
        ScalingPlan.fit(new double[] {0, 1000, 10_000}, new double[] {50, 68, 230}).orElseThrow();
    assertEquals(0.018, line.slope(), 1e-9);
    assertEquals(50, line.intercept(), 1e-6);
    assertEquals(1_850, line.at(100_000), 1e-6);
  }

  @Test
  void noFitWithoutTwoDistinctX() {
    assertFalse(ScalingPlan.fit(new double[] {1}, new double[] {2}).isPresent());
    assertFalse(ScalingPlan.fit(new double[] {3, 3}, new double[] {1, 2}).isPresent());
  }

  @Test
  void loadAverageReadsTheFirstThreeFields() {
    assertEquals(List.of(1.2, 1.11, 1.84), ScalingPlan.loadAverage("1.20 1.11 1.84 1/82 21623\n"));
  }

  @Test
  void creationDeadlineGrowsWithTheUsers() {
    assertEquals(Duration.ofSeconds(120), MeridianClient.creationDeadline(0));
    assertEquals(Duration.ofSeconds(170), MeridianClient.creationDeadline(1_000));
    assertEquals(Duration.ofSeconds(620), MeridianClient.creationDeadline(10_000));
  }

  @Test
  void retryDelayDoublesToTwoSecondsWithJitterAndHonoursRetryAfter() {
    assertEquals(100, MeridianClient.retryDelayMillis(1, null, 0));
    assertEquals(200, MeridianClient.retryDelayMillis(1, null, 1));
    assertEquals(400, MeridianClient.retryDelayMillis(3, null, 0));
    assertEquals(2_000, MeridianClient.retryDelayMillis(30, null, 1));
    assertEquals(1_000, MeridianClient.retryDelayMillis(30, null, 0));
    assertEquals(3_000, MeridianClient.retryDelayMillis(1, Duration.ofSeconds(3), 0.5));
  }

  @Test
  void aCreateIsDoneWhenCreatedOrExisting() {
    assertTrue(MeridianClient.createdOrExists(201, null));
    assertTrue(MeridianClient.createdOrExists(409, "user_exists"));
    assertFalse(MeridianClient.createdOrExists(409, "idempotency_key_reused"));
    assertFalse(MeridianClient.createdOrExists(503, "owner_unavailable"));
  }

  @Test
  void onlyRefusalsAndMissingAnswersAreRetried() {
    for (int status : new int[] {0, 408, 429, 503}) assertTrue(MeridianClient.retryable(status));
    for (int status : new int[] {400, 401, 409, 422, 500})
      assertFalse(MeridianClient.retryable(status));
  }

  @Test
  void createGoesHomeUnlessHomeWasOutOfReachFromThere() {
    List<String> regions = List.of("us", "eu", "ap");
    assertEquals("eu", MeridianClient.createRegion(regions, "eu", 0, -1, null));
    assertEquals("eu", MeridianClient.createRegion(regions, "eu", 1, 503, "owner_unavailable"));
    assertEquals("ap", MeridianClient.createRegion(regions, "eu", 1, 0, null));
    assertEquals("us", MeridianClient.createRegion(regions, "eu", 2, 0, null));
    assertEquals("ap", MeridianClient.createRegion(regions, "eu", 1, 503, "ownership_unconfirmed"));
  }

  @Test
  void costPerThousandLiveReplicasNeedsAHundredReplicasOfDifference() {
    assertEquals(0.2, ScalingFigures.coresPerThousandLive(0.5, 2_000.0, 0.1, 0.0), 1e-9);
    assertNull(ScalingFigures.coresPerThousandLive(0.5, 50.0, 0.1, 0.0));
    assertNull(ScalingFigures.coresPerThousandLive(null, 2_000.0, 0.1, 0.0));
  }

  @Test
  void heapPerLiveReplicaIsTheHeapThatLeftWithTheReplicas() {
    Map<String, Object> live =
        Map.of(
            "us", Map.of("heapUsedAfterFullGcMb", 100.0, "liveReplicas", 2_048.0),
            "eu", Map.of("heapUsedAfterFullGcMb", 90.0, "liveReplicas", 50.0));
    Map<String, Object> passivated =
        Map.of(
            "us", Map.of("heapUsedAfterFullGcMb", 60.0, "liveReplicas", 0.0),
            "eu", Map.of("heapUsedAfterFullGcMb", 60.0, "liveReplicas", 0.0));
    // eu lost fewer than 100 replicas: left out
    assertEquals(20.0, ScalingFigures.heapKbPerLiveReplica(live, passivated), 1e-9);
  }
}
