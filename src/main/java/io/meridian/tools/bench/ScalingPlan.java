package io.meridian.tools.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pure rules of {@code ./meridian bench scaling}: which rows the matrix has and in which order,
 * which of them are not run and why, how a row's heap is read from {@code jcmd GC.heap_info}, and
 * the straight-line fits that estimate what was not measured.
 */
final class ScalingPlan {
  private static final Pattern REGION = Pattern.compile("[a-z][a-z0-9]{0,15}");
  private static final Pattern GENERATION_USED =
      Pattern.compile("^\\s*(\\S.*?)\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K", Pattern.MULTILINE);

  private ScalingPlan() {}

  /** One row of the matrix: this many users on a fresh demo of these regions. */
  record Row(int users, List<String> regions) {
    Row {
      regions = List.copyOf(regions);
    }

    /** Replicas the row's users have: one per user in every region. */
    long replicas() {
      return (long) users * regions.size();
    }

    String label() {
      return regions.size() + " regions x " + users + " users";
    }
  }

  /**
   * {@code "us,eu:us,eu,ap"}: region sets separated by ':', regions by ','. Names are lower-case
   * keyspace-safe words, no duplicates within a set, at least one region per set.
   */
  static List<List<String>> parseRegionSets(String spec) {
    if (spec == null || spec.isBlank())
      throw new IllegalArgumentException("no region sets: expected e.g. us,eu:us,eu,ap");
    List<List<String>> sets = new ArrayList<>();
    for (String set : spec.split(":", -1)) {
      List<String> regions = Arrays.stream(set.split(",", -1)).map(String::trim).toList();
      for (String region : regions)
        if (!REGION.matcher(region).matches())
          throw new IllegalArgumentException(
              "region set '" + set + "': '" + region + "' is not a region name ([a-z][a-z0-9]*)");
      if (regions.stream().distinct().count() != regions.size())
        throw new IllegalArgumentException("region set '" + set + "' names a region twice");
      sets.add(regions);
    }
    return sets;
  }

  /**
   * The rows in the order they run: fewer users first (so the creation rate of a small row can
   * decide whether a big one is worth trying), then fewer regions.
   */
  static List<Row> rows(List<Integer> users, List<List<String>> regionSets) {
    List<Row> rows = new ArrayList<>();
    for (int n : users) {
      if (n <= 0) throw new IllegalArgumentException("users must be positive: " + n);
      for (List<String> regions : regionSets) rows.add(new Row(n, regions));
    }
    rows.sort(Comparator.comparingInt(Row::users).thenComparingInt((Row r) -> r.regions().size()));
    return List.copyOf(rows);
  }

  /**
   * Why a row is not run, or empty if it is: more replicas than {@code maxReplicas}, or a creation
   * that would take longer than {@code maxCreateTime} at {@code createsPerSecond} (the fastest rate
   * measured so far with as many regions or fewer; null when none was measured yet, then the row
   * runs).
   */
  static Optional<String> skipReason(
      Row row, long maxReplicas, Double createsPerSecond, Duration maxCreateTime) {
    List<String> reasons = new ArrayList<>();
    if (row.replicas() > maxReplicas)
      reasons.add(
          String.format(
              java.util.Locale.ROOT,
              "%,d replicas (users x regions) > --max-replicas %,d",
              row.replicas(),
              maxReplicas));
    if (createsPerSecond != null && createsPerSecond > 0) {
      Duration estimate = estimatedCreateTime(row.users(), createsPerSecond);
      if (estimate.compareTo(maxCreateTime) > 0)
        reasons.add(
            String.format(
                java.util.Locale.ROOT,
                "creating %,d users at %.1f creates/s (measured) would take ~%d min > --max-create-time %d min",
                row.users(),
                createsPerSecond,
                (estimate.toSeconds() + 59) / 60,
                maxCreateTime.toMinutes()));
    }
    return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
  }

  static Duration estimatedCreateTime(int users, double createsPerSecond) {
    return Duration.ofMillis(Math.round(users / createsPerSecond * 1000));
  }

  /**
   * Heap used in KB from {@code jcmd <pid> GC.heap_info}: the sum of the generations' "used" (the
   * Serial collector prints "def new generation total 157248K, used 2795K" and "tenured generation
   * total 349568K, used 60123K"; G1 one "garbage-first heap" line); Metaspace is not heap and is
   * not counted. Empty when no generation line is found.
   */
  static Optional<Long> heapUsedKb(String heapInfo) {
    Matcher m = GENERATION_USED.matcher(heapInfo);
    long used = 0;
    boolean found = false;
    while (m.find()) {
      if (m.group(1).toLowerCase(java.util.Locale.ROOT).contains("metaspace")) continue;
      used += Long.parseLong(m.group(2));
      found = true;
    }
    return found ? Optional.of(used) : Optional.empty();
  }

  /** A least-squares line {@code y = intercept + slope x}. */
  record Line(double intercept, double slope, int points) {
    double at(double x) {
      return intercept + slope * x;
    }
  }

  /** The least-squares line through {@code (x[i], y[i])}; empty with fewer than two distinct x. */
  static Optional<Line> fit(double[] x, double[] y) {
    if (x.length != y.length) throw new IllegalArgumentException("x and y differ in length");
    int n = x.length;
    if (n < 2) return Optional.empty();
    double mx = Arrays.stream(x).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < n; i++) {
      sxx += (x[i] - mx) * (x[i] - mx);
      sxy += (x[i] - mx) * (y[i] - my);
    }
    if (sxx == 0) return Optional.empty();
    double slope = sxy / sxx;
    return Optional.of(new Line(my - slope * mx, slope, n));
  }

  /** {@code /proc/loadavg}'s first three fields. */
  static List<Double> loadAverage(String procLoadavg) {
    String[] f = procLoadavg.trim().split("\\s+");
    if (f.length < 3) throw new IllegalArgumentException("not /proc/loadavg: " + procLoadavg);
    return List.of(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
  }
}
