package io.meridian.tools.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The faults of one run, as a pure function of (seed, duration, kinds, regions, users): the same
 * inputs give the same plan on any machine ({@link Random} is specified bit for bit), so a failing
 * run can be replayed with its seed.
 *
 * <p>Faults run one after another, never overlapping, with a quiet gap after each: the system
 * promises to survive the loss of <em>one</em> region, so at most one region is faulty at a time,
 * and every fault heals before the end of the run (the checker then waits for convergence).
 */
public record FaultPlan(
    long seed,
    long durationMillis,
    List<FaultKind> kinds,
    List<String> regions,
    List<PlannedFault> faults) {

  /** The first fault waits for the clients to be writing. */
  static final long WARM_UP_MILLIS = 4_000;

  /**
   * Quiet time after a region fault healed, before the next one: lets hand-back and catch-up run.
   */
  static final long GAP_MILLIS = 4_000;

  static final long MAX_EXTRA_GAP_MILLIS = 4_000;

  /** The time a killed region is given to restart, rejoin and catch up (a JVM start on 2 cores). */
  static final long KILL_WINDOW_MILLIS = 20_000;

  static final String CASSANDRA = "cassandra";

  public FaultPlan {
    kinds = List.copyOf(kinds);
    regions = List.copyOf(regions);
    faults = List.copyOf(faults);
  }

  public static FaultPlan of(
      long seed, Duration duration, List<FaultKind> kinds, List<String> regions, int users) {
    if (regions.size() < 2) throw new IllegalArgumentException("chaos needs at least two regions");
    if (users < 1) throw new IllegalArgumentException("chaos needs at least one user");
    Random random = new Random(mix(seed));
    long end = duration.toMillis();
    List<PlannedFault> faults = new ArrayList<>();
    long t = WARM_UP_MILLIS;
    while (!kinds.isEmpty()) {
      long now = t;
      List<FaultKind> fitting = kinds.stream().filter(kind -> now + maxLength(kind) < end).toList();
      if (fitting.isEmpty()) break;
      FaultKind kind = fitting.get(random.nextInt(fitting.size()));
      PlannedFault fault =
          switch (kind) {
            case KILL ->
                new PlannedFault(kind, pick(random, regions), -1, t, t + KILL_WINDOW_MILLIS);
            case PAUSE_REGION ->
                new PlannedFault(
                    kind, pick(random, regions), -1, t, t + between(random, 2_000, 10_000));
            case PAUSE_CASSANDRA ->
                new PlannedFault(kind, CASSANDRA, -1, t, t + between(random, 2_000, 10_000));
            case ADMIN_DOWN_UP ->
                new PlannedFault(
                    kind, pick(random, regions), -1, t, t + between(random, 5_000, 15_000));
            case MOVE -> new PlannedFault(kind, pick(random, regions), random.nextInt(users), t, t);
            case PARTITION, ASYMMETRIC_PARTITION ->
                new PlannedFault(
                    kind, pick(random, regions), -1, t, t + between(random, 5_000, 15_000));
          };
      faults.add(fault);
      long gap = kind == FaultKind.MOVE ? GAP_MILLIS / 2 : GAP_MILLIS;
      t = fault.healAtMillis() + gap + random.nextInt((int) MAX_EXTRA_GAP_MILLIS);
    }
    return new FaultPlan(seed, end, kinds, regions, faults);
  }

  /**
   * The longest a fault of this kind may last: it is planned only where it heals before the end.
   */
  static long maxLength(FaultKind kind) {
    return switch (kind) {
      case KILL -> KILL_WINDOW_MILLIS;
      case PAUSE_REGION, PAUSE_CASSANDRA -> 10_000;
      case ADMIN_DOWN_UP, PARTITION, ASYMMETRIC_PARTITION -> 15_000;
      case MOVE -> 0;
    };
  }

  /** The time the last fault heals, or 0 for an empty plan. */
  public long lastHealMillis() {
    return faults.stream().mapToLong(PlannedFault::healAtMillis).max().orElse(0);
  }

  /**
   * Stafford's 64-bit mix of the seed: {@link Random}'s first outputs for nearby seeds (7, 8, 9)
   * are nearly equal, so every short plan would start with the same kind of fault.
   */
  static long mix(long seed) {
    long z = seed + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static String pick(Random random, List<String> from) {
    return from.get(random.nextInt(from.size()));
  }

  private static long between(Random random, int fromMillis, int toMillis) {
    return fromMillis + random.nextInt(toMillis - fromMillis + 1);
  }
}
