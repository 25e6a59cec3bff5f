package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replica stopped and started again (same persistence id) recovers the same user, with or without
 * snapshots.
 */
@ExtendWith(LogCapturingExtension.class)
class UserRecoveryTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("UserRecoveryTest", UserTestSupport.config());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void healPartitions() {
    PartitionableReadJournal.releaseAll();
  }

  @Test
  void aRestartedReplicaRecoversTheSameUserFromItsJournal() {
    var user = new ReplicatedUser(testKit, "recover", 0);
    writeAHistoryFromEveryRegion(user);

    restartEveryReplicaAndCompare(user);
  }

  @Test
  @Disabled(
      "Snapshots stay off on Pekko 1.x (docs/decisions.md, \"snapshots stay off\"): a replica that restarts with"
          + " snapshot-every = 3 stores a snapshot right after its recovery (ReplayingEvents.scala:309-312), and replicated events"
          + " that reach it meanwhile are dropped (Running.scala:946); in one of five full builds its first Get then timed out."
          + " Enable this test to check a Pekko upgrade, with the other two snapshot tests.")
  void aRestartedReplicaRecoversTheSameUserFromASnapshot() {
    // The history is written without snapshots (see the disabled test below for why); the first
    // restart with snapshots on replays it and saves a snapshot, the second recovers from that.
    var user = new ReplicatedUser(testKit, "recover-snapshot", 0);
    writeAHistoryFromEveryRegion(user);
    user.snapshotEvery(3);
    restartEveryReplicaAndCompare(user);
    var snapshots = SnapshotTestKit.create(testKit.system());
    for (String region : UserTestSupport.REGIONS.names()) {
      assertFalse(
          snapshots.persistedInStorage(user.persistenceId(region)).isEmpty(),
          "a snapshot of " + region);
    }

    restartEveryReplicaAndCompare(user);
  }

  @Test
  @Disabled(
      "Fails with Pekko 1.2.1: a replicated event that reaches a replica while it stores a snapshot is dropped"
          + " (Running.StoringSnapshot has no case for ReplicatedEventEnvelope, PersistingEvents stashes it); the replication"
          + " stream from that origin then fails at its 30 s ask timeout, and after a restart the dropped event is skipped for"
          + " good. Run the User entity without snapshots until Pekko stashes the envelope; enable this test to check.")
  void aBurstOfReplicatedEventsReachingAReplicaThatStoresSnapshotsIsNotLost() {
    var user = new ReplicatedUser(testKit, "snapshot-burst", 1);
    user.create("us");
    user.partition("us");
    for (int i = 0; i < 20; i++) user.accepted("us", replyTo -> new User.AdjustPoints(1, replyTo));

    user.heal("us"); // eu and ap receive 20 events in a row, and snapshot after each

    assertEquals(20, user.awaitConverged().points());
  }

  /** Events of every type from every origin, some of them concurrent, including an overdraft. */
  private static void writeAHistoryFromEveryRegion(ReplicatedUser user) {
    user.create("us");
    user.accepted(
        "us",
        replyTo ->
            new User.UpdateProfile(
                Map.of("displayName", "Ada", "email", "ada@example.org"), replyTo));
    user.accepted(
        "us",
        replyTo ->
            new User.RecordPayment(
                "p-1", User.PaymentKind.CREDIT, new BigDecimal("100.00"), replyTo));
    user.accepted("us", replyTo -> new User.AddDevice("phone", replyTo));
    user.accepted("eu", replyTo -> new User.AddDevice("laptop", replyTo));
    user.accepted("ap", replyTo -> new User.AdjustPoints(5, replyTo));
    user.awaitConverged();
    user.partition("us");
    user.accepted(
        "us",
        replyTo ->
            new User.RecordPayment(
                "p-2", User.PaymentKind.DEBIT, new BigDecimal("80.00"), replyTo));
    user.accepted("ap", replyTo -> new User.RemoveDevice("phone", replyTo));
    user.accepted("eu", replyTo -> new User.SeizeOwnership("us", "us declared down", replyTo));
    user.accepted(
        "eu",
        replyTo ->
            new User.RecordPayment(
                "p-3", User.PaymentKind.DEBIT, new BigDecimal("70.00"), replyTo));
    user.accepted("eu", replyTo -> new User.UpdateProfile(Map.of("locale", "de"), replyTo));
    user.heal("us");
    // The owner flags the overdraft with an event of its own after it applied both debits: wait for
    // that event everywhere, not only for equal views (they are equal before it, too).
    for (String region : UserTestSupport.REGIONS.names())
      user.awaitView(region, view -> assertTrue(view.overdraftFlagged(), region));
    var converged = user.awaitConverged();
    assertEquals(
        List.of(new BigDecimal("-50.00"), true),
        List.of(converged.balance(), converged.overdraftFlagged()));
  }

  private static void restartEveryReplicaAndCompare(ReplicatedUser user) {
    var before = user.awaitConverged();
    var paymentsBefore = payments(user);
    for (String region : UserTestSupport.REGIONS.names()) {
      user.stop(region);
      user.start(region);
      assertEquals(before, user.view(region), region + " after a restart");
    }
    assertEquals(paymentsBefore, payments(user));
    // The restarted replicas replicate again: a new write reaches all of them.
    user.accepted("eu", replyTo -> new User.AdjustPoints(1, replyTo));
    assertEquals(before.points() + 1, user.awaitConverged().points());
  }

  private static Map<String, List<User.Reply>> payments(ReplicatedUser user) {
    var payments = new LinkedHashMap<String, List<User.Reply>>();
    for (String region : UserTestSupport.REGIONS.names()) {
      payments.put(
          region,
          List.of("p-1", "p-2", "p-3").stream()
              .map(id -> user.ask(region, replyTo -> new User.GetPayment(id, replyTo)))
              .toList());
    }
    return payments;
  }
}
