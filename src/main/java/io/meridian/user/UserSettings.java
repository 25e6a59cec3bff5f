package io.meridian.user;

import io.meridian.topology.Regions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.pekko.persistence.typed.ReplicaId;

/**
 * What a node gives its {@link User} replicas: the regions, where each replica's journal is, and
 * the node's own view of which regions are declared down. Built where the node is composed.
 *
 * @param declaredDownHere whether this node's region directory has the region declared down: a
 *     seizure is executed only then, whoever asked for it (a node with a stale directory must not
 *     take a user from a region that is up again)
 * @param catchUpTimeout how long a replica that just started waits for its first read of every
 *     other region's journal before it answers commands (stashed meanwhile); zero: it does not wait
 *     (only for query plugins other than {@code HintedReadJournal}, which report no first read)
 */
public record UserSettings(
    Regions regions,
    Journals journals,
    int snapshotEvery,
    Duration catchUpTimeout,
    Predicate<String> declaredDownHere) {

  /**
   * Settings whose node sees every region as declared down whenever asked (tests without a region
   * directory).
   */
  public static UserSettings withoutDirectory(
      Regions regions, Journals journals, int snapshotEvery, Duration catchUpTimeout) {
    return new UserSettings(regions, journals, snapshotEvery, catchUpTimeout, region -> true);
  }

  /**
   * Where a replica writes and reads: plugin ids, with {@code %s} standing for the region. Tests
   * use one journal for all replicas (the test kit's); production uses one Cassandra plugin per
   * region.
   */
  public record Journals(String journalPluginId, String snapshotPluginId, String queryPluginId) {
    String journalFor(String region) {
      return String.format(journalPluginId, region);
    }

    String snapshotFor(String region) {
      return String.format(snapshotPluginId, region);
    }

    Map<ReplicaId, String> queryPlugins(Regions regions) {
      var plugins = new LinkedHashMap<ReplicaId, String>();
      for (String region : regions.names())
        plugins.put(new ReplicaId(region), String.format(queryPluginId, region));
      return plugins;
    }
  }
}
