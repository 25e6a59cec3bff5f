package io.meridian.region;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meridian.region.AutoDown.Report;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The automatic-down rule over values: majority of the other regions, live reporters only, no clock
 * compared across nodes.
 */
class AutoDownTest {
  private static final List<String> REGIONS = List.of("us", "eu", "ap");
  private static final long AFTER = 10_000;
  private static final long NOW = 1_000_000;
  private static final Map<String, Set<String>> LIVE =
      Map.of("us", Set.of("us-1"), "eu", Set.of("eu-1"), "ap", Set.of("ap-1"));

  private static Report sees(
      String node, String region, String unreachable, long forMillis, long receivedAt) {
    return new Report(node, region, Map.of(unreachable, forMillis), receivedAt);
  }

  private static Report seesNothing(String node, String region) {
    return new Report(node, region, Map.of(), NOW);
  }

  private static Set<String> down(Map<String, Set<String>> live, List<Report> reports) {
    return AutoDown.regionsToDown(REGIONS, "us", live, reports, Set.of(), true, NOW, AFTER);
  }

  @Test
  void aRegionUnreachableFromBothOtherRegionsForTheWholeTimeIsDeclaredDown() {
    assertEquals(
        Set.of("ap"),
        down(
            LIVE,
            List.of(sees("us-1", "us", "ap", AFTER, NOW), sees("eu-1", "eu", "ap", AFTER, NOW))));
  }

  @Test
  void oneOtherRegionOfTwoIsNoMajority() {
    assertEquals(
        Set.of(),
        down(LIVE, List.of(sees("us-1", "us", "ap", AFTER, NOW), seesNothing("eu-1", "eu"))));
  }

  @Test
  void aShorterTimeThanTheThresholdDownsNothing() {
    assertEquals(
        Set.of(),
        down(
            LIVE,
            List.of(
                sees("us-1", "us", "ap", AFTER - 1, NOW), sees("eu-1", "eu", "ap", AFTER, NOW))));
  }

  @Test
  void theTimeSinceAReportArrivedCountsOnThisNodesClock() {
    // eu reported 4 s of unreachability 6 s ago (this node's clock): 10 s now, whatever eu's clock
    // says.
    assertEquals(
        Set.of("ap"),
        down(
            LIVE,
            List.of(
                sees("us-1", "us", "ap", AFTER, NOW),
                sees("eu-1", "eu", "ap", 4_000, NOW - 6_000))));
    assertEquals(
        Set.of(),
        down(
            LIVE,
            List.of(
                sees("us-1", "us", "ap", AFTER, NOW),
                sees("eu-1", "eu", "ap", 4_000, NOW - 5_999))));
  }

  @Test
  void aDeadNodesOldReportDoesNotCount() {
    // eu-0 died long ago while it saw ap unreachable; eu's live node sees ap fine and has not
    // reported it.
    var reports =
        List.of(
            sees("us-1", "us", "ap", AFTER, NOW),
            sees("eu-0", "eu", "ap", 3_600_000, NOW - 3_600_000),
            seesNothing("eu-1", "eu"));
    assertEquals(Set.of(), down(LIVE, reports));
  }

  @Test
  void oneNodeOfARegionDoesNotSpeakForTheRegionWhenAnotherLiveNodeDisagrees() {
    var live = Map.of("us", Set.of("us-1"), "eu", Set.of("eu-1", "eu-2"), "ap", Set.of("ap-1"));
    var disagree =
        List.of(
            sees("us-1", "us", "ap", AFTER, NOW),
            sees("eu-1", "eu", "ap", AFTER, NOW),
            seesNothing("eu-2", "eu"));
    var agree =
        List.of(
            sees("us-1", "us", "ap", AFTER, NOW),
            sees("eu-1", "eu", "ap", AFTER, NOW),
            sees("eu-2", "eu", "ap", AFTER, NOW));
    assertEquals(Set.of(), down(live, disagree));
    assertEquals(Set.of("ap"), down(live, agree));
  }

  @Test
  void aRegionWhoseLiveNodesHaveNotReportedDoesNotAgree() {
    assertEquals(Set.of(), down(LIVE, List.of(sees("us-1", "us", "ap", AFTER, NOW))));
    assertEquals(
        Set.of(),
        down(
            Map.of("us", Set.of("us-1")),
            List.of(sees("us-1", "us", "ap", AFTER, NOW), sees("eu-1", "eu", "ap", AFTER, NOW))),
        "eu is not reachable from here: its report does not count");
  }

  @Test
  void withoutQuorumOrWhenAlreadyDownNothingIsDeclared() {
    var reports =
        List.of(sees("us-1", "us", "ap", AFTER, NOW), sees("eu-1", "eu", "ap", AFTER, NOW));
    assertEquals(
        Set.of(),
        AutoDown.regionsToDown(REGIONS, "us", LIVE, reports, Set.of(), false, NOW, AFTER));
    assertEquals(
        Set.of(),
        AutoDown.regionsToDown(REGIONS, "us", LIVE, reports, Set.of("ap"), true, NOW, AFTER));
  }

  @Test
  void aNodeNeverDeclaresItsOwnRegionDown() {
    var reports =
        List.of(sees("eu-1", "eu", "us", AFTER, NOW), sees("ap-1", "ap", "us", AFTER, NOW));
    assertEquals(
        Set.of(), AutoDown.regionsToDown(REGIONS, "us", LIVE, reports, Set.of(), true, NOW, AFTER));
    assertEquals(
        Set.of("us"),
        AutoDown.regionsToDown(REGIONS, "eu", LIVE, reports, Set.of(), true, NOW, AFTER));
  }

  @Test
  void aJoiningMemberMakesItsRegionPresentSoAFastRestartStopsTheAbsenceClock() {
    assertEquals(
        List.of(true, true, true, false, false, false, false),
        java.util.stream.Stream.of(
                org.apache.pekko.cluster.MemberStatus.joining(),
                org.apache.pekko.cluster.MemberStatus.weaklyUp(),
                org.apache.pekko.cluster.MemberStatus.up(),
                org.apache.pekko.cluster.MemberStatus.leaving(),
                org.apache.pekko.cluster.MemberStatus.exiting(),
                org.apache.pekko.cluster.MemberStatus.down(),
                org.apache.pekko.cluster.MemberStatus.removed())
            .map(RegionService::isPresent)
            .toList());
  }

  @Test
  void withFiveRegionsThreeOfTheFourOthersAreNeeded() {
    var regions = List.of("us", "eu", "ap", "sa", "af");
    var live =
        Map.of(
            "us",
            Set.of("us-1"),
            "eu",
            Set.of("eu-1"),
            "ap",
            Set.of("ap-1"),
            "sa",
            Set.of("sa-1"),
            "af",
            Set.of("af-1"));
    var two = List.of(sees("us-1", "us", "af", AFTER, NOW), sees("eu-1", "eu", "af", AFTER, NOW));
    var three =
        List.of(
            sees("us-1", "us", "af", AFTER, NOW),
            sees("eu-1", "eu", "af", AFTER, NOW),
            sees("ap-1", "ap", "af", AFTER, NOW));
    assertEquals(
        Set.of(), AutoDown.regionsToDown(regions, "us", live, two, Set.of(), true, NOW, AFTER));
    assertEquals(
        Set.of("af"),
        AutoDown.regionsToDown(regions, "us", live, three, Set.of(), true, NOW, AFTER));
  }
}
