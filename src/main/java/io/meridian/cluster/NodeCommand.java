package io.meridian.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./meridian node}: one node of one region, for real deployments and for the demo's
 * processes.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one Meridian node. Every option also has a config key and an environment variable (see conf/).",
      "Example: ./meridian node --region eu --http-port 8082 --remote-port 2552 --management-port 8562 \\",
      "           --seed-nodes pekko://meridian@127.0.0.1:2551 --cassandra-contact-points 127.0.0.1:9042"
    })
public final class NodeCommand implements Callable<Integer> {
  private final NodeLauncher.EmbeddedCassandra embeddedCassandra;

  /** {@code embeddedCassandra}: how to start a Cassandra when no contact points are configured. */
  public NodeCommand(NodeLauncher.EmbeddedCassandra embeddedCassandra) {
    this.embeddedCassandra = embeddedCassandra;
  }

  @Option(names = "--region", description = "This node's region (data center).")
  String region;

  @Option(
      names = "--regions",
      split = ",",
      description =
          "All regions, in the fixed order every node must share (default: meridian.regions); each region's failover order is then the others in that order.")
  List<String> regions;

  @Option(names = "--http-host")
  String httpHost;

  @Option(names = "--http-port")
  Integer httpPort;

  @Option(
      names = "--remote-host",
      description = "Artery hostname (the address other nodes reach this one on).")
  String remoteHost;

  @Option(names = "--remote-port")
  Integer remotePort;

  @Option(names = "--management-port")
  Integer managementPort;

  @Option(
      names = "--seed-nodes",
      split = ",",
      description = "Seed node addresses, e.g. pekko://meridian@127.0.0.1:2551")
  List<String> seedNodes;

  @Option(
      names = "--cassandra-contact-points",
      split = ",",
      description = "host:port,...; none: start an embedded Cassandra.")
  List<String> cassandraContactPoints;

  @Option(names = "--cassandra-local-dc")
  String cassandraLocalDc;

  @Option(
      names = "--parent-pid",
      description = "Exit when this process is gone (used by ./meridian demo).")
  Long parentPid;

  @Override
  public Integer call() {
    Map<String, Object> overrides = new LinkedHashMap<>();
    if (region != null) overrides.put("meridian.region", region);
    if (regions != null) {
      overrides.put("meridian.regions", new ArrayList<>(regions));
      // The configured failover orders name the default regions; with another set, each region's
      // successors are the others in the fixed order (topology.Regions completes an empty list).
      for (String r : regions) overrides.put("meridian.failover.order." + r, List.of());
    }
    if (httpHost != null) overrides.put("meridian.http.host", httpHost);
    if (httpPort != null) overrides.put("meridian.http.port", httpPort);
    if (remoteHost != null) overrides.put("pekko.remote.artery.canonical.hostname", remoteHost);
    if (remotePort != null) overrides.put("pekko.remote.artery.canonical.port", remotePort);
    if (managementPort != null) overrides.put("pekko.management.http.port", managementPort);
    if (seedNodes != null) overrides.put("pekko.cluster.seed-nodes", new ArrayList<>(seedNodes));
    if (cassandraContactPoints != null)
      overrides.put("meridian.cassandra.contact-points", new ArrayList<>(cassandraContactPoints));
    if (cassandraLocalDc != null)
      overrides.put("meridian.cassandra.local-datacenter", cassandraLocalDc);
    Node node = NodeLauncher.launch(overrides, embeddedCassandra);
    if (parentPid != null) ParentWatch.exitWhenGone(node.system(), parentPid);
    return 0;
  }
}
