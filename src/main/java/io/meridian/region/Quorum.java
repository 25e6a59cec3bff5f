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

  /**
   * How many nodes must store a region-directory declaration: a majority of the Up members or, when
   * this node reaches fewer, every node it reaches (this node included). Not a majority alone: with
   * uneven regions (7/3/3 nodes) the small ones, two regions of three, could never declare the big
   * one down. Not every reachable node alone: a node that just died but is not yet detected would
   * fail an operator's declaration.
   *
   * @param upMembers Up members of all regions, this node included
   * @param reachableOtherNodes other Up members this node reaches now
   */
  public static int directoryWriteReplicas(int upMembers, int reachableOtherNodes) {
    return Math.min(Math.max(1, upMembers) / 2 + 1, reachableOtherNodes + 1);
  }

  /**
   * How many nodes a new incarnation reads the directory from: every node it reaches, so the read
   * meets any write above in a node that is still there.
   */
  public static int directoryReadReplicas(int reachableOtherNodes) {
    return reachableOtherNodes + 1;
  }
}
