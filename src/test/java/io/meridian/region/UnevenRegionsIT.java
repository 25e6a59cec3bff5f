package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.region.DirectoryOnlyNodes.DirectoryNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Regions of uneven size: us has three nodes, eu and ap one each. Quorum is counted in regions, so
 * eu and ap (two regions of three, but two nodes of five) must be able to declare us down when all
 * of us crashes, and a node that starts meanwhile must be able to read the region directory. With
 * directory writes and reads at a majority of nodes, the operator got no_quorum and the new node
 * never confirmed its directory. Only the cluster and the region directory run here.
 */
class UnevenRegionsIT {

  private static final List<String> LAYOUT = List.of("us", "us", "us", "eu", "ap");

  private DirectoryOnlyNodes nodes;

  @AfterEach
  void stopAll() {
    if (nodes != null) nodes.close();
  }

  @Test
  void theTwoSmallRegionsDeclareTheBigOneDownWhenAllOfItCrashes() {
    nodes = DirectoryOnlyNodes.start(LAYOUT, "meridian.failover.auto-down-after = 2s");
    RegionService eu = nodes.node(3).regions();
    RegionService ap = nodes.node(4).regions();

    for (int i = 0; i < 3; i++) DirectoryOnlyNodes.terminate(nodes.node(i));

    eventually(
        Duration.ofSeconds(40),
        () -> {
          assertEquals(RegionControl.Status.down, eu.recordOf("us").status(), "us as eu sees it");
          assertEquals(RegionControl.Status.down, ap.recordOf("us").status(), "us as ap sees it");
        });
    assertEquals(Optional.of("eu"), eu.successorOf("us"));
  }

  @Test
  void anOperatorDeclaresTheBigRegionDownFromASmallOneAndANodeStartingMeanwhileReadsTheDirectory()
      throws Exception {
    nodes = DirectoryOnlyNodes.start(LAYOUT, "meridian.failover.auto-down-after = off");
    RegionService eu = nodes.node(3).regions();
    for (int i = 0; i < 3; i++) DirectoryOnlyNodes.terminate(nodes.node(i));
    eventually(
        Duration.ofSeconds(30),
        () -> assertEquals(RegionControl.Status.suspect, eu.statusOf("us")));

    // A second ap node starts while the three us nodes are members it cannot reach.
    DirectoryNode apNew = nodes.add("ap");
    eventually(
        Duration.ofSeconds(40),
        () ->
            assertTrue(
                apNew.regions().directoryConfirmed(),
                "the new ap node read the directory from the regions it reaches"));

    RegionControl.RegionInfo info =
        eu.declareDown("us", "operator").toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertEquals(RegionControl.Status.down, info.status());
    eventually(
        Duration.ofSeconds(10),
        () -> assertEquals(RegionControl.Status.down, apNew.regions().recordOf("us").status()));
  }
}
