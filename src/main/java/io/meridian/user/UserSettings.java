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
 * @param limits how much one user may hold
 */
public record UserSettings(
    Regions regions,
    Journals journals,
    int snapshotEvery,
    Duration catchUpTimeout,
    Predicate<String> declaredDownHere,
    Limits limits) {

  /** Settings with the default {@link Limits}. */
  public UserSettings(
      Regions regions,
      Journals journals,
      int snapshotEvery,
      Duration catchUpTimeout,
      Predicate<String> declaredDownHere) {
    this(regions, journals, snapshotEvery, catchUpTimeout, declaredDownHere, Limits.DEFAULTS);
  }

  public UserSettings withLimits(Limits limits) {
    return new UserSettings(
        regions, journals, snapshotEvery, catchUpTimeout, declaredDownHere, limits);
  }

  /**
   * {@code meridian.user.limits}: what one user's state may hold, so that a replica's memory and an
   * answer's size stay bounded. Checked by the replica that accepts a command, before it persists,
   * never when an event is applied (a replicated event is always applied, or replicas would
   * diverge): concurrent writes in several regions may go past a limit together, by at most one
   * region's share each (docs/decisions.md, "Bounded resources").
   *
   * @param maxDevices devices a user may have at once; adding one more is refused
   * @param maxPayments payments a user's history holds; a new payment beyond them is refused (a
   *     retry of a recorded one is still answered)
   */
  public record Limits(int maxDevices, int maxPayments) {
    public static final Limits DEFAULTS = new Limits(100, 1000);

    public Limits {
      if (maxDevices < 1 || maxPayments < 1)
        throw new IllegalArgumentException("meridian.user.limits must be at least 1");
    }

    /** From {@code meridian.user.limits}. */
    public static Limits fromConfig(com.typesafe.config.Config meridian) {
      var limits = meridian.getConfig("user.limits");
      return new Limits(limits.getInt("max-devices"), limits.getInt("max-payments"));
    }
  }

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
