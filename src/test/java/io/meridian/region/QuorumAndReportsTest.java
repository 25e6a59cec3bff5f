package io.meridian.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.region.AutoDown.Report;
import io.meridian.region.RegionDirectory.Observation;
import io.meridian.region.RegionDirectory.Observations;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The quorum rule, how reports are taken in, and that together a minority never downs the majority.
 */
class QuorumAndReportsTest {
  private static final List<String> THREE = List.of("us", "eu", "ap");
  private static final List<String> FIVE = List.of("us", "eu", "ap", "sa", "af");

  @Test
  void aStrictMajorityOfRegionsIsQuorumAndHalfIsNot() {
    assertTrue(Quorum.hasQuorum(THREE, "us", Set.of("eu")::contains));
    assertTrue(Quorum.hasQuorum(THREE, "us", Set.of("eu", "ap")::contains));
    assertFalse(Quorum.hasQuorum(THREE, "us", Set.<String>of()::contains));
    assertFalse(
        Quorum.hasQuorum(List.of("us", "eu", "ap", "sa"), "us", Set.of("eu")::contains),
        "two of four is no majority");
    assertTrue(Quorum.hasQuorum(FIVE, "us", Set.of("eu", "ap")::contains));
    assertFalse(Quorum.hasQuorum(FIVE, "us", Set.of("eu")::contains));
    assertTrue(
        Quorum.hasQuorum(List.of("us"), "us", r -> false), "a single region is its own majority");
  }

  @Test
  void thisNodeCountsItsOwnRegionOnceWhateverTheReachabilityOfItSays() {
    assertFalse(Quorum.hasQuorum(THREE, "us", Set.of("us")::contains));
    assertTrue(Quorum.hasQuorum(THREE, "us", Set.of("us", "ap")::contains));
  }

  @Test
  void aMinorityNeverDownsTheMajorityEvenWhenItsOwnReportsAgree() {
    // us is cut off: it sees eu and ap unreachable for long enough, and so do its own reports.
    var cutOff =
        List.of(
            new Report("us-1", "us", Map.of("eu", 60_000L, "ap", 60_000L), 1_000),
            new Report("us-2", "us", Map.of("eu", 60_000L, "ap", 60_000L), 1_000));
    boolean quorum = Quorum.hasQuorum(THREE, "us", region -> false);
    assertFalse(quorum);
    var live = Map.of("us", Set.of("us-1", "us-2"));
    assertEquals(
        Set.of(),
        AutoDown.regionsToDown(THREE, "us", live, cutOff, Set.of(), quorum, 100_000, 1_000));
  }

  @Test
  void aReportIsNewWhenItsPublicationTimeChangedAndIsTimedOnThisNodesClock() {
    var first = Observations.EMPTY.with("eu-1", new Observation("eu", Map.of("ap", 1_000L), 4_000));
    Reports reports = Reports.NONE.received(first, 50_000);
    assertEquals(
        List.of(new Report("eu-1", "eu", Map.of("ap", 3_000L), 50_000)),
        List.copyOf(reports.all()));

    // The same publication again (gossip repeats it): still the report received at 50 000.
    Reports again = reports.received(first, 60_000);
    assertEquals(
        List.of(new Report("eu-1", "eu", Map.of("ap", 3_000L), 50_000)), List.copyOf(again.all()));

    // A new publication: received now.
    var second = first.with("eu-1", new Observation("eu", Map.of(), 5_000));
    assertEquals(
        List.of(new Report("eu-1", "eu", Map.of(), 70_000)),
        List.copyOf(again.received(second, 70_000).all()));
  }

  @Test
  void anUnreachableSinceLaterThanThePublicationCountsAsNoTimeAtAll() {
    var skewed =
        Observations.EMPTY.with("eu-1", new Observation("eu", Map.of("ap", 9_000L), 4_000));
    assertEquals(
        Map.of("ap", 0L),
        List.copyOf(Reports.NONE.received(skewed, 1).all()).get(0).unreachableForMillis());
  }

  @Test
  void aDeclarationIsWrittenToAMajorityOfNodesOrToEveryReachableNodeWhenThatIsFewer() {
    assertEquals(7, Quorum.directoryWriteReplicas(13, 12), "7/3/3, everything reachable");
    assertEquals(
        6, Quorum.directoryWriteReplicas(13, 5), "7/3/3, the seven gone: the six that remain");
    assertEquals(
        2, Quorum.directoryWriteReplicas(3, 2), "1/1/1, one just died and is not detected yet");
    assertEquals(2, Quorum.directoryWriteReplicas(5, 1), "3/1/1, the three gone");
    assertEquals(1, Quorum.directoryWriteReplicas(1, 0), "a single node");
    assertEquals(1, Quorum.directoryWriteReplicas(0, 0), "before this node is Up");
  }

  @Test
  void aNewIncarnationReadsTheDirectoryFromEveryNodeItReaches() {
    assertEquals(1, Quorum.directoryReadReplicas(0));
    assertEquals(6, Quorum.directoryReadReplicas(5));
  }
}
