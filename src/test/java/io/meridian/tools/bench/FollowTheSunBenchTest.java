package io.meridian.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meridian.cohort.CohortSchedule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The follow-the-sun bench's arithmetic: its boundary, its schedule, its phases. */
class FollowTheSunBenchTest {
  private static final Set<String> REGIONS = Set.of("us", "eu", "ap");

  private static CohortSchedule parsed(String json) throws Exception {
    return CohortSchedule.fromSpec(
        MeridianClient.JSON.readValue(json, CohortSchedule.Spec.class), REGIONS);
  }

  @Test
  void theBoundaryIsTheNextWholeMinute() {
    assertEquals(
        Instant.parse("2026-12-01T07:03:00Z"),
        FollowTheSunBench.boundaryAfter(Instant.parse("2026-12-01T07:02:00.001Z")));
    assertEquals(
        Instant.parse("2026-12-01T07:02:00Z"),
        FollowTheSunBench.boundaryAfter(Instant.parse("2026-12-01T07:02:00Z")));
    assertEquals(
        Instant.parse("2026-12-02T00:00:00Z"),
        FollowTheSunBench.boundaryAfter(Instant.parse("2026-12-01T23:59:30Z")));
  }

  @Test
  void theScheduleHandsTheCohortOverAtTheBoundaryAndBackAfterTheWindow() throws Exception {
    Instant boundary = Instant.parse("2026-12-01T07:03:00Z");
    CohortSchedule schedule =
        parsed(FollowTheSunBench.windowsSpec("us", "eu", boundary, Duration.ofMinutes(25)));
    assertEquals("us", schedule.ownerAt(boundary.minusMillis(1)));
    assertEquals("eu", schedule.ownerAt(boundary));
    assertEquals("eu", schedule.ownerAt(boundary.plus(Duration.ofMinutes(25)).minusMillis(1)));
    assertEquals("us", schedule.ownerAt(boundary.plus(Duration.ofMinutes(25))));
    assertEquals(
        new CohortSchedule.HandOff(boundary, "us", "eu"),
        schedule.nextHandOff(boundary.minusSeconds(40)).orElseThrow());
  }

  @Test
  void windowsThatTouchMidnightAreValid() throws Exception {
    Instant lateBoundary = Instant.parse("2026-12-01T23:40:00Z");
    CohortSchedule ending =
        parsed(FollowTheSunBench.windowsSpec("us", "eu", lateBoundary, Duration.ofMinutes(20)));
    assertEquals("eu", ending.ownerAt(Instant.parse("2026-12-01T23:59:59Z")));
    assertEquals("us", ending.ownerAt(Instant.parse("2026-12-02T00:00:00Z")));

    Instant midnight = Instant.parse("2026-12-02T00:00:00Z");
    CohortSchedule starting =
        parsed(FollowTheSunBench.windowsSpec("us", "eu", midnight, Duration.ofMinutes(20)));
    assertEquals("us", starting.ownerAt(midnight.minusMillis(1)));
    assertEquals("eu", starting.ownerAt(midnight));

    CohortSchedule wrapping =
        parsed(
            FollowTheSunBench.windowsSpec(
                "us", "eu", Instant.parse("2026-12-01T23:50:00Z"), Duration.ofMinutes(20)));
    assertEquals("eu", wrapping.ownerAt(Instant.parse("2026-12-02T00:05:00Z")));
    assertEquals("us", wrapping.ownerAt(Instant.parse("2026-12-02T00:10:00Z")));
  }

  @Test
  void aWindowOfADayOrNoneIsRefused() {
    Instant boundary = Instant.parse("2026-12-01T07:03:00Z");
    assertThrows(
        IllegalArgumentException.class,
        () -> FollowTheSunBench.windowsSpec("us", "eu", boundary, Duration.ofHours(24)));
    assertThrows(
        IllegalArgumentException.class,
        () -> FollowTheSunBench.windowsSpec("us", "eu", boundary, Duration.ZERO));
  }

  @Test
  void theWindowOutlastsTheHandOffTimeout() {
    assertEquals(Duration.ofMinutes(25), FollowTheSunBench.windowFor(Duration.ofMinutes(15)));
    assertEquals(Duration.ofMinutes(12), FollowTheSunBench.windowFor(Duration.ofSeconds(61)));
    assertEquals(Duration.ofHours(12), FollowTheSunBench.windowFor(Duration.ofHours(30)));
  }

  @Test
  void aWriteIsDuringTheHandOffFromTheBoundaryUntilDone() {
    assertEquals(FollowTheSunBench.Phase.BEFORE, FollowTheSunBench.Phase.of(999, 1_000, 5_000));
    assertEquals(FollowTheSunBench.Phase.DURING, FollowTheSunBench.Phase.of(1_000, 1_000, 5_000));
    assertEquals(FollowTheSunBench.Phase.DURING, FollowTheSunBench.Phase.of(4_999, 1_000, 5_000));
    assertEquals(FollowTheSunBench.Phase.AFTER, FollowTheSunBench.Phase.of(5_000, 1_000, 5_000));
  }

  @Test
  @SuppressWarnings("unchecked")
  void refusalsAndLatencyAreCountedPerPhaseAndOutsideIsBeforeAndAfter() {
    List<FollowTheSunBench.Sample> samples =
        List.of(
            new FollowTheSunBench.Sample(500, 10_000, 200, null),
            new FollowTheSunBench.Sample(1_500, 40_000, 503, "owner_unavailable"),
            new FollowTheSunBench.Sample(2_000, 20_000, 200, null),
            new FollowTheSunBench.Sample(6_000, 30_000, 0, "timeout"));
    Map<String, Object> figures = FollowTheSunBench.figures(samples, 1_000, 5_000);
    Map<String, Object> during = (Map<String, Object>) figures.get("during");
    assertEquals(2L, during.get("writes"));
    assertEquals(1L, during.get("refused503"));
    assertEquals(Map.of("2xx", 1L, "503 owner_unavailable", 1L), during.get("answers"));
    assertEquals(
        40.0, (double) ((Map<String, Object>) during.get("latency")).get("maxMillis"), 0.1);
    Map<String, Object> outside = (Map<String, Object>) figures.get("outside");
    assertEquals(2L, outside.get("writes"));
    assertEquals(0L, outside.get("refused503"));
    assertEquals(Map.of("2xx", 1L, "no answer", 1L), outside.get("answers"));
    assertEquals(1L, ((Map<String, Object>) figures.get("before")).get("writes"));
    assertEquals(1L, ((Map<String, Object>) figures.get("after")).get("writes"));
  }
}
