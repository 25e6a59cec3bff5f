package io.meridian.tools.chaos;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One user of the workload, with the counter that makes its written values unique: points deltas
 * (1, 2, 3, ... per user, so the checker can tell which deltas were applied) and payment amounts.
 */
public final class WorkloadUser {
  private final String userId;
  private final String homeRegion;
  private final AtomicLong sequence = new AtomicLong();

  public WorkloadUser(String userId, String homeRegion) {
    this.userId = userId;
    this.homeRegion = homeRegion;
  }

  public String userId() {
    return userId;
  }

  public String homeRegion() {
    return homeRegion;
  }

  /** 1, 2, 3, ...: distinct for this user across all clients. */
  public long next() {
    return sequence.incrementAndGet();
  }
}
