package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.cluster.FreePorts;
import io.meridian.cluster.NodeLauncher;
import io.meridian.cluster.ThreeRegions;
import io.meridian.topology.Regions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import scala.concurrent.Await;

/**
 * Nodes that run only the cluster and the region directory (no users, no Cassandra), on loopback,
 * one actor system per node: for tests of the directory's rules with any number of nodes per
 * region. {@link #terminate} is a crash (no graceful leave).
 */
public final class DirectoryOnlyNodes implements AutoCloseable {

  /** One node: its actor system and its view of the regions. */
  public record DirectoryNode(String region, ActorSystem<Void> system, RegionService regions) {}

  private final String extraConfig;
  private final List<Integer> seedPorts = new ArrayList<>();
  private final List<DirectoryNode> nodes = new ArrayList<>();

  /**
   * Starts one node per entry of {@code layout} (its region), seeded by all of them, and waits
   * until every node sees all of them Up.
   */
  public static DirectoryOnlyNodes start(List<String> layout, String extraConfig) {
    var cluster = new DirectoryOnlyNodes(extraConfig);
    try {
      for (int i = 0; i < layout.size(); i++) cluster.seedPorts.add(FreePorts.one());
      for (int i = 0; i < layout.size(); i++)
        cluster.startNode(layout.get(i), cluster.seedPorts.get(i));
      cluster.awaitUpMembers(layout.size());
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private DirectoryOnlyNodes(String extraConfig) {
    this.extraConfig = extraConfig;
  }

  public DirectoryNode node(int index) {
    return nodes.get(index);
  }

  /** Another node of {@code region}, joining through the seeds. */
  public DirectoryNode add(String region) {
    return startNode(region, FreePorts.one());
  }

  public void awaitUpMembers(int count) {
    eventually(
        Duration.ofSeconds(60),
        () -> {
          for (DirectoryNode node : nodes) {
            if (node.system().whenTerminated().isCompleted()) continue;
            long up =
                StreamSupport.stream(
                        Cluster.get(node.system()).state().getMembers().spliterator(), false)
                    .filter(m -> m.status() == MemberStatus.up())
                    .count();
            assertEquals(count, up, "Up members seen by a node of " + node.region());
          }
        });
  }

  private DirectoryNode startNode(String region, int port) {
    Map<String, Object> overrides = new LinkedHashMap<>();
    overrides.put("meridian.region", region);
    overrides.put("pekko.remote.artery.canonical.port", port);
    overrides.put(
        "pekko.cluster.seed-nodes",
        seedPorts.stream().map(p -> "pekko://meridian@127.0.0.1:" + p).toList());
    Config config =
        ConfigFactory.parseString(extraConfig)
            .withFallback(
                ConfigFactory.parseString(
                        "pekko.cluster.multi-data-center.failure-detector.acceptable-heartbeat-pause = 3s")
                    .withFallback(ConfigFactory.parseString(ThreeRegions.IN_JVM_NODE)))
            .withFallback(NodeLauncher.load(overrides))
            .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "meridian", config);
    var service =
        new RegionService(
            system,
            Regions.fromConfig(config.getConfig("meridian")),
            region,
            Duration.ofSeconds(5));
    service.start(RegionService.monitorSettings(config));
    var node = new DirectoryNode(region, system, service);
    nodes.add(node);
    return node;
  }

  /** Stops the node's actor system without leaving the cluster: what the others see of a crash. */
  public static void terminate(DirectoryNode node) {
    node.system().terminate();
    try {
      Await.result(
          Adapter.toClassic(node.system()).whenTerminated(),
          scala.concurrent.duration.Duration.create(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("actor system did not terminate", e);
    }
  }

  @Override
  public void close() {
    for (DirectoryNode node : nodes) {
      if (!node.system().whenTerminated().isCompleted()) terminate(node);
    }
  }
}
