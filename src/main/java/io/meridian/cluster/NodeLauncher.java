package io.meridian.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.cassandra.RegionJournals;
import io.meridian.topology.Regions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Configuration loading and Cassandra choice for a node process ({@code ./meridian node}). */
public final class NodeLauncher {
  private NodeLauncher() {}

  /**
   * conf/ (application.conf and its includes) with {@code overrides} on top, resolved after
   * merging, so that an overridden {@code meridian.region} also sets the node's data center.
   */
  public static Config load(Map<String, Object> overrides) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /**
   * Starts an embedded Cassandra with its data in {@code dataDir} and returns its contact point
   * ({@code host:port}). The caller supplies it (Main, from the tools), so the product does not
   * depend on the tool that runs Cassandra.
   */
  @FunctionalInterface
  public interface EmbeddedCassandra {
    String start(Path dataDir);
  }

  /**
   * Loads config, starts an embedded Cassandra when no contact points are configured, and starts
   * the node.
   */
  public static Node launch(Map<String, Object> overrides, EmbeddedCassandra embeddedCassandra) {
    Config config = load(overrides);
    Regions regions = Regions.fromConfig(config.getConfig("meridian"));
    Optional<String> embedded = Optional.empty();
    if (RegionJournals.wantsEmbeddedCassandra(config)) {
      String region = config.getString("meridian.region");
      embedded =
          Optional.of(embeddedCassandra.start(Path.of(".meridian", "node-" + region, "cassandra")));
    }
    return Node.start(RegionJournals.withRegionJournals(config, regions, embedded));
  }
}
