package io.meridian.region;

import java.util.List;
import java.util.function.Predicate;

/**
 * The quorum rule: a node may declare anything about a region, or confirm who owns a user, only
 * while it reaches a strict majority of all configured regions, itself included. Two sides of a
 * partition can never both have it, so a minority never downs the majority.
 */
public final class Quorum {
  private Quorum() {}

  /**
   * {@code reachable}: whether this node reaches another region now (Up members, not unreachable).
   */
  public static boolean hasQuorum(
      List<String> regions, String ownRegion, Predicate<String> reachable) {
    long count =
        regions.stream()
            .filter(region -> region.equals(ownRegion) || reachable.test(region))
            .count();
    return count * 2 > regions.size();
  }
}
