package io.meridian.cohort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.cohort.CohortSchedule.HandOff;
import io.meridian.cohort.CohortSchedule.Slot;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Whatever valid schedule (windows at quarter hours in zones with and without daylight saving time,
 * including Lord Howe's half-hour shift; rotations of every period that divides the day) and
 * whatever instant (mostly near the transitions of 2026): the windows tile the time line, the owner
 * is constant within a window, and a hand-off is where the owner really changes.
 */
class CohortSchedulePropertiesTest {

  private static final Set<String> KNOWN = Set.of("us", "eu", "ap");
  private static final List<String> REGIONS = List.of("us", "eu", "ap");
  private static final List<String> ZONES =
      List.of("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata");
  private static final List<Instant> ANCHORS =
      List.of(
          Instant.parse("2026-03-29T01:00:00Z"), // Berlin forward
          Instant.parse("2026-10-25T01:00:00Z"), // Berlin back
          Instant.parse("2026-03-08T07:00:00Z"), // New York forward
          Instant.parse("2026-11-01T06:00:00Z"), // New York back
          Instant.parse("2026-04-04T15:00:00Z"), // Lord Howe back (half an hour)
          Instant.parse("2026-10-03T15:30:00Z"), // Lord Howe forward
          Instant.parse("2026-06-15T12:00:00Z"));

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<CohortSchedule> windowSchedules() {
    return Combinators.combine(
            Arbitraries.of(ZONES),
            Arbitraries.integers().between(0, 95).set().ofMinSize(1).ofMaxSize(6),
            Arbitraries.of(REGIONS).list().ofSize(6),
            Arbitraries.randoms())
        .as(CohortSchedulePropertiesTest::windowsText)
        .map(text -> CohortSchedule.parse(text, KNOWN));
  }

  /** Windows between the given quarter hours, written in a random order and with either dash. */
  private static String windowsText(
      String zone, Set<Integer> quarters, List<String> regions, Random random) {
    List<Integer> starts = new ArrayList<>(new TreeSet<>(quarters));
    List<String> windows = new ArrayList<>();
    if (starts.size() == 1) {
      windows.add(regions.get(0) + " 00:00-24:00");
    } else {
      for (int i = 0; i < starts.size(); i++) {
        int from = starts.get(i) * 15;
        int to = starts.get((i + 1) % starts.size()) * 15;
        String end = to == 0 && random.nextBoolean() ? "24:00" : hhmm(to);
        String dash = random.nextBoolean() ? "-" : "\u2013";
        windows.add(regions.get(i) + " " + hhmm(from) + dash + end);
      }
    }
    Collections.shuffle(windows, random);
    int withZone = random.nextInt(windows.size());
    windows.set(withZone, windows.get(withZone) + " " + zone);
    return String.join(", ", windows);
  }

  private static String hhmm(int minutes) {
    return LocalTime.ofSecondOfDay(minutes * 60L).toString();
  }

  @Provide
  Arbitrary<CohortSchedule> rotations() {
    List<Long> divisors = new ArrayList<>();
    for (long s = 1; s <= 86400; s++) if (86400 % s == 0) divisors.add(s);
    return Combinators.combine(
            Arbitraries.of(divisors), Arbitraries.of(REGIONS).list().ofMinSize(1).ofMaxSize(5))
        .as((every, regions) -> CohortSchedule.rotating(Duration.ofSeconds(every), regions, KNOWN));
  }

  @Provide
  Arbitrary<Instant> instants() {
    Arbitrary<Instant> nearTransitions =
        Combinators.combine(
                Arbitraries.of(ANCHORS),
                Arbitraries.longs().between(-3 * 86400, 3 * 86400),
                Arbitraries.of(0, 1, 999_999_999))
            .as((anchor, seconds, nanos) -> anchor.plusSeconds(seconds).plusNanos(nanos));
    Arbitrary<Instant> nearBoundaries =
        Combinators.combine(
                Arbitraries.of(ANCHORS),
                Arbitraries.integers().between(-3 * 96, 3 * 96),
                Arbitraries.of(-1L, 0L, 1L))
            .as((anchor, quarters, nanos) -> anchor.plusSeconds(quarters * 900L).plusNanos(nanos));
    Arbitrary<Instant> anywhere =
        Arbitraries.longs().between(-2_000_000_000L, 4_000_000_000L).map(Instant::ofEpochSecond);
    return Arbitraries.frequencyOf(
        Tuple.of(4, nearTransitions), Tuple.of(4, nearBoundaries), Tuple.of(1, anywhere));
  }

  // ------------------------------------------------------------------ properties

  @Property(tries = 400)
  void theWindowsOfASchedulesTileTheTimeLine(
      @ForAll("windowSchedules") CohortSchedule schedule, @ForAll("instants") Instant t) {
    checkSlot(schedule, t);
  }

  @Property(tries = 300)
  void theRotationPeriodsTileTheTimeLine(
      @ForAll("rotations") CohortSchedule schedule, @ForAll("instants") Instant t) {
    Slot slot = checkSlot(schedule, t);
    long every = Duration.between(slot.from(), slot.until()).getSeconds();
    assertEquals(0, Math.floorMod(slot.from().getEpochSecond(), every));
    assertEquals(schedule.spec().rotateEvery(), Duration.ofSeconds(every).toString());
  }

  private static Slot checkSlot(CohortSchedule schedule, Instant t) {
    Slot slot = schedule.slotAt(t);
    assertFalse(slot.from().isAfter(t), () -> slot + " starts after " + t);
    assertTrue(t.isBefore(slot.until()), () -> slot + " ends at or before " + t);
    assertEquals(slot, schedule.slotAt(slot.from()));
    assertEquals(slot, schedule.slotAt(slot.until().minusNanos(1)));
    assertEquals(slot.region(), schedule.ownerAt(t));
    assertEquals(slot.until(), schedule.slotAt(slot.until()).from(), "the next window follows");
    assertEquals(slot.from(), schedule.slotAt(slot.from().minusNanos(1)).until(), "and before");
    String next = schedule.ownerAt(slot.until());
    assertTrue(
        !next.equals(slot.region()) || schedule.slotAt(slot.until()).region().equals(next),
        "the owner at the end is the next window's");
    return slot;
  }

  @Property(tries = 400)
  void aHandOffIsTheFirstChangeOfOwner(
      @ForAll("windowSchedules") CohortSchedule schedule, @ForAll("instants") Instant t) {
    checkHandOff(schedule, t);
  }

  @Property(tries = 300)
  void aRotationHandOffIsTheFirstChangeOfOwner(
      @ForAll("rotations") CohortSchedule schedule, @ForAll("instants") Instant t) {
    checkHandOff(schedule, t);
  }

  private static void checkHandOff(CohortSchedule schedule, Instant t) {
    Optional<HandOff> handOff = schedule.nextHandOff(t);
    Slot stint = schedule.currentStint(t);
    assertFalse(stint.from().isAfter(t));
    assertTrue(t.isBefore(stint.until()));
    assertEquals(schedule.ownerAt(t), stint.region());
    if (schedule.regions().size() < 2) {
      assertEquals(Optional.empty(), handOff);
      return;
    }
    // With two regions every day has a change of owner, so one is found within the horizon.
    assertTrue(handOff.isPresent(), () -> "no hand-off after " + t + " in " + schedule);
    HandOff h = handOff.get();
    assertTrue(h.at().isAfter(t));
    assertEquals(schedule.ownerAt(t), h.from());
    assertEquals(h.to(), schedule.ownerAt(h.at()));
    assertEquals(h.from(), schedule.ownerAt(h.at().minusNanos(1)));
    assertNotEquals(h.from(), h.to());
    // Nothing changes before it: the stint of the owner at t ends there.
    assertEquals(h.at(), stint.until());
    assertNotEquals(stint.region(), schedule.ownerAt(stint.from().minusNanos(1)));
    assertEquals(stint, schedule.currentStint(stint.from()));
    assertEquals(stint, schedule.currentStint(stint.until().minusNanos(1)));
  }

  @Property(tries = 300)
  void inUtcTheOwnerIsTheWindowOfTheTimeOfDay(
      @ForAll("windowSchedules") CohortSchedule schedule, @ForAll("instants") Instant t) {
    CohortSchedule utc =
        CohortSchedule.fromSpec(
            new CohortSchedule.Spec("UTC", schedule.spec().windows(), null, null), KNOWN);
    int second = t.atOffset(ZoneOffset.UTC).toLocalTime().toSecondOfDay();
    String expected = null;
    for (CohortSchedule.Window w : utc.spec().windows()) {
      int from = seconds(w.from());
      int to = seconds(w.to());
      boolean in = from < to ? from <= second && second < to : second >= from || second < to;
      if (in) expected = w.region();
    }
    assertEquals(expected, utc.ownerAt(t));
  }

  private static int seconds(String hhmm) {
    return hhmm.equals("24:00") ? 86400 : LocalTime.parse(hhmm).toSecondOfDay();
  }

  @Property(tries = 200)
  void textAndSpecReadBackTheSameSchedule(@ForAll("windowSchedules") CohortSchedule schedule) {
    assertEquals(schedule, CohortSchedule.parse(schedule.describe(), KNOWN));
    assertEquals(schedule, CohortSchedule.fromSpec(schedule.spec(), KNOWN));
  }

  @Property(tries = 100)
  void rotationTextAndSpecReadBackTheSameSchedule(@ForAll("rotations") CohortSchedule schedule) {
    assertEquals(schedule, CohortSchedule.parse(schedule.describe(), KNOWN));
    assertEquals(schedule, CohortSchedule.fromSpec(schedule.spec(), KNOWN));
  }
}
