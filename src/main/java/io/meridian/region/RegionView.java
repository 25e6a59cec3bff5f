package io.meridian.region;

import io.meridian.region.RegionDirectory.Directory;
import java.util.Map;

/**
 * What this node knows about the regions at one moment, as {@link RegionMonitor} last published it
 * (the only writer); {@link RegionService} answers every routing question from one such snapshot,
 * without asking an actor.
 *
 * @param directory the declared status of every region (replicated)
 * @param unreachableSince regions this node finds unreachable (failure detector, or every member
 *     gone), and since when (this node's clock, ms)
 * @param directoryConfirmed this incarnation has read the directory from the nodes it reaches; a
 *     new incarnation starts with an empty directory and would otherwise take its own region for
 *     up, and its replicas' old ownership claims for current (readiness needs it once)
 * @param directoryCurrent the directory was read from the nodes this node reaches since it last had
 *     quorum: a node that lost quorum (cut off) may have been declared down meanwhile and must not
 *     confirm ownership the moment it reaches the others again, before it heard of that
 */
public record RegionView(
    Directory directory,
    Map<String, Long> unreachableSince,
    boolean directoryConfirmed,
    boolean directoryCurrent) {
  public static final RegionView INITIAL = new RegionView(Directory.EMPTY, Map.of(), false, false);

  public RegionView {
    unreachableSince = Map.copyOf(unreachableSince);
  }

  RegionView withDirectory(Directory next) {
    return new RegionView(next, unreachableSince, directoryConfirmed, directoryCurrent);
  }

  RegionView withUnreachable(Map<String, Long> next) {
    return new RegionView(directory, next, directoryConfirmed, directoryCurrent);
  }

  RegionView confirmed() {
    return new RegionView(directory, unreachableSince, true, true);
  }

  /** Quorum lost: the directory must be read again before ownership is confirmed again. */
  RegionView stale() {
    return new RegionView(directory, unreachableSince, directoryConfirmed, false);
  }

  boolean isUnreachable(String region) {
    return unreachableSince.containsKey(region);
  }
}
