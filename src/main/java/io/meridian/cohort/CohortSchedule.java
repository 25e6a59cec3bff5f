package io.meridian.cohort;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schedule of one "follow the sun" cohort (issue 17): which region owns the cohort at any
 * instant. An immutable value in one of two forms.
 *
 * <ul>
 *   <li><b>Windows</b>: a time zone and windows {@code region from-to} of local time of day ({@code
 *       to} exclusive; a window may wrap midnight, {@code 21:00-05:00}; {@code 24:00} is accepted
 *       as an end). Together the windows cover the day exactly: no gap, no overlap, no empty window
 *       (a single window is written {@code 00:00-24:00}).
 *   <li><b>Rotation</b>: the UTC day cut into periods of {@code every} from 00:00 UTC, period
 *       {@code i} of each day owned by {@code regions[i % n]} (so when {@code n} does not divide
 *       the number of periods a day, the sequence restarts with {@code regions[0]} at midnight).
 *       Computed arithmetically.
 * </ul>
 *
 * <p><b>Local times to instants</b> (windows in a zone with daylight saving time): a window of day
 * {@code D} starts at the instant its start time of day {@code D} resolves to and ends where its
 * end resolves to (the next day's for a window that wraps or ends at 24:00). A local time that
 * occurs twice (autumn overlap) resolves to its first occurrence, as {@link
 * java.time.ZonedDateTime#of} does; so the window in force when the clocks go back keeps the
 * repeated hour (Europe/Berlin 2026-10-25: a window 21:00-05:00 lasts nine hours). A local time
 * that does not exist (spring gap) resolves to the instant the gap ends, the first instant whose
 * wall clock has passed it: the window in force when the clocks go forward loses the skipped hour,
 * a window starting at 02:30 starts at 03:00 CEST, and a window entirely inside the gap does not
 * happen that day. (Not {@link java.time.ZonedDateTime#of}'s "shift by the gap's length" for
 * starts: that sends 02:30 to 03:30 but leaves 03:00 at 03:00, and two windows would overlap; for
 * times on the hour, 02:00 in Berlin, both rules give the same instant.) The resolution is the same
 * for a window's end and the next window's start, so the windows of consecutive days tile the time
 * line: every instant is in exactly one window.
 */
public final class CohortSchedule {

  /** How far {@link #nextHandOff} looks ahead, and how far {@link #currentStint} reaches. */
  public static final Duration HORIZON = Duration.ofDays(2);

  private static final int DAY = 24 * 3600;
  private static final ZoneId UTC = ZoneId.of("UTC");

  /** A schedule that breaks a rule; the message names the rule and the times. */
  public static final class InvalidSchedule extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidSchedule(String message) {
      super(message);
    }
  }

  /**
   * The window containing an instant: its owner, absolute start (inclusive) and end (exclusive).
   */
  public record Slot(String region, Instant from, Instant until) {}

  /** The owner changes from {@code from} to {@code to} at {@code at}. */
  public record HandOff(Instant at, String from, String to) {}

  /** One window as written in a spec: times {@code "HH:MM"} ({@code to} may be "24:00"). */
  public record Window(
      @JsonProperty("region") String region,
      @JsonProperty("from") String from,
      @JsonProperty("to") String to) {
    @JsonCreator
    public Window {}
  }

  /**
   * The JSON shape: either {@code {"zone": "UTC", "windows": [...]}} ({@code zone} optional, UTC
   * when absent) or {@code {"rotateEvery": "PT1M", "regions": ["us", "eu", "ap"]}}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Spec(
      @JsonProperty("zone") String zone,
      @JsonProperty("windows") List<Window> windows,
      @JsonProperty("rotateEvery") String rotateEvery,
      @JsonProperty("regions") List<String> regions) {
    @JsonCreator
    public Spec {}

    public static Spec windows(String zone, List<Window> windows) {
      return new Spec(zone, windows, null, null);
    }

    public static Spec rotation(String rotateEvery, List<String> regions) {
      return new Spec(null, null, rotateEvery, regions);
    }
  }

  /** A window in seconds of the day: {@code from} in [0, 86400), {@code to} in (0, 86400]. */
  private record Span(String region, int from, int to) {
    boolean wraps() {
      return to < from;
    }

    String text() {
      return region + " " + time(from) + "-" + time(to);
    }
  }

  private final ZoneId zone;
  private final List<Span> spans; // windows form, sorted by start; empty for a rotation
  private final long every; // rotation period in seconds; 0 for the windows form
  private final List<String> rotation; // empty for the windows form

  private CohortSchedule(ZoneId zone, List<Span> spans, long every, List<String> rotation) {
    this.zone = zone;
    this.spans = spans;
    this.every = every;
    this.rotation = rotation;
  }

  // ------------------------------------------------------------------ construction

  /** A windows schedule; refuses gaps, overlaps, empty windows, unknown regions and zones. */
  public static CohortSchedule windows(
      String zone, List<Window> windows, Set<String> knownRegions) {
    return windows(zoneOf(zone), windows, knownRegions);
  }

  /** A windows schedule; refuses gaps, overlaps, empty windows, unknown regions. */
  public static CohortSchedule windows(
      ZoneId zone, List<Window> windows, Set<String> knownRegions) {
    Objects.requireNonNull(zone, "zone");
    if (windows == null || windows.isEmpty()) {
      throw new InvalidSchedule("no windows: a schedule needs at least one window");
    }
    List<Span> spans = new ArrayList<>();
    for (Window w : windows) spans.add(span(w, knownRegions));
    spans.sort(Comparator.comparingInt(Span::from).thenComparing(Span::region));
    checkOverlaps(spans);
    checkGaps(spans, zone);
    return new CohortSchedule(zone, List.copyOf(spans), 0, List.of());
  }

  /**
   * A rotation: the UTC day cut into periods of {@code every} from 00:00 UTC, period {@code i}
   * owned by {@code regions[i % n]}. {@code every} is at least one second, whole seconds, and
   * divides 24 h.
   */
  public static CohortSchedule rotating(
      Duration every, List<String> regions, Set<String> knownRegions) {
    Objects.requireNonNull(every, "every");
    if (every.isNegative() || every.isZero()) {
      throw new InvalidSchedule("rotation period " + every + " is not positive");
    }
    if (every.getNano() != 0) {
      throw new InvalidSchedule("rotation period " + every + " is not a whole number of seconds");
    }
    long seconds = every.getSeconds();
    if (seconds > DAY || DAY % seconds != 0) {
      throw new InvalidSchedule("rotation period " + every + " does not divide 24 h");
    }
    if (regions == null || regions.isEmpty()) {
      throw new InvalidSchedule("a rotation needs at least one region");
    }
    for (String region : regions) checkKnown(region, "rotation " + regions, knownRegions);
    return new CohortSchedule(UTC, List.of(), seconds, List.copyOf(regions));
  }

  /**
   * Reads the text form: windows {@code "us 13:00-21:00 UTC, ap 21:00-05:00, eu 05:00-13:00"}
   * (comma-separated {@code region HH:MM-HH:MM [zone]}, hyphen or en dash; the zone may be given on
   * any window but only one zone; UTC when none) or a rotation {@code "rotate 1m us,eu,ap"} (period
   * as 30s, 1m, 2h, 1d or ISO-8601 {@code PT1M}).
   */
  public static CohortSchedule parse(String spec, Set<String> knownRegions) {
    if (spec == null || spec.isBlank()) {
      throw new InvalidSchedule("no windows: a schedule needs at least one window");
    }
    String text = spec.strip();
    Matcher rotate = ROTATE.matcher(text);
    if (rotate.matches()) {
      List<String> regions = new ArrayList<>();
      for (String region : rotate.group(2).split(",")) {
        if (!region.isBlank()) regions.add(region.strip());
      }
      return rotating(duration(rotate.group(1)), regions, knownRegions);
    }
    String zone = null;
    List<Window> windows = new ArrayList<>();
    for (String part : text.split(",")) {
      if (part.isBlank()) continue;
      Matcher m = WINDOW.matcher(part.strip());
      if (!m.matches()) {
        throw new InvalidSchedule(
            "cannot read window '" + part.strip() + "': expected 'region HH:MM-HH:MM [zone]'");
      }
      windows.add(new Window(m.group(1), m.group(2), m.group(3)));
      String given = m.group(4);
      if (given != null) {
        if (zone != null && !zone.equals(given)) {
          throw new InvalidSchedule(
              "windows name different time zones "
                  + zone
                  + " and "
                  + given
                  + ": one zone for the whole schedule");
        }
        zone = given;
      }
    }
    return windows(zone == null ? "UTC" : zone, windows, knownRegions);
  }

  /**
   * From the JSON shape: exactly one of {@code windows} or {@code rotateEvery} + {@code regions}.
   */
  public static CohortSchedule fromSpec(Spec spec, Set<String> knownRegions) {
    if (spec == null) throw new InvalidSchedule("no schedule");
    boolean rotation = spec.rotateEvery() != null || spec.regions() != null;
    if (spec.windows() != null && rotation) {
      throw new InvalidSchedule(
          "a schedule has either windows or rotateEvery and regions, not both");
    }
    if (!rotation) {
      return windows(spec.zone() == null ? "UTC" : spec.zone(), spec.windows(), knownRegions);
    }
    if (spec.rotateEvery() == null) throw new InvalidSchedule("regions without rotateEvery");
    if (spec.regions() == null) throw new InvalidSchedule("rotateEvery without regions");
    if (spec.zone() != null && !zoneOf(spec.zone()).normalized().equals(ZoneOffset.UTC)) {
      throw new InvalidSchedule(
          "a rotation is cut in UTC: zone " + spec.zone() + " is not allowed with rotateEvery");
    }
    return rotating(duration(spec.rotateEvery()), spec.regions(), knownRegions);
  }

  // ------------------------------------------------------------------ views

  /** The JSON shape of this schedule; {@link #fromSpec} reads it back to an equal schedule. */
  public Spec spec() {
    if (isRotation()) return Spec.rotation(Duration.ofSeconds(every).toString(), rotation);
    List<Window> windows = new ArrayList<>();
    for (Span s : spans) windows.add(new Window(s.region(), time(s.from()), time(s.to())));
    return Spec.windows(zone.getId(), List.copyOf(windows));
  }

  /** The text form; {@link #parse} reads it back to an equal schedule. */
  public String describe() {
    if (isRotation()) {
      return "rotate " + shortDuration(every) + " " + String.join(",", rotation);
    }
    // The zone once, on the first window: "eu 05:00-13:00 Europe/Berlin, us 13:00-21:00, ...".
    List<String> windows = new ArrayList<>();
    for (Span s : spans) windows.add(s.text());
    windows.set(0, windows.get(0) + " " + zone.getId());
    return String.join(", ", windows);
  }

  /** The zone of the windows (UTC for a rotation). */
  public ZoneId zone() {
    return zone;
  }

  public boolean isRotation() {
    return every > 0;
  }

  /** The regions that own some window, in the order they first own one in a day. */
  public Set<String> regions() {
    Set<String> owners = new LinkedHashSet<>();
    if (isRotation()) {
      long periods = DAY / every;
      for (int i = 0; i < rotation.size() && i < periods; i++) owners.add(rotation.get(i));
    } else {
      for (Span s : spans) owners.add(s.region());
    }
    return owners;
  }

  // ------------------------------------------------------------------ evaluation

  /** The window containing {@code t}: {@code from <= t < until}. */
  public Slot slotAt(Instant t) {
    return isRotation() ? rotationSlot(t) : windowSlot(t);
  }

  /** The region that owns the cohort at {@code t}. */
  public String ownerAt(Instant t) {
    return slotAt(t).region();
  }

  /**
   * The first instant after {@code t} at which the owner changes (windows of the same region next
   * to each other are no hand-off); empty when the owner does not change within {@link #HORIZON}.
   */
  public Optional<HandOff> nextHandOff(Instant t) {
    Slot slot = slotAt(t);
    if (regions().size() < 2) return Optional.empty();
    Instant limit = t.plus(HORIZON);
    Instant at = slot.until();
    while (!at.isAfter(limit)) {
      Slot next = slotAt(at);
      if (!next.region().equals(slot.region())) {
        return Optional.of(new HandOff(at, slot.region(), next.region()));
      }
      at = next.until();
    }
    return Optional.empty();
  }

  /**
   * The stint around {@code t}: the maximal span during which the owner at {@code t} stays the
   * owner (adjacent windows of the same region merged, across midnight too), cut at the first
   * window boundary beyond {@link #HORIZON} on either side (a region that owns the cohort for days
   * has a stint of about twice the horizon).
   */
  public Slot currentStint(Instant t) {
    Slot slot = slotAt(t);
    Instant from = slot.from();
    Instant until = slot.until();
    Instant earliest = t.minus(HORIZON);
    Instant latest = t.plus(HORIZON);
    while (from.isAfter(earliest)) {
      Slot before = slotAt(from.minusNanos(1));
      if (!before.region().equals(slot.region())) break;
      from = before.from();
    }
    while (until.isBefore(latest)) {
      Slot after = slotAt(until);
      if (!after.region().equals(slot.region())) break;
      until = after.until();
    }
    return new Slot(slot.region(), from, until);
  }

  private Slot rotationSlot(Instant t) {
    long second = t.getEpochSecond();
    long start = Math.floorDiv(second, every) * every;
    long period = Math.floorMod(start, (long) DAY) / every;
    String region = rotation.get((int) (period % rotation.size()));
    return new Slot(region, Instant.ofEpochSecond(start), Instant.ofEpochSecond(start + every));
  }

  private Slot windowSlot(Instant t) {
    LocalDate date = LocalDate.ofInstant(t, zone);
    for (LocalDate day = date.minusDays(1); !day.isAfter(date.plusDays(1)); day = day.plusDays(1)) {
      for (Span s : spans) {
        Instant from = resolve(day, s.from());
        Instant until = resolve(s.wraps() ? day.plusDays(1) : day, s.to());
        if (!from.isAfter(t) && t.isBefore(until)) return new Slot(s.region(), from, until);
      }
    }
    throw new IllegalStateException("no window of " + describe() + " contains " + t);
  }

  /**
   * A second of a local day as an instant: the first occurrence in an overlap, the end of the gap
   * in a gap (see the class doc).
   */
  private Instant resolve(LocalDate day, int second) {
    LocalDateTime local = day.atStartOfDay().plusSeconds(second);
    ZoneRules rules = zone.getRules();
    List<ZoneOffset> offsets = rules.getValidOffsets(local);
    if (offsets.isEmpty()) return rules.getTransition(local).getInstant();
    // In an overlap the offset before the transition comes first: the earlier instant.
    return local.toInstant(offsets.get(0));
  }

  // ------------------------------------------------------------------ validation

  private static Span span(Window w, Set<String> knownRegions) {
    if (w == null) throw new InvalidSchedule("a window is missing (null)");
    String text = w.region() + " " + w.from() + "-" + w.to();
    checkKnown(w.region(), "window " + text, knownRegions);
    int from = timeOf(w.from(), text);
    int to = timeOf(w.to(), text);
    if (from == DAY) {
      throw new InvalidSchedule(
          "window " + text + " starts at 24:00: 24:00 is only the end of a window");
    }
    if (to == from) {
      throw new InvalidSchedule(
          "window " + text + " is empty: a window over the whole day is written 00:00-24:00");
    }
    // 00:00 as an end is the midnight that ends the day, as 24:00.
    return new Span(w.region(), from, to == 0 ? DAY : to);
  }

  private static void checkKnown(String region, String where, Set<String> knownRegions) {
    if (region == null || region.isBlank()) {
      throw new InvalidSchedule("no region in " + where);
    }
    if (!knownRegions.contains(region)) {
      throw new InvalidSchedule(
          "unknown region " + region + " in " + where + " (known: " + sorted(knownRegions) + ")");
    }
  }

  private static void checkOverlaps(List<Span> spans) {
    for (int i = 0; i < spans.size(); i++) {
      Span a = spans.get(i);
      for (int j = i + 1; j < spans.size(); j++) {
        Span b = spans.get(j);
        List<int[]> common = new ArrayList<>();
        for (int[] x : pieces(a)) {
          for (int[] y : pieces(b)) {
            int from = Math.max(x[0], y[0]);
            int to = Math.min(x[1], y[1]);
            if (from < to) common.add(new int[] {from, to});
          }
        }
        if (common.isEmpty()) continue;
        common.sort(Comparator.comparingInt(p -> p[0]));
        int[] first = common.get(0);
        int[] last = common.get(common.size() - 1);
        // Two pieces that meet at midnight are one overlap across it.
        int[] shown = first[0] == 0 && last[1] == DAY ? new int[] {last[0], first[1]} : first;
        throw new InvalidSchedule(
            "windows "
                + a.text()
                + " and "
                + b.text()
                + " overlap between "
                + time(shown[0])
                + " and "
                + time(shown[1]));
      }
    }
  }

  /** Without overlaps (checked first): the first uncovered stretch of the day, if any. */
  private static void checkGaps(List<Span> spans, ZoneId zone) {
    List<int[]> pieces = new ArrayList<>();
    for (Span s : spans) pieces.addAll(pieces(s));
    pieces.sort(Comparator.comparingInt(p -> p[0]));
    List<int[]> gaps = new ArrayList<>();
    int cursor = 0;
    for (int[] p : pieces) {
      if (p[0] > cursor) gaps.add(new int[] {cursor, p[0]});
      cursor = p[1];
    }
    if (cursor < DAY) gaps.add(new int[] {cursor, DAY});
    if (gaps.isEmpty()) return;
    int[] first = gaps.get(0);
    int[] last = gaps.get(gaps.size() - 1);
    int[] shown = first;
    if (first[0] == 0 && last[1] == DAY) {
      // The stretch before the first window and after the last are one gap across midnight.
      shown = gaps.size() > 2 ? gaps.get(1) : new int[] {last[0], first[1]};
    }
    throw new InvalidSchedule(
        "gap between "
            + time(shown[0])
            + " and "
            + time(shown[1])
            + " ("
            + zone.getId()
            + "): no region owns the cohort then");
  }

  /** A window as one or two pieces [from, to) within the day. */
  private static List<int[]> pieces(Span s) {
    if (!s.wraps()) return List.of(new int[] {s.from(), s.to()});
    return List.of(new int[] {s.from(), DAY}, new int[] {0, s.to()});
  }

  // ------------------------------------------------------------------ text

  private static final String TIME = "\\d{1,2}:\\d{2}(?::\\d{2})?";
  private static final Pattern WINDOW =
      Pattern.compile("(\\S+)\\s+(" + TIME + ")\\s*[-\u2013]\\s*(" + TIME + ")(?:\\s+(\\S+))?");
  private static final Pattern ROTATE =
      Pattern.compile("rotate\\s+(\\S+)\\s+(.+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern TIME_PARTS = Pattern.compile("(\\d{1,2}):(\\d{2})(?::(\\d{2}))?");
  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d{1,9})([smhd])");

  /** "HH:MM" or "HH:MM:SS" as seconds of the day; "24:00" is 86400. */
  private static int timeOf(String text, String window) {
    Matcher m = text == null ? null : TIME_PARTS.matcher(text.strip());
    if (m == null || !m.matches()) {
      throw new InvalidSchedule("bad time " + text + " in window " + window + ": expected HH:MM");
    }
    int hours = Integer.parseInt(m.group(1));
    int minutes = Integer.parseInt(m.group(2));
    int seconds = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
    int total = hours * 3600 + minutes * 60 + seconds;
    if (minutes > 59 || seconds > 59 || total > DAY) {
      throw new InvalidSchedule("bad time " + text + " in window " + window + ": expected HH:MM");
    }
    return total;
  }

  /** Seconds of the day as "HH:MM" ("HH:MM:SS" when there are seconds); 86400 is "24:00". */
  static String time(int second) {
    String hm = String.format("%02d:%02d", second / 3600, second / 60 % 60);
    return second % 60 == 0 ? hm : hm + String.format(":%02d", second % 60);
  }

  /** Seconds as "2h", "1m" or "30s", the largest unit that divides them. */
  private static String shortDuration(long seconds) {
    if (seconds % 3600 == 0) return seconds / 3600 + "h";
    if (seconds % 60 == 0) return seconds / 60 + "m";
    return seconds + "s";
  }

  private static Duration duration(String text) {
    Matcher m = SHORT_DURATION.matcher(text.strip().toLowerCase(java.util.Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(text.strip());
    } catch (DateTimeParseException e) {
      throw new InvalidSchedule(
          "bad rotation period " + text + ": expected 30s, 1m, 2h, 1d or ISO-8601 like PT1M");
    }
  }

  private static ZoneId zoneOf(String zone) {
    if (zone == null || zone.isBlank()) throw new InvalidSchedule("no time zone");
    try {
      return ZoneId.of(zone.strip());
    } catch (DateTimeException e) {
      throw new InvalidSchedule("unknown time zone " + zone);
    }
  }

  private static String sorted(Set<String> names) {
    return String.join(", ", new TreeSet<>(names));
  }

  // ------------------------------------------------------------------ value

  @Override
  public boolean equals(Object o) {
    return o instanceof CohortSchedule s
        && s.zone.equals(zone)
        && s.spans.equals(spans)
        && s.every == every
        && s.rotation.equals(rotation);
  }

  @Override
  public int hashCode() {
    return Objects.hash(zone, spans, every, rotation);
  }

  @Override
  public String toString() {
    return "CohortSchedule[" + describe() + "]";
  }
}
