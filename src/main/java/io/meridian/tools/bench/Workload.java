package io.meridian.tools.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/** What the bench sends, as a mix of operations. The same mix drives Meridian and the baselines. */
enum Workload {
  WRITES("writes", 0, 1, 1, 1, 0),
  READS("reads", 1, 0, 0, 0, 0),
  MIXED("mixed", 3, 1, 1, 1, 0),
  PAYMENTS("payments", 0, 0, 0, 0, 1),
  FAILOVER_DRILL("failover-drill", 0, 1, 1, 1, 0);

  /**
   * One operation kind; {@code ownerOnly} ones are executed by the user's owner region (forwarded
   * if needed).
   */
  enum Kind {
    READ(false, false),
    PROFILE(true, true),
    POINTS(true, false),
    DEVICE(true, false),
    PAYMENT(true, true);

    final boolean write;
    final boolean ownerOnly;

    Kind(boolean write, boolean ownerOnly) {
      this.write = write;
      this.ownerOnly = ownerOnly;
    }

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One operation: kind, which user (index), a random number the request is derived from, and a
   * sequence number unique in the run (payment ids).
   */
  record Op(Kind kind, int user, long random, long seq) {
    String displayName() {
      return "Bench User " + (random % 10_000);
    }

    long pointsDelta() {
      return 1 + random % 10;
    }

    String deviceId() {
      return "d-" + random % 5;
    }

    /** Three adds for one removal, so device sets stay small and non-empty. */
    boolean addDevice() {
      return (random / 5) % 4 != 0;
    }

    boolean credit() {
      return (random / 7) % 10 < 7;
    }

    java.math.BigDecimal amount() {
      return java.math.BigDecimal.valueOf(100 + random % 5_000, 2);
    }
  }

  final String label;
  private final int[] weights;
  private final int totalWeight;

  Workload(String label, int reads, int profile, int points, int devices, int payments) {
    this.label = label;
    this.weights = new int[] {reads, profile, points, devices, payments};
    this.totalWeight = reads + profile + points + devices + payments;
  }

  static Workload parse(String text) {
    for (Workload w : values()) if (w.label.equalsIgnoreCase(text)) return w;
    throw new IllegalArgumentException(
        "unknown workload '"
            + text
            + "'; one of "
            + Arrays.stream(values()).map(w -> w.label).collect(Collectors.joining(", ")));
  }

  boolean hasWrites() {
    return weights[1] + weights[2] + weights[3] + weights[4] > 0;
  }

  /** The mix in words, for the report. */
  String describe() {
    StringBuilder out = new StringBuilder();
    Kind[] kinds = Kind.values();
    for (int i = 0; i < kinds.length; i++) {
      if (weights[i] == 0) continue;
      if (out.length() > 0) out.append(", ");
      out.append(kinds[i].label())
          .append(' ')
          .append(Math.round(100.0 * weights[i] / totalWeight))
          .append('%');
    }
    return out.toString();
  }

  /** Draws operations of this mix; not thread-safe (one per dispatcher). */
  final class Source {
    private final SplittableRandom random;
    private final int users;
    private long seq;

    Source(long seed, int users) {
      this.random = new SplittableRandom(seed);
      this.users = users;
    }

    Op next() {
      int pick = random.nextInt(totalWeight);
      Kind kind = Kind.READ;
      for (int i = 0; i < weights.length; i++) {
        if (pick < weights[i]) {
          kind = Kind.values()[i];
          break;
        }
        pick -= weights[i];
      }
      return new Op(kind, random.nextInt(users), random.nextLong(Long.MAX_VALUE), seq++);
    }

    int nextInt(int bound) {
      return random.nextInt(bound);
    }
  }

  Source source(long seed, int users) {
    return new Source(seed, users);
  }
}
