package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.cluster.NodeLauncher;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import scala.concurrent.Await;

/**
 * Regions of uneven size: us has three nodes, eu and ap one each. Quorum is counted in regions, so
 * eu and ap (two regions of three, but two nodes of five) must be able to declare us down when all
 * of us crashes, and a node that starts meanwhile must be able to read the region directory. With
 * directory writes and reads at a majority of nodes, neither happens. Only the cluster and the
 * region directory run here (no users, no Cassandra): the rule under test is the directory's.
 */
class UnevenRegionsIT {

  private final List<ActorSystem<Void>> systems = new ArrayList<>();
  private final Map<ActorSystem<Void>, RegionService> services = new LinkedHashMap<>();
  private final List<Integer> seedPorts = new ArrayList<>();

  @AfterEach
  void stopAll() {
    for (ActorSystem<Void> system : systems) {
      if (!system.whenTerminated().isCompleted()) terminate(system);
    }
  }

  @Test
  void theTwoSmallRegionsDeclareTheBigOneDownWhenAllOfItCrashes() {
    var us = startCluster("2s");
    var eu = services.get(systems.get(3));
    var ap = services.get(systems.get(4));

    us.forEach(UnevenRegionsIT::terminate);

    eventually(Duration.ofSeconds(40), () -> {
      assertEquals(RegionBoard.Status.down, eu.recordOf("us").status(), "us as eu sees it");
      assertEquals(RegionBoard.Status.down, ap.recordOf("us").status(), "us as ap sees it");
    });
    assertEquals(java.util.Optional.of("eu"), eu.successorOf("us"));
  }

  @Test
  void anOperatorDeclaresTheBigRegionDownFromASmallOneAndANodeStartingMeanwhileReadsTheDirectory() throws Exception {
    var us = startCluster("off");
    var eu = services.get(systems.get(3));
    us.forEach(UnevenRegionsIT::terminate);
    eventually(Duration.ofSeconds(30), () -> assertEquals(RegionBoard.Status.suspect, eu.statusOf("us")));

    // A second ap node starts while the three us nodes are members it cannot reach.
    var apNew = start("ap", freePort());
    var apNewService = services.get(apNew);
    eventually(Duration.ofSeconds(40), () ->
        assertTrue(apNewService.directoryConfirmed(), "the new ap node read the directory from the regions it reaches"));

    RegionBoard.RegionInfo info = eu.declareDown("us", "operator").toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertEquals(RegionBoard.Status.down, info.status());
    eventually(Duration.ofSeconds(10), () -> assertEquals(RegionBoard.Status.down, apNewService.recordOf("us").status()));
  }

  /** Starts us×3, eu, ap; waits until every node sees five Up members; returns the us systems. */
  private List<ActorSystem<Void>> startCluster(String autoDownAfter) {
    this.autoDownAfter = autoDownAfter;
    for (int i = 0; i < 5; i++) seedPorts.add(freePort());
    List<String> layout = List.of("us", "us", "us", "eu", "ap");
    for (int i = 0; i < layout.size(); i++) start(layout.get(i), seedPorts.get(i));
    eventually(Duration.ofSeconds(60), () -> {
      for (ActorSystem<Void> system : systems) {
        long up = java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
            .filter(m -> m.status() == MemberStatus.up()).count();
        assertEquals(5, up);
      }
    });
    return List.copyOf(systems.subList(0, 3));
  }

  private String autoDownAfter = "off";

  private ActorSystem<Void> start(String region, int port) {
    Map<String, Object> overrides = new LinkedHashMap<>();
    overrides.put("meridian.region", region);
    overrides.put("pekko.remote.artery.canonical.port", port);
    overrides.put("pekko.cluster.seed-nodes", seedPorts.stream().map(p -> "pekko://meridian@127.0.0.1:" + p).toList());
    overrides.put("meridian.failover.auto-down-after", autoDownAfter);
    Config config = ConfigFactory.parseString("""
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            # terminate() is a crash: no graceful leave, the others see the node unreachable
            pekko.coordinated-shutdown.run-by-actor-system-terminate = off
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.cluster.seed-node-timeout = 2s
            pekko.cluster.retry-unsuccessful-join-after = 2s
            pekko.cluster.multi-data-center.failure-detector.acceptable-heartbeat-pause = 3s
            """)
        .withFallback(NodeLauncher.load(overrides)).resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "meridian", config);
    systems.add(system);
    var service = new RegionService(system, Regions.fromConfig(config.getConfig("meridian")), region, Duration.ofSeconds(5));
    service.start(RegionService.monitorSettings(config));
    services.put(system, service);
    return system;
  }

  private static void terminate(ActorSystem<Void> system) {
    system.terminate();
    try {
      Await.result(Adapter.toClassic(system).whenTerminated(), scala.concurrent.duration.Duration.create(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("actor system did not terminate", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
