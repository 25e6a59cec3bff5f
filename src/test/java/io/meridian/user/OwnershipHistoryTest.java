package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.meridian.topology.Regions;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnershipHistoryTest {
  private static final Regions REGIONS = Regions.of("us", "eu", "ap");

  @Test
  void aFailoverReadsAsCreatedSeizedAfterDownAndHandedBackWithWhoDecidedAndHowLong() {
    var created = new User.UserCreated("u-1", "us", 1_000);
    var seized =
        new User.OwnershipSeized("us", "eu", "us", 2, "region us declared down", 5_400, 5_000L);
    var handedBack =
        new User.OwnershipTransferred("eu", "us", "us", 3, 9_250, "handed_back", 9_000L);

    var changes = OwnershipHistory.of(List.of(handedBack, created, seized), REGIONS);

    assertEquals(
        List.of(
            new OwnershipHistory.Change(null, "us", "us", 1, "created", "us", 1_000, null, null),
            new OwnershipHistory.Change(
                "us",
                "eu",
                "us",
                2,
                "seized_after_down",
                "eu",
                5_400,
                400L,
                "region us declared down"),
            new OwnershipHistory.Change(
                "eu", "us", "us", 3, "handed_back", "eu", 9_250, 250L, null)),
        changes);
    assertEquals("us", OwnershipHistory.ownerAfter(changes));
  }

  @Test
  void aTransferPersistedBeforeEventsSaidWhyIsInferredFromTheHome() {
    var created = new User.UserCreated("u-1", "us", 1);
    var moved = new User.OwnershipTransferred("us", "eu", "eu", 2, 2);
    var seized = new User.OwnershipSeized("eu", "us", "eu", 3, "region eu declared down", 3);
    var back = new User.OwnershipTransferred("us", "eu", "eu", 4, 4);

    var reasons =
        OwnershipHistory.of(List.of(created, moved, seized, back), REGIONS).stream()
            .map(OwnershipHistory.Change::reason)
            .toList();

    assertEquals(List.of("created", "planned_move", "seized_after_down", "handed_back"), reasons);
  }

  @Test
  void theSameEventReadFromSeveralJournalsCountsOnce() {
    var created = new User.UserCreated("u-1", "us", 1);
    var moved = new User.OwnershipTransferred("us", "ap", "ap", 2, 2, "planned_move", 1L);

    var changes = OwnershipHistory.of(List.of(created, moved, created, moved, moved), REGIONS);

    assertEquals(2, changes.size());
    assertEquals(1L, changes.get(1).tookMillis());
  }

  @Test
  void concurrentClaimsOfOneEpochEndWithTheClaimTheMergeKeeps() {
    var created = new User.UserCreated("u-1", "us", 1);
    var byAp = new User.OwnershipSeized("us", "ap", "us", 2, "us down", 10);
    var byEu = new User.OwnershipSeized("us", "eu", "us", 2, "us down", 20);

    var changes = OwnershipHistory.of(List.of(byEu, created, byAp), REGIONS);

    assertEquals(List.of("us", "ap", "eu"), changes.stream().map(c -> c.to()).toList());
    // eu is ranked before ap: every replica's merge keeps eu's claim.
    assertEquals("eu", OwnershipHistory.ownerAfter(changes));
  }

  @Test
  void otherEventsAreNoOwnershipChange() {
    assertNull(OwnershipHistory.changeOf(new User.PointsAdjusted(5, 1), "us"));
    assertEquals(List.of(), OwnershipHistory.of(List.of(new User.PointsAdjusted(5, 1)), REGIONS));
    assertNull(OwnershipHistory.ownerAfter(List.of()));
  }
}
