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
 *     up, and its replicas' old ownership claims for current
 */
public record RegionView(
    Directory directory, Map<String, Long> unreachableSince, boolean directoryConfirmed) {
  public static final RegionView INITIAL = new RegionView(Directory.EMPTY, Map.of(), false);

  public RegionView {
    unreachableSince = Map.copyOf(unreachableSince);
  }

  RegionView withDirectory(Directory next) {
    return new RegionView(next, unreachableSince, directoryConfirmed);
  }

  RegionView withUnreachable(Map<String, Long> next) {
    return new RegionView(directory, next, directoryConfirmed);
  }

  RegionView confirmed() {
    return new RegionView(directory, unreachableSince, true);
  }

  boolean isUnreachable(String region) {
    return unreachableSince.containsKey(region);
  }
}
