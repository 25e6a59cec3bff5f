package io.meridian.tools.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultPlanTest {
  private static final List<String> REGIONS = List.of("us", "eu", "ap");

  @Test
  void theSameSeedGivesTheSamePlan() {
    for (long seed = 0; seed < 50; seed++) {
      FaultPlan first = FaultPlan.of(seed, Duration.ofMinutes(10), FaultKind.all(), REGIONS, 12);
      FaultPlan second = FaultPlan.of(seed, Duration.ofMinutes(10), FaultKind.all(), REGIONS, 12);
      assertEquals(first, second);
      assertFalse(first.faults().isEmpty());
    }
  }

  @Test
  void differentSeedsGiveDifferentPlans() {
    assertNotEquals(
        FaultPlan.of(1, Duration.ofMinutes(10), FaultKind.all(), REGIONS, 12).faults(),
        FaultPlan.of(2, Duration.ofMinutes(10), FaultKind.all(), REGIONS, 12).faults());
  }

  @Test
  void faultsNeverOverlapAndAllHealBeforeTheEnd() {
    for (long seed = 0; seed < 200; seed++) {
      Duration duration = Duration.ofSeconds(30 + seed * 7 % 900);
      FaultPlan plan = FaultPlan.of(seed, duration, FaultKind.all(), REGIONS, 12);
      List<PlannedFault> faults = plan.faults();
      for (int i = 0; i < faults.size(); i++) {
        PlannedFault fault = faults.get(i);
        assertTrue(fault.atMillis() >= FaultPlan.WARM_UP_MILLIS, "seed " + seed + ": " + fault);
        assertTrue(
            fault.healAtMillis() < duration.toMillis(),
            "seed " + seed + ": heals after the end: " + fault);
        if (i > 0) {
          PlannedFault previous = faults.get(i - 1);
          assertTrue(
              fault.atMillis() > previous.healAtMillis(),
              "seed " + seed + ": one fault at a time: " + previous + " then " + fault);
        }
        if (fault.kind() == FaultKind.PAUSE_REGION || fault.kind() == FaultKind.PAUSE_CASSANDRA) {
          long length = fault.healAtMillis() - fault.atMillis();
          assertTrue(length >= 2_000 && length <= 10_000, "pauses last 2-10 s: " + fault);
        }
        if (fault.kind() == FaultKind.PARTITION || fault.kind() == FaultKind.ASYMMETRIC_PARTITION) {
          long length = fault.healAtMillis() - fault.atMillis();
          assertTrue(length >= 5_000 && length <= 15_000, "partitions last 5-15 s: " + fault);
        }
        if (fault.kind() == FaultKind.MOVE)
          assertTrue(fault.userIndex() >= 0 && fault.userIndex() < 12, fault.toString());
        if (fault.kind() != FaultKind.PAUSE_CASSANDRA)
          assertTrue(REGIONS.contains(fault.region()), fault.toString());
      }
    }
  }

  @Test
  void usesOnlyTheChosenKinds() {
    List<FaultKind> chosen = List.of(FaultKind.KILL, FaultKind.MOVE);
    FaultPlan plan = FaultPlan.of(7, Duration.ofMinutes(5), chosen, REGIONS, 12);
    assertTrue(plan.faults().stream().allMatch(f -> chosen.contains(f.kind())), plan.toString());
  }

  @Test
  void theShortIntegrationRunKillsPausesAndMoves() {
    FaultPlan plan =
        FaultPlan.of(
            51,
            Duration.ofSeconds(40),
            List.of(
                FaultKind.KILL, FaultKind.ADMIN_DOWN_UP, FaultKind.MOVE, FaultKind.PAUSE_REGION),
            REGIONS,
            9);
    assertEquals(
        List.of(FaultKind.KILL, FaultKind.PAUSE_REGION, FaultKind.MOVE),
        plan.faults().stream().map(PlannedFault::kind).toList(),
        plan.toString());
    assertEquals(new PlannedFault(FaultKind.KILL, "us", -1, 4_000, 24_000), plan.faults().get(0));
  }

  @Test
  void aTooShortRunHasNoFaultsAndUnknownKindsAreRefused() {
    assertTrue(
        FaultPlan.of(1, Duration.ofSeconds(3), FaultKind.all(), REGIONS, 3).faults().isEmpty());
    assertEquals(FaultKind.PAUSE_CASSANDRA, FaultKind.parse("pause-cassandra"));
    var refused = assertThrows(IllegalArgumentException.class, () -> FaultKind.parse("clock-skew"));
    assertTrue(refused.getMessage().contains("docs/testing.md"));
  }
}
