package io.meridian.cassandra;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.meridian.topology.Regions;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One pekko-persistence-cassandra plugin configuration per region, so that every region's replicas
 * write their own keyspace (docs/design.md, Topology; docs/decisions.md, "Cassandra: one keyspace
 * pair per region").
 *
 * <p>For region {@code us} the plugin lives at {@code cassandra-us}: a copy of {@code
 * pekko.persistence.cassandra} with keyspace {@code <meridian.cassandra.keyspace-prefix>us}
 * (journal and query) and {@code ..._snapshot} (snapshots), so the plugin ids are {@code
 * cassandra-us.journal}, {@code cassandra-us.snapshot}, {@code cassandra-us.query} and {@code
 * cassandra-us.hinted-query} (what the other regions' replicas replicate through) — see {@link
 * #JOURNAL_PLUGIN_ID} and its siblings, from which the node's composition gives the user replicas
 * their journals. Everything else (consistency, refresh interval, autocreate) is shared and set
 * once under {@code pekko.persistence.cassandra} in conf/persistence.conf.
 *
 * <p>Use: {@code RegionJournals.additions(config, regions, embedded).withFallback(config)}.
 */
public final class RegionJournals {

  /** A region's journal plugin id, {@code %s} standing for the region. */
  public static final String JOURNAL_PLUGIN_ID = "cassandra-%s.journal";

  /** A region's snapshot store plugin id, {@code %s} standing for the region. */
  public static final String SNAPSHOT_PLUGIN_ID = "cassandra-%s.snapshot";

  /**
   * The query plugin through which the other regions' replicas read a region's journal
   * (io.meridian.replication).
   */
  public static final String REPLICATION_QUERY_PLUGIN_ID = "cassandra-%s.hinted-query";

  /**
   * The plugin's own query over a region's journal (persistence ids, as the re-homing sweep reads
   * them).
   */
  public static final String QUERY_PLUGIN_ID = "cassandra-%s.query";

  private static final String SNAPSHOT_SUFFIX = "_snapshot";
  // Unquoted CQL identifiers, at most 48 characters (Cassandra's limit for keyspace names).
  private static final Pattern KEYSPACE = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,47}");

  private RegionJournals() {}

  /** The root of a region's plugin configuration, e.g. {@code cassandra-us}. */
  public static String pluginPath(String region) {
    return "cassandra-" + region;
  }

  public static String journalKeyspace(Config config, String region) {
    String keyspace = config.getString("meridian.cassandra.keyspace-prefix") + region;
    if (!KEYSPACE.matcher(keyspace + SNAPSHOT_SUFFIX).matches()) {
      throw new IllegalArgumentException(
          "keyspace "
              + keyspace
              + SNAPSHOT_SUFFIX
              + " (meridian.cassandra.keyspace-prefix + region + \""
              + SNAPSHOT_SUFFIX
              + "\") must be letters, digits and _, start with a letter and have at most 48 characters");
    }
    return keyspace;
  }

  public static String snapshotKeyspace(Config config, String region) {
    return journalKeyspace(config, region) + SNAPSHOT_SUFFIX;
  }

  /**
   * {@code meridian.cassandra.contact-points}: a list, or a comma-separated string (how the
   * environment override {@code MERIDIAN_CASSANDRA_CONTACT_POINTS} arrives). Empty means: run the
   * embedded Cassandra.
   */
  public static List<String> configuredContactPoints(Config config) {
    String path = "meridian.cassandra.contact-points";
    if (!config.hasPath(path)) return List.of();
    if (config.getValue(path).valueType() == ConfigValueType.STRING) {
      return Arrays.stream(config.getString(path).split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .toList();
    }
    return config.getStringList(path).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * True when no contact points are configured, i.e. this process should start its own Cassandra.
   */
  public static boolean wantsEmbeddedCassandra(Config config) {
    return configuredContactPoints(config).isEmpty();
  }

  /**
   * The configuration to lay over {@code config}: one plugin per region, the driver's contact
   * points, and this node's region ({@code meridian.region}) as the default journal and snapshot
   * store.
   *
   * @param config the loaded, resolved configuration (test overrides already applied)
   * @param embeddedContactPoint the embedded Cassandra's "host:port", used only when {@code
   *     meridian.cassandra.contact-points} is empty
   */
  public static Config additions(
      Config config, Regions regions, Optional<String> embeddedContactPoint) {
    List<String> contactPoints = configuredContactPoints(config);
    if (contactPoints.isEmpty()) {
      contactPoints =
          List.of(
              embeddedContactPoint.orElseThrow(
                  () ->
                      new IllegalStateException(
                          "meridian.cassandra.contact-points is empty and no embedded Cassandra was started")));
    }
    Config shared = config.getConfig("pekko.persistence.cassandra");
    // Values under meridian.cassandra are copied explicitly rather than through HOCON
    // substitutions,
    // so that overrides laid over an already resolved configuration (flags, tests) still take
    // effect.
    Config additions =
        ConfigFactory.empty()
            .withValue(
                "datastax-java-driver.basic.contact-points",
                ConfigValueFactory.fromIterable(contactPoints))
            .withValue(
                "datastax-java-driver.basic.load-balancing-policy.local-datacenter",
                ConfigValueFactory.fromAnyRef(
                    config.getString("meridian.cassandra.local-datacenter")));
    boolean autocreate = config.getBoolean("meridian.cassandra.schema-autocreate");
    boolean sharedSession =
        config.hasPath("meridian.cassandra.shared-session")
            && config.getBoolean("meridian.cassandra.shared-session");
    String dcReplication =
        config.getString("meridian.cassandra.data-center-replication-factors").trim();
    for (String region : regions.names()) {
      Config plugin =
          ConfigFactory.empty()
              .withValue(
                  "journal.keyspace",
                  ConfigValueFactory.fromAnyRef(journalKeyspace(config, region)))
              .withValue(
                  "snapshot.keyspace",
                  ConfigValueFactory.fromAnyRef(snapshotKeyspace(config, region)));
      for (String part : List.of("journal", "snapshot")) {
        plugin =
            plugin
                .withValue(part + ".keyspace-autocreate", ConfigValueFactory.fromAnyRef(autocreate))
                .withValue(part + ".tables-autocreate", ConfigValueFactory.fromAnyRef(autocreate));
      }
      if (!dcReplication.isEmpty()) {
        // Only read when the plugin creates a keyspace; production creates them with
        // docs/cassandra-schema.cql.
        for (String part : List.of("journal", "snapshot")) {
          plugin =
              plugin
                  .withValue(
                      part + ".replication-strategy",
                      ConfigValueFactory.fromAnyRef("NetworkTopologyStrategy"))
                  .withValue(
                      part + ".data-center-replication-factors",
                      ConfigValueFactory.fromAnyRef(dcReplication));
        }
      }
      // Replication reads through Meridian's hinted query plugin over this region's journal
      // (io.meridian.replication).
      plugin =
          plugin
              .withValue(
                  "hinted-query.class",
                  ConfigValueFactory.fromAnyRef(
                      "io.meridian.replication.HintedReadJournal$Provider"))
              .withValue(
                  "hinted-query.cassandra-plugin",
                  ConfigValueFactory.fromAnyRef(pluginPath(region)));
      if (sharedSession)
        plugin =
            plugin.withValue(
                "session-provider",
                ConfigValueFactory.fromAnyRef(SharedSessionProvider.class.getName()));
      additions = additions.withValue(pluginPath(region), plugin.withFallback(shared).root());
    }
    String self = config.getString("meridian.region");
    if (regions.contains(self)) {
      // Anything persistent that names no plugin (nothing should) lands in this region's keyspace.
      additions =
          additions
              .withValue(
                  "pekko.persistence.journal.plugin",
                  ConfigValueFactory.fromAnyRef(String.format(JOURNAL_PLUGIN_ID, self)))
              .withValue(
                  "pekko.persistence.snapshot-store.plugin",
                  ConfigValueFactory.fromAnyRef(String.format(SNAPSHOT_PLUGIN_ID, self)));
    }
    return additions;
  }

  /** {@link #additions} laid over {@code config}. */
  public static Config withRegionJournals(
      Config config, Regions regions, Optional<String> embeddedContactPoint) {
    return additions(config, regions, embeddedContactPoint).withFallback(config);
  }
}
