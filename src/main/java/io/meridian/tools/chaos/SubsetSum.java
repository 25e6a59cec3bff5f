package io.meridian.tools.chaos;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether some subset of values sums to a target: "acknowledged plus a subset of the indeterminate"
 * for points and balances. Exact (the reachable sums are enumerated), with a cap on their number;
 * the workload's values are distinct small numbers and indeterminate writes are few, so the cap is
 * rarely hit.
 */
final class SubsetSum {
  enum Answer {
    YES,
    NO,
    UNKNOWN
  }

  static final int MAX_SUMS = 1 << 20;

  private SubsetSum() {}

  static Answer reachable(List<Long> values, long target) {
    Set<Long> sums = new HashSet<>();
    sums.add(0L);
    for (long value : values) {
      Set<Long> next = new HashSet<>(sums);
      for (long sum : sums) next.add(sum + value);
      sums = next;
      if (sums.size() > MAX_SUMS) return Answer.UNKNOWN;
    }
    return sums.contains(target) ? Answer.YES : Answer.NO;
  }
}
