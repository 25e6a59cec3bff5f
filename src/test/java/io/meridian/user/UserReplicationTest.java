package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three replicas (us, eu, ap) of one user in one test kit. Concurrent writes are made deterministic
 * by partitioning regions ({@link PartitionableReadJournal}): what a partitioned region writes
 * reaches the others only when the test heals it, so the other replicas decide without it.
 */
@ExtendWith(LogCapturingExtension.class)
class UserReplicationTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("UserReplicationTest", UserTestSupport.config());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void healPartitions() {
    PartitionableReadJournal.releaseAll();
  }

  private static BigDecimal money(String amount) {
    return new BigDecimal(amount);
  }

  @Test
  void aUserCreatedInItsHomeRegionReplicatesToEveryRegion() {
    var user = new ReplicatedUser(testKit, "replicate-create", 0);

    user.accepted("eu", replyTo -> new User.Create("eu", replyTo));

    var view = user.awaitConverged();
    assertEquals(List.of("eu", "eu", 1L), List.of(view.homeRegion(), view.owner(), view.epoch()));
    assertEquals(
        new User.NotOwner("eu", 1),
        user.ask("us", replyTo -> new User.UpdateProfile(Map.of("locale", "en"), replyTo)));
  }

  @Test
  void concurrentProfileWritesOfTheOldAndTheNewOwnerConvergeToTheSameFieldsEverywhere() {
    var user = ReplicatedUser.created(testKit, "lww", "us");
    user.partition("us");
    // The old owner writes before it learns that it was replaced; nobody sees that write yet ...
    user.accepted(
        "us",
        replyTo ->
            new User.UpdateProfile(
                Map.of("displayName", "Old", "email", "old@example.org"), replyTo));
    // ... and eu, declaring us down, seizes and writes without having seen it.
    assertEquals(
        "eu",
        user.accepted("eu", replyTo -> new User.SeizeOwnership("us", "us declared down", replyTo))
            .owner());
    var atEu =
        user.accepted(
            "eu", replyTo -> new User.UpdateProfile(Map.of("displayName", "New"), replyTo));
    assertEquals(
        Map.of("displayName", "New"),
        atEu.profile(),
        "eu wrote without seeing the old owner's write");

    user.heal("us");

    var converged = user.awaitConverged();
    // Per-field LWW: the new owner's later displayName wins, the old owner's email is not lost.
    assertEquals(Map.of("displayName", "New", "email", "old@example.org"), converged.profile());
    assertEquals(List.of("eu", 2L), List.of(converged.owner(), converged.epoch()));
  }

  @Test
  void concurrentPointAdjustmentsAddUpInEveryReplica() {
    var user = ReplicatedUser.created(testKit, "points", "us");
    user.partition("us", "eu", "ap");

    assertEquals(5, user.accepted("us", replyTo -> new User.AdjustPoints(5, replyTo)).points());
    assertEquals(7, user.accepted("eu", replyTo -> new User.AdjustPoints(7, replyTo)).points());
    assertEquals(-2, user.accepted("ap", replyTo -> new User.AdjustPoints(-2, replyTo)).points());
    user.accepted("ap", replyTo -> new User.AdjustPoints(3, replyTo));
    user.healAll();

    assertEquals(13, user.awaitConverged().points());
  }

  @Test
  void aDeviceRemovedInOneRegionWhileReAddedInAnotherIsPresentEverywhere() {
    var user = ReplicatedUser.created(testKit, "add-wins", "us");
    user.accepted("us", replyTo -> new User.AddDevice("phone", replyTo));
    user.accepted("us", replyTo -> new User.AddDevice("laptop", replyTo));
    assertEquals(List.of("laptop", "phone"), user.awaitConverged().devices());
    user.partition("us", "eu", "ap");

    assertEquals(
        List.of("laptop"),
        user.accepted("us", replyTo -> new User.RemoveDevice("phone", replyTo)).devices());
    assertEquals(
        List.of("laptop", "phone"),
        user.accepted("eu", replyTo -> new User.AddDevice("phone", replyTo)).devices());
    user.accepted("ap", replyTo -> new User.RemoveDevice("laptop", replyTo));
    user.accepted("ap", replyTo -> new User.AddDevice("tablet", replyTo));
    user.healAll();

    // phone: eu's re-add is concurrent with us's remove, so it wins; laptop: removed, nobody
    // re-added it.
    assertEquals(List.of("phone", "tablet"), user.awaitConverged().devices());
  }

  @Test
  void aDeviceRemovalThatReachesARegionBeforeTheAddItRemovedDoesNotBringTheDeviceBack() {
    var user = ReplicatedUser.created(testKit, "remove-overtakes-add", "us");
    user.cut("us", "ap"); // ap does not hear from us for a while; eu does
    user.accepted("us", replyTo -> new User.AddDevice("phone", replyTo));
    user.awaitView("eu", view -> assertEquals(List.of("phone"), view.devices()));
    user.accepted("eu", replyTo -> new User.RemoveDevice("phone", replyTo));
    // ap applies eu's removal of a phone it has never seen added ...
    user.awaitView("ap", view -> assertEquals(1L, view.version().get("eu")));

    user.restore("us", "ap"); // ... and only then us's add

    assertEquals(
        List.of(),
        user.awaitConverged().devices(),
        "replication across regions is not causal; the set must not care");
  }

  @Test
  void aPlannedMoveLosesNothingAndOnlyTheNewOwnerAcceptsWritesOnceItAppliedTheTransfer() {
    var user = ReplicatedUser.created(testKit, "move", "us");
    user.partition("us"); // replication from us is slow: the move must still lose nothing
    user.accepted("us", replyTo -> new User.UpdateProfile(Map.of("displayName", "Ada"), replyTo));
    user.accepted(
        "us",
        replyTo ->
            new User.RecordPayment("p-1", User.PaymentKind.CREDIT, money("100.00"), replyTo));
    user.accepted("us", replyTo -> new User.AdjustPoints(3, replyTo));

    var moved = user.accepted("us", replyTo -> new User.MoveHome("eu", replyTo));

    assertEquals(
        List.of("eu", "eu", 2L), List.of(moved.homeRegion(), moved.owner(), moved.epoch()));
    assertEquals(
        new User.NotOwner("eu", 2),
        user.ask("us", replyTo -> new User.UpdateProfile(Map.of("displayName", "Late"), replyTo)));
    assertEquals(
        new User.NotOwner("eu", 2),
        user.ask(
            "us",
            replyTo ->
                new User.RecordPayment("p-2", User.PaymentKind.DEBIT, money("1.00"), replyTo)));
    // eu has not applied the transfer yet: it is not the owner, and waiting for epoch 2 does not
    // answer.
    assertEquals(
        new User.NotOwner("us", 1),
        user.ask("eu", replyTo -> new User.UpdateProfile(Map.of("displayName", "Early"), replyTo)));
    TestProbe<User.Reply> awaitEpoch = testKit.createTestProbe();
    user.tell("eu", replyTo -> new User.AwaitEpoch(2, replyTo), awaitEpoch);
    awaitEpoch.expectNoMessage(Duration.ofMillis(300));

    user.heal("us");

    // Once eu applied the transfer it has everything us wrote before it (each origin's events
    // arrive in order).
    var takenOver = assertInstanceOf(User.Accepted.class, awaitEpoch.receiveMessage()).user();
    assertEquals(List.of("eu", 2L), List.of(takenOver.owner(), takenOver.epoch()));
    assertEquals(Map.of("displayName", "Ada"), takenOver.profile());
    assertEquals(money("100.00"), takenOver.balance());
    assertEquals(3, takenOver.points());
    assertEquals(
        money("70.00"),
        user.accepted(
                "eu",
                replyTo ->
                    new User.RecordPayment("p-2", User.PaymentKind.DEBIT, money("30.00"), replyTo))
            .balance());
    user.accepted(
        "eu", replyTo -> new User.UpdateProfile(Map.of("displayName", "Ada L."), replyTo));
    var converged = user.awaitConverged();
    assertEquals(Map.of("displayName", "Ada L."), converged.profile());
    assertEquals(money("70.00"), converged.balance());
    assertEquals(
        List.of("eu", "eu", 2L),
        List.of(converged.homeRegion(), converged.owner(), converged.epoch()));
  }

  @Test
  void twoConcurrentSeizuresEndWithTheFirstRankedRegionAsTheOnlyOwnerEverywhere() {
    var user = ReplicatedUser.created(testKit, "seizures", "us");
    user.partition("us", "eu", "ap");

    assertEquals(
        List.of("eu", 2L),
        ownerAndEpoch(
            user.accepted("eu", replyTo -> new User.SeizeOwnership("us", "us down", replyTo))));
    assertEquals(
        List.of("ap", 2L),
        ownerAndEpoch(
            user.accepted("ap", replyTo -> new User.SeizeOwnership("us", "us down", replyTo))));
    user.healAll();

    // Same epoch: the region listed first in meridian.regions (us, eu, ap) wins, in every replica.
    var converged = user.awaitConverged();
    assertEquals(
        List.of("us", "eu", 2L),
        List.of(converged.homeRegion(), converged.owner(), converged.epoch()));
    assertEquals(
        new User.NotOwner("eu", 2),
        user.ask("ap", replyTo -> new User.UpdateProfile(Map.of("locale", "ja"), replyTo)));
    assertEquals(
        new User.NotOwner("eu", 2),
        user.ask("us", replyTo -> new User.UpdateProfile(Map.of("locale", "en"), replyTo)));
    user.accepted("eu", replyTo -> new User.UpdateProfile(Map.of("locale", "de"), replyTo));
  }

  @Test
  void aSeizedUserIsHandedBackToItsHomeWithTheNextEpoch() {
    var user = ReplicatedUser.created(testKit, "hand-back", "us");
    user.accepted("eu", replyTo -> new User.SeizeOwnership("us", "us down", replyTo));
    user.awaitView("us", view -> assertEquals("eu", view.owner()));

    var handedBack = user.accepted("eu", User.HandBack::new);

    assertEquals(
        List.of("us", "us", 3L),
        List.of(handedBack.homeRegion(), handedBack.owner(), handedBack.epoch()));
    var atHome =
        assertInstanceOf(
                User.Accepted.class, user.ask("us", replyTo -> new User.AwaitEpoch(3, replyTo)))
            .user();
    assertEquals("us", atHome.owner());
    user.accepted("us", replyTo -> new User.UpdateProfile(Map.of("locale", "en"), replyTo));
    assertEquals(List.of("us", 3L), ownerAndEpoch(user.awaitConverged()));
  }

  @Test
  void aPaymentRetriedAtTheNewOwnerAfterAMoveIsAppliedOnce() {
    var user = ReplicatedUser.created(testKit, "retry-after-move", "us");
    user.accepted(
        "us",
        replyTo ->
            new User.RecordPayment("p-1", User.PaymentKind.CREDIT, money("100.00"), replyTo));
    user.accepted("us", replyTo -> new User.MoveHome("eu", replyTo));
    user.accepted("eu", replyTo -> new User.AwaitEpoch(2, replyTo));

    var retried =
        user.accepted(
            "eu",
            replyTo ->
                new User.RecordPayment("p-1", User.PaymentKind.CREDIT, money("100.00"), replyTo));

    assertEquals(money("100.00"), retried.balance());
    assertEquals(money("100.00"), user.awaitConverged().balance());
    var euJournal =
        PersistenceTestKit.create(testKit.system()).persistedInStorage(user.persistenceId("eu"));
    assertEquals(
        1,
        euJournal.stream().filter(User.PaymentRecorded.class::isInstance).count(),
        () -> "eu's journal holds the replicated payment only: " + euJournal);
  }

  @Test
  void aPaymentRecordedByTheOldOwnerAndRetriedAtTheNewOwnerBeforeReplicationIsAppliedOnce() {
    var user = ReplicatedUser.created(testKit, "retry-after-seizure", "us");
    user.accepted(
        "us",
        replyTo -> new User.RecordPayment("p-0", User.PaymentKind.CREDIT, money("50.00"), replyTo));
    user.awaitView("eu", view -> assertEquals(money("50.00"), view.balance()));
    user.partition("us");
    // us records p-1, but is cut off before it replicates; the client times out and retries at eu.
    user.accepted(
        "us",
        replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, money("30.00"), replyTo));
    user.accepted("eu", replyTo -> new User.SeizeOwnership("us", "us down", replyTo));
    assertEquals(
        money("80.00"),
        user.accepted(
                "eu",
                replyTo ->
                    new User.RecordPayment("p-1", User.PaymentKind.CREDIT, money("30.00"), replyTo))
            .balance());

    user.heal("us");

    assertEquals(money("80.00"), user.awaitConverged().balance());
    // Every region keeps the same record of p-1, whichever of the two it applied first.
    var payments =
        UserTestSupport.REGIONS.names().stream()
            .map(r -> user.ask(r, replyTo -> new User.GetPayment("p-1", replyTo)))
            .toList();
    assertTrue(
        payments.stream().allMatch(payments.get(0)::equals), () -> "p-1 per region: " + payments);
  }

  @Test
  void awaitVersionAnswersOnlyOnceTheReplicaHasAppliedThatManyEventsOfTheOrigin() {
    var user = ReplicatedUser.created(testKit, "await-version", "us");
    user.partition("us");
    var afterFirst = user.accepted("us", replyTo -> new User.AdjustPoints(1, replyTo));
    var afterSecond = user.accepted("us", replyTo -> new User.AdjustPoints(1, replyTo));
    long usEvents = afterSecond.version().get("us");
    assertEquals(afterFirst.version().get("us") + 1, usEvents);
    TestProbe<User.Reply> waiting = testKit.createTestProbe();
    user.tell("eu", replyTo -> new User.AwaitVersion("us", usEvents, replyTo), waiting);
    waiting.expectNoMessage(Duration.ofMillis(300));

    user.heal("us");

    var seen = assertInstanceOf(User.Accepted.class, waiting.receiveMessage());
    assertEquals(usEvents, seen.user().version().get("us"));
    assertEquals(2, seen.user().points());
    // Already applied: answered at once.
    var again = user.ask("eu", replyTo -> new User.AwaitVersion("us", usEvents - 1, replyTo));
    assertInstanceOf(User.Accepted.class, again);
  }

  @Test
  void awaitPaymentAnswersOnceThePaymentHasReplicated() {
    var user = ReplicatedUser.created(testKit, "await-payment", "us");
    user.partition("us");
    user.accepted(
        "us",
        replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, money("5.00"), replyTo));
    TestProbe<User.Reply> confirmation = testKit.createTestProbe();
    user.tell("eu", replyTo -> new User.AwaitPayment("p-1", replyTo), confirmation);
    confirmation.expectNoMessage(Duration.ofMillis(300));

    user.heal("us");

    assertEquals(
        new User.PaymentFound(
            "p-1", new User.Payment(User.PaymentKind.CREDIT, money("5.00"), "us", 1)),
        confirmation.receiveMessage());
  }

  @Test
  void concurrentDebitsAfterASeizureThatOverdrawTheWalletAreFlaggedInEveryRegion() {
    var user = ReplicatedUser.created(testKit, "overdraft", "us");
    user.accepted(
        "us",
        replyTo ->
            new User.RecordPayment("p-0", User.PaymentKind.CREDIT, money("100.00"), replyTo));
    user.awaitView("eu", view -> assertEquals(money("100.00"), view.balance()));
    user.partition("us");
    // Each owner checks the balance it knows: both debits are accepted.
    assertEquals(
        money("20.00"),
        user.accepted(
                "us",
                replyTo ->
                    new User.RecordPayment("p-1", User.PaymentKind.DEBIT, money("80.00"), replyTo))
            .balance());
    user.accepted("eu", replyTo -> new User.SeizeOwnership("us", "us down", replyTo));
    assertEquals(
        money("30.00"),
        user.accepted(
                "eu",
                replyTo ->
                    new User.RecordPayment("p-2", User.PaymentKind.DEBIT, money("70.00"), replyTo))
            .balance());

    user.heal("us");

    // Nothing is dropped: the balance is negative, and flagged for follow-up in every region. The
    // owner (eu) persists the flag once it sees the negative balance, so wait for the flag itself.
    for (String region : List.of("us", "eu", "ap"))
      user.awaitView(region, view -> assertTrue(view.overdraftFlagged(), region + ": " + view));
    var converged = user.awaitConverged();
    assertEquals(money("-50.00"), converged.balance());
    assertTrue(converged.overdraftFlagged());
  }

  @Test
  void aDebitThatReachesARegionBeforeTheCreditItReliedOnIsNoOverdraft() {
    var user = ReplicatedUser.created(testKit, "debit-overtakes-credit", "us");
    user.cut("us", "ap"); // ap does not hear from us for a while; eu does
    user.accepted(
        "us",
        replyTo -> new User.RecordPayment("p-0", User.PaymentKind.CREDIT, money("10.00"), replyTo));
    user.accepted("us", replyTo -> new User.MoveHome("eu", replyTo));
    user.awaitView("eu", view -> assertEquals("eu", view.owner()));
    assertEquals(
        money("0.00"),
        user.accepted(
                "eu",
                replyTo ->
                    new User.RecordPayment("p-1", User.PaymentKind.DEBIT, money("10.00"), replyTo))
            .balance());
    // ap applies eu's debit without the credit it relied on: -10 there, in transit only ...
    user.awaitView("ap", view -> assertEquals(money("-10.00"), view.balance()));

    user.restore("us", "ap"); // ... until us's events arrive

    var converged = user.awaitConverged();
    assertEquals(money("0.00"), converged.balance());
    assertFalse(
        converged.overdraftFlagged(),
        "only the owner flags, and the owner never saw a negative balance");
  }

  private static List<Object> ownerAndEpoch(User.View view) {
    return List.of(view.owner(), view.epoch());
  }
}
