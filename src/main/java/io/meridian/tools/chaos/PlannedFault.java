package io.meridian.tools.chaos;

/**
 * One fault of a {@link FaultPlan}: what, where, and when, in milliseconds after the workload
 * began.
 *
 * @param region the faulty region; for {@code pause-cassandra} the region whose clients notice
 *     first is meaningless, so it is {@code "cassandra"}; for {@code move} the region the user
 *     moves to
 * @param userIndex for {@code move}: which of the workload's users moves (0-based); else -1
 * @param atMillis when the fault starts
 * @param healAtMillis when it is healed (SIGCONT, admin up); for {@code kill}, the time allowed for
 *     the restarted process to come back; for {@code move}, equal to {@code atMillis}
 */
public record PlannedFault(
    FaultKind kind, String region, int userIndex, long atMillis, long healAtMillis) {

  public PlannedFault {
    if (healAtMillis < atMillis)
      throw new IllegalArgumentException(
          "a fault heals after it starts: " + atMillis + " > " + healAtMillis);
  }

  public boolean overlaps(PlannedFault other) {
    return atMillis < other.healAtMillis && other.atMillis < healAtMillis;
  }
}
