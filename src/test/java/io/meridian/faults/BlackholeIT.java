package io.meridian.faults;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.region.DirectoryOnlyNodes;
import io.meridian.region.DirectoryOnlyNodes.DirectoryNode;
import io.meridian.region.RegionControl;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The chaos tool's partition, healed after the cut-off region was declared down and removed from
 * the others' view: the heal must reach the addresses that were cut, not only the current members,
 * or the others keep dropping the cut-off region's traffic and it runs on as an island that never
 * learns it was downed (seen in a chaos run with fast failure detection).
 */
class BlackholeIT {

  private DirectoryOnlyNodes nodes;

  @AfterEach
  void stopAll() {
    if (nodes != null) nodes.close();
  }

  @Test
  void aRegionDeclaredDownWhileCutOffLearnsItAfterTheHealAndStops() {
    nodes =
        DirectoryOnlyNodes.start(
            List.of("us", "eu", "ap"), "meridian.failover.auto-down-after = 1s");
    DirectoryNode us = nodes.node(0);
    DirectoryNode eu = nodes.node(1);
    DirectoryNode ap = nodes.node(2);
    var euSide = Blackhole.get(eu.system());
    var usSide = Blackhole.get(us.system());
    var apSide = Blackhole.get(ap.system());
    euSide.cut("us", Blackhole.Direction.BOTH);
    euSide.cut("ap", Blackhole.Direction.BOTH);
    usSide.cut("eu", Blackhole.Direction.BOTH);
    apSide.cut("eu", Blackhole.Direction.BOTH);

    for (DirectoryNode majority : List.of(us, ap)) {
      var cluster = Cluster.get(majority.system());
      eventually(
          Duration.ofSeconds(40),
          () -> {
            assertEquals(RegionControl.Status.down, majority.regions().recordOf("eu").status());
            assertTrue(
                StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
                    .noneMatch(m -> m.dataCenter().equals("eu")),
                "eu is still a member as " + majority.region() + " sees it");
          });
    }

    // As the chaos routes do: each request gets the node's blackhole anew.
    Blackhole.get(eu.system()).heal("us");
    Blackhole.get(eu.system()).heal("ap");
    assertEquals(
        List.of(Cluster.get(eu.system()).selfMember().address().toString()),
        Blackhole.get(us.system()).heal("eu"),
        "us heals the address it cut");
    Blackhole.get(ap.system()).heal("eu");

    eventually(
        Duration.ofSeconds(30),
        () ->
            assertTrue(
                eu.system().whenTerminated().isCompleted(),
                "eu still runs as an island after the heal"));
  }
}
