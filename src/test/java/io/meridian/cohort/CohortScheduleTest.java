package io.meridian.cohort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.cohort.CohortSchedule.HandOff;
import io.meridian.cohort.CohortSchedule.InvalidSchedule;
import io.meridian.cohort.CohortSchedule.Slot;
import io.meridian.cohort.CohortSchedule.Spec;
import io.meridian.cohort.CohortSchedule.Window;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CohortScheduleTest {

  private static final Set<String> KNOWN = Set.of("us", "eu", "ap");
  private static final String SUN = "us 13:00-21:00 UTC, ap 21:00-05:00, eu 05:00-13:00";
  private static final String BERLIN =
      "us 13:00-21:00 Europe/Berlin, ap 21:00-05:00, eu 05:00-13:00";

  private static CohortSchedule parse(String text) {
    return CohortSchedule.parse(text, KNOWN);
  }

  private static Instant at(String instant) {
    return Instant.parse(instant);
  }

  private static Slot slot(String region, String from, String until) {
    return new Slot(region, at(from), at(until));
  }

  private static Optional<HandOff> handOff(String at, String from, String to) {
    return Optional.of(new HandOff(at(at), from, to));
  }

  private static String refusal(String text) {
    return assertThrows(InvalidSchedule.class, () -> parse(text)).getMessage();
  }

  private static String refusal(Spec spec) {
    return assertThrows(InvalidSchedule.class, () -> CohortSchedule.fromSpec(spec, KNOWN))
        .getMessage();
  }

  // ------------------------------------------------------------------ validation: windows

  @Test
  void refuseAGapBetweenWindows() {
    assertEquals(
        "gap between 05:00 and 06:00 (UTC): no region owns the cohort then",
        refusal("us 13:00-21:00, ap 21:00-05:00, eu 06:00-13:00"));
  }

  @Test
  void refuseAGapAcrossMidnight() {
    assertEquals(
        "gap between 22:00 and 05:00 (UTC): no region owns the cohort then",
        refusal("us 05:00-22:00"));
  }

  @Test
  void refuseAGapAtTheStartOrTheEndOfTheDay() {
    assertEquals(
        "gap between 00:00 and 01:00 (UTC): no region owns the cohort then",
        refusal("us 01:00-24:00"));
    assertEquals(
        "gap between 23:00 and 24:00 (UTC): no region owns the cohort then",
        refusal("us 00:00-23:00"));
  }

  @Test
  void nameTheEarliestOfSeveralGapsJoiningTheOneAcrossMidnight() {
    // Uncovered: 22:00-02:00 (across midnight) and 03:00-05:00.
    assertEquals(
        "gap between 03:00 and 05:00 (UTC): no region owns the cohort then",
        refusal("us 02:00-03:00, eu 05:00-22:00"));
    // Uncovered: 23:00-01:00 (across midnight) and 12:00-13:00.
    assertEquals(
        "gap between 12:00 and 13:00 (UTC): no region owns the cohort then",
        refusal("us 01:00-12:00, eu 13:00-23:00"));
    // Uncovered: 23:00-01:00 only.
    assertEquals(
        "gap between 23:00 and 01:00 (UTC): no region owns the cohort then",
        refusal("us 01:00-12:00, eu 12:00-23:00"));
  }

  @Test
  void nameTheZoneOfAGap() {
    assertEquals(
        "gap between 05:00 and 06:00 (Europe/Berlin): no region owns the cohort then",
        refusal("us 13:00-21:00 Europe/Berlin, ap 21:00-05:00, eu 06:00-13:00"));
  }

  @Test
  void refuseOverlappingWindows() {
    assertEquals(
        "windows us 13:00-21:00 and eu 20:00-05:00 overlap between 20:00 and 21:00",
        refusal("us 13:00-21:00, eu 20:00-05:00, ap 05:00-13:00"));
  }

  @Test
  void refuseAnOverlapAcrossMidnight() {
    assertEquals(
        "windows eu 20:00-05:00 and ap 22:00-06:00 overlap between 22:00 and 05:00",
        refusal("ap 22:00-06:00, eu 20:00-05:00, us 06:00-20:00"));
  }

  @Test
  void nameTheFirstOfTwoSeparateOverlaps() {
    assertEquals(
        "windows us 04:00-21:00 and eu 20:00-05:00 overlap between 04:00 and 05:00",
        refusal("eu 20:00-05:00, us 04:00-21:00"));
  }

  @Test
  void refuseAWindowGivenTwice() {
    assertEquals(
        "windows us 00:00-24:00 and us 00:00-24:00 overlap between 00:00 and 24:00",
        refusal("us 00:00-24:00, us 00:00-24:00"));
  }

  @Test
  void refuseAnEmptyWindow() {
    assertEquals(
        "window us 05:00-05:00 is empty: a window over the whole day is written 00:00-24:00",
        refusal("us 05:00-05:00"));
    assertEquals(
        "window us 00:00-00:00 is empty: a window over the whole day is written 00:00-24:00",
        refusal("us 00:00-00:00"));
  }

  @Test
  void refuseAWindowStartingAt24() {
    assertEquals(
        "window us 24:00-05:00 starts at 24:00: 24:00 is only the end of a window",
        refusal("us 24:00-05:00, eu 05:00-24:00"));
  }

  @Test
  void refuseAnUnknownRegion() {
    assertEquals(
        "unknown region xx in window xx 13:00-21:00 (known: ap, eu, us)",
        refusal("xx 13:00-21:00, ap 21:00-05:00, eu 05:00-13:00"));
  }

  @Test
  void refuseAWindowWithoutRegion() {
    assertEquals(
        "no region in window null 00:00-24:00",
        assertThrows(
                InvalidSchedule.class,
                () ->
                    CohortSchedule.windows(
                        "UTC", List.of(new Window(null, "00:00", "24:00")), KNOWN))
            .getMessage());
    assertEquals(
        "no region in window   00:00-24:00",
        refusal(Spec.windows("UTC", List.of(w(" ", "00:00", "24:00")))));
  }

  @Test
  void refuseAnUnknownZone() {
    assertEquals("unknown time zone Mars/Base", refusal("us 00:00-24:00 Mars/Base"));
    assertEquals(
        "no time zone",
        assertThrows(
                InvalidSchedule.class,
                () -> CohortSchedule.windows(" ", List.of(w("us", "00:00", "24:00")), KNOWN))
            .getMessage());
  }

  @Test
  void refuseTwoDifferentZones() {
    assertEquals(
        "windows name different time zones UTC and Europe/Berlin: one zone for the whole schedule",
        refusal("us 00:00-12:00 UTC, eu 12:00-24:00 Europe/Berlin"));
  }

  @Test
  void refuseNoWindows() {
    String message = "no windows: a schedule needs at least one window";
    assertEquals(message, refusal(""));
    assertEquals(message, refusal("  "));
    assertEquals(message, refusal(" , "));
    assertEquals(
        message,
        assertThrows(InvalidSchedule.class, () -> CohortSchedule.parse(null, KNOWN)).getMessage());
    assertEquals(
        message,
        assertThrows(
                InvalidSchedule.class,
                () -> CohortSchedule.windows(ZoneId.of("UTC"), List.of(), KNOWN))
            .getMessage());
    assertEquals(message, refusal(Spec.windows("UTC", null)));
    assertEquals(message, refusal(new Spec(null, null, null, null)));
  }

  @Test
  void refuseBadTimes() {
    assertEquals(
        "bad time 25:00 in window us 25:00-05:00: expected HH:MM",
        refusal("us 25:00-05:00, eu 05:00-24:00"));
    assertEquals(
        "bad time 12:60 in window us 00:00-12:60: expected HH:MM",
        refusal("us 00:00-12:60, eu 12:60-24:00"));
    assertEquals(
        "bad time 24:01 in window us 00:00-24:01: expected HH:MM", refusal("us 00:00-24:01"));
    assertEquals(
        "bad time 23:59:60 in window us 00:00-23:59:60: expected HH:MM",
        refusal("us 00:00-23:59:60"));
    assertEquals(
        "bad time noon in window us noon-24:00: expected HH:MM",
        refusal(Spec.windows("UTC", List.of(w("us", "noon", "24:00")))));
    assertEquals(
        "bad time null in window us 00:00-null: expected HH:MM",
        refusal(Spec.windows("UTC", List.of(w("us", "00:00", null)))));
  }

  @Test
  void refuseTextThatIsNotAWindow() {
    assertEquals(
        "cannot read window 'us 13:00 21:00': expected 'region HH:MM-HH:MM [zone]'",
        refusal("us 13:00 21:00, eu 21:00-13:00"));
    assertEquals(
        "cannot read window 'us 13:00-21:00 UTC extra': expected 'region HH:MM-HH:MM [zone]'",
        refusal("us 13:00-21:00 UTC extra"));
  }

  @Test
  void refuseANullWindow() {
    java.util.List<Window> windows = new java.util.ArrayList<>();
    windows.add(null);
    assertEquals("a window is missing (null)", refusal(Spec.windows("UTC", windows)));
  }

  // ------------------------------------------------------------------ validation: rotation

  private static String rotationRefusal(Duration every, List<String> regions) {
    return assertThrows(InvalidSchedule.class, () -> CohortSchedule.rotating(every, regions, KNOWN))
        .getMessage();
  }

  @Test
  void refuseARotationPeriodThatIsNotPositive() {
    assertEquals(
        "rotation period PT0S is not positive", rotationRefusal(Duration.ZERO, List.of("us")));
    assertEquals(
        "rotation period PT-1M is not positive",
        rotationRefusal(Duration.ofMinutes(-1), List.of("us")));
  }

  @Test
  void refuseARotationPeriodOfFractionsOfASecond() {
    assertEquals(
        "rotation period PT0.5S is not a whole number of seconds",
        rotationRefusal(Duration.ofMillis(500), List.of("us")));
    assertEquals(
        "rotation period PT1.5S is not a whole number of seconds",
        rotationRefusal(Duration.ofMillis(1500), List.of("us")));
    assertEquals(
        "rotation period PT0.000000001S is not a whole number of seconds",
        rotationRefusal(Duration.ofNanos(1), List.of("us")));
  }

  @Test
  void refuseARotationPeriodThatDoesNotDivideTheDay() {
    assertEquals(
        "rotation period PT7M does not divide 24 h",
        rotationRefusal(Duration.ofMinutes(7), List.of("us")));
    assertEquals(
        "rotation period PT48H does not divide 24 h",
        rotationRefusal(Duration.ofHours(48), List.of("us")));
    assertEquals(
        "rotation period PT24H0.5S is not a whole number of seconds",
        rotationRefusal(Duration.ofHours(24).plusMillis(500), List.of("us")));
    assertEquals(
        "rotation period PT24H1S does not divide 24 h",
        rotationRefusal(Duration.ofHours(24).plusSeconds(1), List.of("us")));
  }

  @Test
  void acceptTheRotationPeriodsAtTheEdges() {
    var second = CohortSchedule.rotating(Duration.ofSeconds(1), List.of("us", "eu"), KNOWN);
    assertEquals("eu", second.ownerAt(at("2026-01-01T00:00:01Z")));
    var day = CohortSchedule.rotating(Duration.ofHours(24), List.of("us", "eu"), KNOWN);
    assertEquals(
        slot("us", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
        day.slotAt(at("2026-01-01T13:00:00Z")));
    assertEquals(Set.of("us"), day.regions());
  }

  @Test
  void refuseARotationWithoutRegions() {
    assertEquals(
        "a rotation needs at least one region", rotationRefusal(Duration.ofMinutes(1), List.of()));
    assertEquals(
        "a rotation needs at least one region", rotationRefusal(Duration.ofMinutes(1), null));
    assertEquals("a rotation needs at least one region", refusal("rotate 1m ,"));
  }

  @Test
  void refuseARotationThroughAnUnknownRegion() {
    assertEquals(
        "unknown region xx in rotation [us, xx] (known: ap, eu, us)",
        rotationRefusal(Duration.ofMinutes(1), List.of("us", "xx")));
  }

  @Test
  void refuseABadRotationPeriodText() {
    assertEquals(
        "bad rotation period 5x: expected 30s, 1m, 2h, 1d or ISO-8601 like PT1M",
        refusal("rotate 5x us,eu"));
    assertEquals(
        "bad rotation period 9999999999s: expected 30s, 1m, 2h, 1d or ISO-8601 like PT1M",
        refusal("rotate 9999999999s us"));
  }

  // ------------------------------------------------------------------ validation: spec

  @Test
  void refuseASpecWithBothWindowsAndARotation() {
    String both = "a schedule has either windows or rotateEvery and regions, not both";
    List<Window> windows = List.of(w("us", "00:00", "24:00"));
    assertEquals(both, refusal(new Spec("UTC", windows, "PT1M", List.of("us"))));
    assertEquals(both, refusal(new Spec("UTC", windows, "PT1M", null)));
    assertEquals(both, refusal(new Spec("UTC", windows, null, List.of("us"))));
  }

  @Test
  void refuseAHalfRotationSpec() {
    assertEquals("regions without rotateEvery", refusal(new Spec(null, null, null, List.of("us"))));
    assertEquals("rotateEvery without regions", refusal(new Spec(null, null, "PT1M", null)));
  }

  @Test
  void refuseARotationSpecInAnotherZone() {
    assertEquals(
        "a rotation is cut in UTC: zone Europe/Berlin is not allowed with rotateEvery",
        refusal(new Spec("Europe/Berlin", null, "PT1M", List.of("us"))));
    assertEquals(
        CohortSchedule.parse("rotate 1m us", KNOWN),
        CohortSchedule.fromSpec(new Spec("UTC", null, "PT1M", List.of("us")), KNOWN));
    assertEquals(
        CohortSchedule.parse("rotate 1m us", KNOWN),
        CohortSchedule.fromSpec(new Spec("Z", null, "PT1M", List.of("us")), KNOWN));
  }

  @Test
  void refuseNoSpec() {
    assertEquals("no schedule", refusal((Spec) null));
  }

  // ------------------------------------------------------------------ evaluation: windows

  @Test
  void ownTheCohortByTheWindowOfTheTimeOfDay() {
    var schedule = parse(SUN);
    assertEquals("eu", schedule.ownerAt(at("2026-06-01T12:59:59.999999999Z")));
    assertEquals("us", schedule.ownerAt(at("2026-06-01T13:00:00Z")));
    assertEquals("us", schedule.ownerAt(at("2026-06-01T20:59:59Z")));
    assertEquals("ap", schedule.ownerAt(at("2026-06-01T21:00:00Z")));
    assertEquals("ap", schedule.ownerAt(at("2026-06-02T04:59:59Z")));
    assertEquals("eu", schedule.ownerAt(at("2026-06-02T05:00:00Z")));
  }

  @Test
  void aWindowThatWrapsMidnightIsOneSlot() {
    var schedule = parse(SUN);
    var night = slot("ap", "2026-06-01T21:00:00Z", "2026-06-02T05:00:00Z");
    assertEquals(night, schedule.slotAt(at("2026-06-01T21:00:00Z")));
    assertEquals(night, schedule.slotAt(at("2026-06-01T23:59:59Z")));
    assertEquals(night, schedule.slotAt(at("2026-06-02T00:00:00Z")));
    assertEquals(night, schedule.slotAt(at("2026-06-02T04:59:59.999999999Z")));
    assertEquals(
        slot("us", "2026-06-01T13:00:00Z", "2026-06-01T21:00:00Z"),
        schedule.slotAt(at("2026-06-01T20:59:59.999999999Z")));
  }

  @Test
  void aWindowEndingAt24EndsAtTheNextMidnight() {
    var schedule = parse("us 00:00-12:00, eu 12:00-24:00");
    assertEquals(
        slot("eu", "2026-06-01T12:00:00Z", "2026-06-02T00:00:00Z"),
        schedule.slotAt(at("2026-06-01T23:59:59Z")));
    assertEquals(
        slot("us", "2026-06-02T00:00:00Z", "2026-06-02T12:00:00Z"),
        schedule.slotAt(at("2026-06-02T00:00:00Z")));
    assertEquals(parse("us 00:00-12:00, eu 12:00-00:00"), schedule);
  }

  @Test
  void aWholeDayWindowIsOneSlotADay() {
    var schedule = parse("us 00:00-24:00 Europe/Berlin");
    assertEquals(
        slot("us", "2026-06-01T22:00:00Z", "2026-06-02T22:00:00Z"),
        schedule.slotAt(at("2026-06-02T12:00:00Z")));
    assertEquals(Optional.empty(), schedule.nextHandOff(at("2026-06-02T12:00:00Z")));
  }

  @Test
  void windowsMayHaveSeconds() {
    var schedule = parse("us 00:00-12:00:30, eu 12:00:30-24:00");
    assertEquals("us", schedule.ownerAt(at("2026-06-01T12:00:29Z")));
    assertEquals("eu", schedule.ownerAt(at("2026-06-01T12:00:30Z")));
    assertEquals("us 00:00-12:00:30 UTC, eu 12:00:30-24:00", schedule.describe());
    var last = parse("us 00:00-23:59:59, eu 23:59:59-24:00");
    assertEquals("eu", last.ownerAt(at("2026-06-01T23:59:59Z")));
    assertEquals("us", last.ownerAt(at("2026-06-01T23:59:58Z")));
  }

  @Test
  void windowsFollowTheZonesOffset() {
    var schedule = parse(BERLIN);
    // Summer: CEST, UTC+2.
    assertEquals(
        slot("us", "2026-06-01T11:00:00Z", "2026-06-01T19:00:00Z"),
        schedule.slotAt(at("2026-06-01T12:00:00Z")));
    // Winter: CET, UTC+1.
    assertEquals(
        slot("ap", "2026-01-15T20:00:00Z", "2026-01-16T04:00:00Z"),
        schedule.slotAt(at("2026-01-15T23:30:00Z")));
  }

  @Test
  void theNightWindowLosesAnHourWhenTheClocksGoForward() {
    // Europe/Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
    var schedule = parse(BERLIN);
    var night = slot("ap", "2026-03-28T20:00:00Z", "2026-03-29T03:00:00Z");
    assertEquals(night, schedule.slotAt(at("2026-03-29T00:59:59Z")));
    assertEquals(night, schedule.slotAt(at("2026-03-29T01:00:00Z")));
    assertEquals(
        slot("eu", "2026-03-29T03:00:00Z", "2026-03-29T11:00:00Z"),
        schedule.slotAt(at("2026-03-29T03:00:00Z")));
    assertEquals(
        handOff("2026-03-29T03:00:00Z", "ap", "eu"),
        schedule.nextHandOff(at("2026-03-29T00:00:00Z")));
  }

  @Test
  void theNightWindowKeepsTheRepeatedHourWhenTheClocksGoBack() {
    // Europe/Berlin 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00Z).
    var schedule = parse(BERLIN);
    var night = slot("ap", "2026-10-24T19:00:00Z", "2026-10-25T04:00:00Z");
    assertEquals(night, schedule.slotAt(at("2026-10-25T00:30:00Z")));
    assertEquals(night, schedule.slotAt(at("2026-10-25T01:30:00Z")));
    assertEquals(night, schedule.slotAt(at("2026-10-25T03:59:59Z")));
    assertEquals(
        slot("eu", "2026-10-25T04:00:00Z", "2026-10-25T12:00:00Z"),
        schedule.slotAt(at("2026-10-25T04:00:00Z")));
  }

  @Test
  void aWindowStartingInTheSpringGapStartsWhenTheGapEnds() {
    var schedule = parse("us 02:30-14:00 Europe/Berlin, eu 14:00-02:30");
    // 02:30 does not exist on 2026-03-29: us starts at 03:00 CEST (01:00Z).
    assertEquals(
        slot("us", "2026-03-29T01:00:00Z", "2026-03-29T12:00:00Z"),
        schedule.slotAt(at("2026-03-29T01:00:00Z")));
    assertEquals(
        slot("eu", "2026-03-28T13:00:00Z", "2026-03-29T01:00:00Z"),
        schedule.slotAt(at("2026-03-29T00:59:59Z")));
    assertEquals(
        handOff("2026-03-29T01:00:00Z", "eu", "us"),
        schedule.nextHandOff(at("2026-03-28T23:00:00Z")));
    // The day before and after: 02:30 CET (01:30Z) and 02:30 CEST (00:30Z).
    assertEquals("us", schedule.ownerAt(at("2026-03-28T01:30:00Z")));
    assertEquals("eu", schedule.ownerAt(at("2026-03-28T01:29:59Z")));
    assertEquals("us", schedule.ownerAt(at("2026-03-30T00:30:00Z")));
  }

  @Test
  void aWindowInsideTheSpringGapDoesNotHappenThatDay() {
    var schedule = parse("us 00:00-02:30 Europe/Berlin, eu 02:30-02:45, ap 02:45-24:00");
    assertEquals(
        slot("us", "2026-03-28T23:00:00Z", "2026-03-29T01:00:00Z"),
        schedule.slotAt(at("2026-03-29T00:59:59.999Z")));
    assertEquals(
        slot("ap", "2026-03-29T01:00:00Z", "2026-03-29T22:00:00Z"),
        schedule.slotAt(at("2026-03-29T01:00:00Z")));
    assertEquals(
        handOff("2026-03-29T01:00:00Z", "us", "ap"),
        schedule.nextHandOff(at("2026-03-29T00:00:00Z")));
    assertEquals(
        slot("eu", "2026-03-30T00:30:00Z", "2026-03-30T00:45:00Z"),
        schedule.slotAt(at("2026-03-30T00:40:00Z")));
  }

  @Test
  void aWindowStartingInTheAutumnOverlapStartsAtItsFirstOccurrence() {
    var schedule = parse("us 02:30-14:00 Europe/Berlin, eu 14:00-02:30");
    // 02:30 happens twice on 2026-10-25: first at 00:30Z (CEST), then at 01:30Z (CET).
    var day = slot("us", "2026-10-25T00:30:00Z", "2026-10-25T13:00:00Z");
    assertEquals(day, schedule.slotAt(at("2026-10-25T00:30:00Z")));
    assertEquals(day, schedule.slotAt(at("2026-10-25T01:30:00Z")));
    assertEquals(
        slot("eu", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z"),
        schedule.slotAt(at("2026-10-25T00:29:59Z")));
  }

  // ------------------------------------------------------------------ evaluation: rotation

  @Test
  void aRotationCutsTheUtcDayIntoPeriods() {
    var schedule = parse("rotate 1m us,eu,ap");
    assertEquals(
        slot("us", "2026-06-01T00:00:00Z", "2026-06-01T00:01:00Z"),
        schedule.slotAt(at("2026-06-01T00:00:00Z")));
    assertEquals("us", schedule.ownerAt(at("2026-06-01T00:00:59.999999999Z")));
    assertEquals(
        slot("eu", "2026-06-01T00:01:00Z", "2026-06-01T00:02:00Z"),
        schedule.slotAt(at("2026-06-01T00:01:00Z")));
    assertEquals("ap", schedule.ownerAt(at("2026-06-01T00:02:30Z")));
    assertEquals("us", schedule.ownerAt(at("2026-06-01T00:03:00Z")));
    // The last period of the day: 1439 % 3 == 2.
    assertEquals(
        slot("ap", "2026-06-01T23:59:00Z", "2026-06-02T00:00:00Z"),
        schedule.slotAt(at("2026-06-01T23:59:59.999Z")));
    assertEquals(
        handOff("2026-06-02T00:00:00Z", "ap", "us"),
        schedule.nextHandOff(at("2026-06-01T23:59:00Z")));
  }

  @Test
  void aRotationRestartsAtMidnightWhenTheRegionsDoNotDivideTheDay() {
    // 8h: three periods a day, us eu us, then us again at midnight.
    var schedule = parse("rotate 8h us,eu");
    assertEquals(
        slot("us", "2026-06-01T16:00:00Z", "2026-06-02T00:00:00Z"),
        schedule.slotAt(at("2026-06-01T16:00:00Z")));
    assertEquals(
        slot("us", "2026-06-02T00:00:00Z", "2026-06-02T08:00:00Z"),
        schedule.slotAt(at("2026-06-02T00:00:00Z")));
    assertEquals(
        handOff("2026-06-02T08:00:00Z", "us", "eu"),
        schedule.nextHandOff(at("2026-06-01T17:00:00Z")));
    assertEquals(
        slot("us", "2026-06-01T16:00:00Z", "2026-06-02T08:00:00Z"),
        schedule.currentStint(at("2026-06-02T03:00:00Z")));
    // 1h through five regions: 24 % 5 == 4, so 23:00 is regions[3].
    var five = CohortSchedule.parse("rotate 1h us,eu,ap,eu,ap", KNOWN);
    assertEquals("eu", five.ownerAt(at("2026-06-01T23:00:00Z")));
    assertEquals("us", five.ownerAt(at("2026-06-02T00:00:00Z")));
    assertEquals("ap", five.ownerAt(at("2026-06-02T04:00:00Z")));
    assertEquals("us", five.ownerAt(at("2026-06-02T05:00:00Z")));
  }

  @Test
  void aRotationWorksBefore1970() {
    var schedule = parse("rotate 1m us,eu,ap");
    assertEquals(
        slot("ap", "1969-12-31T23:59:00Z", "1970-01-01T00:00:00Z"),
        schedule.slotAt(at("1969-12-31T23:59:30.5Z")));
    assertEquals("us", schedule.ownerAt(at("1969-12-31T00:00:00Z")));
  }

  @Test
  void aRotationOwnerSetIsTheRegionsThatGetAPeriod() {
    assertEquals(Set.of("us", "eu", "ap"), parse("rotate 1m us,eu,ap,us").regions());
    assertEquals(List.of("us", "eu"), List.copyOf(parse("rotate 12h us,eu,ap").regions()));
    assertEquals(List.of("eu", "us", "ap"), List.copyOf(parse(SUN).regions()));
  }

  // ------------------------------------------------------------------ hand-offs and stints

  @Test
  void aHandOffIsTheNextChangeOfOwner() {
    var schedule = parse(SUN);
    assertEquals(
        handOff("2026-06-01T13:00:00Z", "eu", "us"),
        schedule.nextHandOff(at("2026-06-01T12:59:59Z")));
    // At the boundary itself the next one is the one after.
    assertEquals(
        handOff("2026-06-01T21:00:00Z", "us", "ap"),
        schedule.nextHandOff(at("2026-06-01T13:00:00Z")));
    assertEquals(
        handOff("2026-06-02T05:00:00Z", "ap", "eu"),
        schedule.nextHandOff(at("2026-06-01T21:00:00Z")));
  }

  @Test
  void aHandOffSkipsNeighboursOfTheSameRegion() {
    var schedule = parse("eu 06:00-12:00, eu 12:00-18:00, us 18:00-24:00, us 00:00-06:00");
    assertEquals(
        handOff("2026-06-02T06:00:00Z", "us", "eu"),
        schedule.nextHandOff(at("2026-06-01T19:00:00Z")));
    assertEquals(
        handOff("2026-06-01T18:00:00Z", "eu", "us"),
        schedule.nextHandOff(at("2026-06-01T07:00:00Z")));
  }

  @Test
  void aScheduleWithOneRegionHasNoHandOff() {
    Instant t = at("2026-06-01T07:00:00Z");
    assertEquals(Optional.empty(), parse("us 00:00-12:00, us 12:00-24:00").nextHandOff(t));
    assertEquals(Optional.empty(), parse("rotate 1s us,us").nextHandOff(t));
    assertEquals(Optional.empty(), parse("rotate 24h us,eu").nextHandOff(t));
  }

  @Test
  void aStintMergesTheWindowsOfOneRegionAcrossMidnight() {
    var schedule = parse("eu 06:00-12:00, eu 12:00-18:00, us 18:00-24:00, us 00:00-06:00");
    var night = slot("us", "2026-06-01T18:00:00Z", "2026-06-02T06:00:00Z");
    assertEquals(night, schedule.currentStint(at("2026-06-01T18:00:00Z")));
    assertEquals(night, schedule.currentStint(at("2026-06-01T23:00:00Z")));
    assertEquals(night, schedule.currentStint(at("2026-06-02T05:59:59Z")));
    assertEquals(
        slot("eu", "2026-06-02T06:00:00Z", "2026-06-02T18:00:00Z"),
        schedule.currentStint(at("2026-06-02T06:00:00Z")));
  }

  @Test
  void aStintOfASingleWindowIsTheWindow() {
    var schedule = parse(SUN);
    assertEquals(
        slot("ap", "2026-06-01T21:00:00Z", "2026-06-02T05:00:00Z"),
        schedule.currentStint(at("2026-06-02T01:00:00Z")));
  }

  @Test
  void aStintThatNeverEndsIsCutBeyondTheHorizon() {
    var schedule = parse("us 00:00-24:00");
    assertEquals(
        slot("us", "2026-05-30T00:00:00Z", "2026-06-04T00:00:00Z"),
        schedule.currentStint(at("2026-06-01T12:00:00Z")));
    // Exactly at midnight: the horizon reaches a window boundary.
    assertEquals(
        slot("us", "2026-05-30T00:00:00Z", "2026-06-03T00:00:00Z"),
        schedule.currentStint(at("2026-06-01T00:00:00Z")));
    var rotation = parse("rotate 12h us");
    assertEquals(
        slot("us", "2026-05-30T12:00:00Z", "2026-06-03T12:00:00Z"),
        rotation.currentStint(at("2026-06-01T12:00:00Z")));
  }

  @Test
  void theHorizonIsTwoDays() {
    assertEquals(Duration.ofDays(2), CohortSchedule.HORIZON);
  }

  // ------------------------------------------------------------------ text and spec

  @Test
  void describeWritesTheWindowsInTheOrderOfTheDayWithTheZoneOnce() {
    assertEquals("eu 05:00-13:00 UTC, us 13:00-21:00, ap 21:00-05:00", parse(SUN).describe());
    assertEquals(
        "eu 05:00-13:00 Europe/Berlin, us 13:00-21:00, ap 21:00-05:00",
        parse("us 13:00-21:00, ap 21:00-05:00 Europe/Berlin, eu 05:00-13:00").describe());
    assertEquals("us 00:00-24:00 UTC", parse("us 0:00-24:00").describe());
  }

  @Test
  void parseReadsWhatDescribeWrites() {
    for (String text :
        List.of(SUN, BERLIN, "us 00:00-24:00", "rotate 1m us,eu,ap", "rotate 90s us")) {
      var schedule = parse(text);
      assertEquals(schedule, parse(schedule.describe()), text);
      assertEquals(schedule, CohortSchedule.fromSpec(schedule.spec(), KNOWN), text);
    }
  }

  @Test
  void parseAcceptsAnEnDashSpacesAndTheZoneTwice() {
    assertEquals(
        parse(SUN), parse("us 13:00 \u2013 21:00 UTC,ap 21:00\u201305:00 UTC ,  eu 05:00-13:00"));
  }

  @Test
  void theOrderOfTheWindowsDoesNotMatter() {
    var a = parse(SUN);
    var b = parse("eu 05:00-13:00, ap 21:00-05:00, us 13:00-21:00");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a.hashCode(), parse(BERLIN).hashCode());
    assertNotEquals(a, parse(BERLIN));
    assertNotEquals(a, parse("eu 05:00-13:00, ap 21:00-05:00, eu 13:00-21:00"));
    assertNotEquals(parse("rotate 1m us,eu"), parse("rotate 2m us,eu"));
    assertNotEquals(parse("rotate 1m us,eu"), parse("rotate 1m eu,us"));
    assertNotEquals(a, "not a schedule");
    assertEquals(
        "CohortSchedule[eu 05:00-13:00 UTC, us 13:00-21:00, ap 21:00-05:00]", a.toString());
  }

  @Test
  void parseReadsRotationPeriods() {
    assertEquals("rotate 1m us,eu,ap", parse("rotate 1m us,eu,ap").describe());
    assertEquals("rotate 30s us,eu", parse("rotate PT30S us, eu").describe());
    assertEquals("rotate 2m us", parse("ROTATE 120s us").describe());
    assertEquals("rotate 2h us", parse("rotate 2h us").describe());
    assertEquals("rotate 24h us", parse("rotate 1d us").describe());
    assertEquals("rotate 1m us", parse("rotate 1M us").describe());
    assertEquals("rotate 90s us", parse("rotate pt1m30s us").describe());
    var rotation = parse("rotate 1m us");
    assertTrue(rotation.isRotation());
    assertEquals(ZoneId.of("UTC"), rotation.zone());
    assertFalse(parse(BERLIN).isRotation());
    assertEquals(ZoneId.of("Europe/Berlin"), parse(BERLIN).zone());
  }

  @Test
  void specOfWindowsAndOfARotation() {
    assertEquals(
        Spec.windows(
            "UTC",
            List.of(
                w("eu", "05:00", "13:00"), w("us", "13:00", "21:00"), w("ap", "21:00", "05:00"))),
        parse(SUN).spec());
    assertEquals(
        Spec.rotation("PT1M", List.of("us", "eu", "ap")), parse("rotate 1m us,eu,ap").spec());
    assertEquals(
        parse("us 00:00-12:00, eu 12:00-24:00"),
        CohortSchedule.fromSpec(
            new Spec(
                null, List.of(w("us", "00:00", "12:00"), w("eu", "12:00", "24:00")), null, null),
            KNOWN));
  }

  @Test
  void specIsJson() throws Exception {
    var mapper = new ObjectMapper();
    var windows = parse(SUN).spec();
    String json =
        "{\"zone\":\"UTC\",\"windows\":[{\"region\":\"eu\",\"from\":\"05:00\",\"to\":\"13:00\"},"
            + "{\"region\":\"us\",\"from\":\"13:00\",\"to\":\"21:00\"},"
            + "{\"region\":\"ap\",\"from\":\"21:00\",\"to\":\"05:00\"}]}";
    assertEquals(json, mapper.writeValueAsString(windows));
    assertEquals(windows, mapper.readValue(json, Spec.class));
    var rotation = parse("rotate 1m us,eu,ap").spec();
    String rotationJson = "{\"rotateEvery\":\"PT1M\",\"regions\":[\"us\",\"eu\",\"ap\"]}";
    assertEquals(rotationJson, mapper.writeValueAsString(rotation));
    assertEquals(rotation, mapper.readValue(rotationJson, Spec.class));
  }

  @Test
  void windowsCanBeBuiltFromAZoneId() {
    assertEquals(
        parse(BERLIN),
        CohortSchedule.windows(
            ZoneId.of("Europe/Berlin"),
            List.of(
                w("us", "13:00", "21:00"), w("ap", "21:00", "05:00"), w("eu", "05:00", "13:00")),
            KNOWN));
  }

  private static Window w(String region, String from, String to) {
    return new Window(region, from, to);
  }
}
