package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.ORSet;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One replica on its own: every command's reply, persisted events and resulting state, and that
 * every rejection persists nothing. {@link EventSourcedBehaviorTestKit} works with the replicated
 * behavior (the other two replicas are simply not running) and also round-trips every command,
 * event and state through serialization.
 */
@ExtendWith(LogCapturingExtension.class)
class UserCommandsTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("UserCommandsTest", UserTestSupport.config());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final BigDecimal TEN = new BigDecimal("10.00");
  private static final io.meridian.topology.Regions REGIONS = UserTestSupport.REGIONS;

  private static EventSourcedBehaviorTestKit<User.Command, User.Event, UserState> replicaWithLimits(
      String prefix, UserSettings.Limits limits) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        User.create(
            UserTestSupport.replicationId(UserTestSupport.newUserId(prefix), "us"),
            UserTestSupport.settings().withLimits(limits)));
  }

  private static EventSourcedBehaviorTestKit<User.Command, User.Event, UserState> replica(
      String userId, String region) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        User.create(UserTestSupport.replicationId(userId, region), UserTestSupport.settings()));
  }

  /** The "us" replica of a new user whose home is "us". */
  private static EventSourcedBehaviorTestKit<User.Command, User.Event, UserState> createdAtUs(
      String prefix) {
    var us = replica(UserTestSupport.newUserId(prefix), "us");
    assertInstanceOf(
        User.Accepted.class, run(us, replyTo -> new User.Create("us", replyTo)).reply());
    return us;
  }

  private static CommandResultWithReply<User.Command, User.Event, UserState, User.Reply> run(
      EventSourcedBehaviorTestKit<User.Command, User.Event, UserState> replica,
      Function<ActorRef<User.Reply>, User.Command> command) {
    return replica.runCommand(command);
  }

  private static User.View accepted(
      CommandResultWithReply<User.Command, User.Event, UserState, User.Reply> result) {
    return assertInstanceOf(User.Accepted.class, result.reply()).user();
  }

  /** The rejection is the expected one, and nothing was persisted. */
  private static void assertRejected(
      User.Reason reason,
      CommandResultWithReply<User.Command, User.Event, UserState, User.Reply> result) {
    assertEquals(
        reason,
        assertInstanceOf(User.Rejected.class, result.reply(), () -> "reply to " + result.command())
            .reason(),
        () -> "reply to " + result.command());
    assertTrue(
        result.hasNoEvents(), () -> "persisted " + result.events() + " for " + result.command());
  }

  private static User.PaymentRecorded payment(
      String id, User.PaymentKind kind, String amount, long epoch, long at) {
    return new User.PaymentRecorded(id, kind, new BigDecimal(amount), "us", epoch, at);
  }

  // ------------------------------------------------------------------ create

  @Test
  void createPersistsUserCreatedAndAnswersWithTheNewUser() {
    String userId = UserTestSupport.newUserId("create");
    var us = replica(userId, "us");

    var result = run(us, replyTo -> new User.Create("us", replyTo));

    var event = result.eventOfType(User.UserCreated.class);
    assertEquals(new User.UserCreated(userId, "us", event.at()), event);
    var expected =
        new User.View(
            userId,
            "us",
            "us",
            1,
            Map.of(),
            0,
            List.of(),
            TEN.subtract(TEN),
            false,
            Map.of("us", 1L));
    assertEquals(expected, accepted(result));
    assertEquals(expected, result.state().view());
    assertTrue(result.state().created());
  }

  @Test
  void createOfAnExistingUserIsRejectedAsUserExists() {
    var us = createdAtUs("create-twice");
    assertRejected(User.Reason.USER_EXISTS, run(us, replyTo -> new User.Create("us", replyTo)));
  }

  @Test
  void createInARegionOtherThanTheHomeAnswersNotOwnerWithTheHome() {
    var us = replica(UserTestSupport.newUserId("create-elsewhere"), "us");

    var result = run(us, replyTo -> new User.Create("eu", replyTo));

    assertEquals(new User.NotOwner("eu", 0), result.reply());
    assertTrue(result.hasNoEvents());
    assertFalse(result.state().created());
  }

  @Test
  void createWithAnUnknownHomeRegionIsInvalid() {
    var us = replica(UserTestSupport.newUserId("create-mars"), "us");
    assertRejected(User.Reason.INVALID, run(us, replyTo -> new User.Create("mars", replyTo)));
  }

  @Test
  void everyCommandOnAnUnknownUserIsRejectedAsUnknownUser() {
    var us = replica(UserTestSupport.newUserId("unknown"), "us");
    List<Function<ActorRef<User.Reply>, User.Command>> commands =
        List.of(
            User.Get::new,
            replyTo -> new User.UpdateProfile(Map.of("displayName", "Ada"), replyTo),
            replyTo -> new User.AdjustPoints(5, replyTo),
            replyTo -> new User.AddDevice("phone", replyTo),
            replyTo -> new User.RemoveDevice("phone", replyTo),
            replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo),
            replyTo -> new User.GetPayment("p-1", replyTo),
            replyTo -> new User.MoveHome("eu", replyTo),
            User.HandBack::new,
            replyTo -> new User.SeizeOwnership("us", "test", replyTo));
    for (var command : commands) assertRejected(User.Reason.UNKNOWN_USER, run(us, command));
    assertFalse(us.getState().created());
  }

  // ------------------------------------------------------------------ profile

  @Test
  void updateProfileRecordsTheFieldsWithTheOwnersLwwTime() {
    var us = createdAtUs("profile");
    long before = System.currentTimeMillis();

    var result =
        run(
            us,
            replyTo ->
                new User.UpdateProfile(
                    Map.of("displayName", "Ada", "email", "ada@example.org"), replyTo));

    var event = result.eventOfType(User.ProfileUpdated.class);
    assertEquals(Map.of("displayName", "Ada", "email", "ada@example.org"), event.fields());
    assertEquals("us", event.origin());
    assertTrue(event.timestamp() >= before, "the LWW timestamp is the owner's clock");
    assertEquals(
        Map.of("displayName", "Ada", "email", "ada@example.org"), accepted(result).profile());
    assertEquals(
        new UserState.LwwField("Ada", event.timestamp(), "us"),
        result.state().profile().get("displayName"));
  }

  @Test
  void aLaterProfileUpdateOverwritesItsFieldsOnlyAndIsNewer() {
    var us = createdAtUs("profile-twice");
    var first =
        run(
            us,
            replyTo ->
                new User.UpdateProfile(
                    Map.of("displayName", "Ada", "email", "ada@example.org"), replyTo));

    var second =
        run(us, replyTo -> new User.UpdateProfile(Map.of("displayName", "Ada L."), replyTo));

    assertTrue(
        second.eventOfType(User.ProfileUpdated.class).timestamp()
            > first.eventOfType(User.ProfileUpdated.class).timestamp(),
        "each write of the owner is newer than every field it has seen, even within one millisecond");
    assertEquals(
        Map.of("displayName", "Ada L.", "email", "ada@example.org"), accepted(second).profile());
  }

  @Test
  void updateProfileWithAnUnknownOrNoFieldIsInvalid() {
    var us = createdAtUs("profile-invalid");
    assertRejected(
        User.Reason.INVALID,
        run(us, replyTo -> new User.UpdateProfile(Map.of("password", "x"), replyTo)));
    assertRejected(
        User.Reason.INVALID,
        run(
            us,
            replyTo ->
                new User.UpdateProfile(Map.of("displayName", "Ada", "role", "admin"), replyTo)));
    assertRejected(
        User.Reason.INVALID, run(us, replyTo -> new User.UpdateProfile(Map.of(), replyTo)));
    assertEquals(Map.of(), us.getState().profile());
  }

  // ------------------------------------------------------------------ points and devices

  @Test
  void adjustPointsAddsAndSubtracts() {
    var us = createdAtUs("points");

    var plus = run(us, replyTo -> new User.AdjustPoints(7, replyTo));
    var minus = run(us, replyTo -> new User.AdjustPoints(-3, replyTo));

    assertEquals(7, plus.eventOfType(User.PointsAdjusted.class).delta());
    assertEquals(-3, minus.eventOfType(User.PointsAdjusted.class).delta());
    assertEquals(4, accepted(minus).points());
    assertEquals(4, minus.state().points().value().longValue());
  }

  @Test
  void adjustPointsByZeroIsInvalid() {
    var us = createdAtUs("points-zero");
    assertRejected(User.Reason.INVALID, run(us, replyTo -> new User.AdjustPoints(0, replyTo)));
  }

  @Test
  void addAndRemoveDevicePersistOneDeviceEach() {
    var us = createdAtUs("devices");

    var added = run(us, replyTo -> new User.AddDevice("phone", replyTo));
    run(us, replyTo -> new User.AddDevice("laptop", replyTo));
    var removed = run(us, replyTo -> new User.RemoveDevice("phone", replyTo));

    var add = added.eventOfType(User.DeviceAdded.class);
    assertEquals(
        new User.DeviceAdded("phone", "us", 2, add.at()),
        add,
        "numbered as us's second event (the first is its creation)");
    assertEquals(List.of("phone"), accepted(added).devices());
    var remove = removed.eventOfType(User.DeviceRemoved.class);
    assertEquals(
        new User.DeviceRemoved("phone", Map.of("us", 2L), remove.at()),
        remove,
        "the removal names the adds of the phone this replica had seen");
    assertEquals(List.of("laptop"), accepted(removed).devices());
    assertEquals(List.of("laptop"), removed.state().deviceIds());
    assertEquals(
        java.util.Set.of("laptop"),
        removed.state().deviceClocks().keySet(),
        "the phone's clock is settled and forgotten");
  }

  @Test
  void reAddingAPresentDeviceIsPersistedAgainWithTheNextNumberSoItWinsOverAConcurrentRemove() {
    var us = createdAtUs("devices-readd");
    run(us, replyTo -> new User.AddDevice("phone", replyTo));

    var again = run(us, replyTo -> new User.AddDevice("phone", replyTo));

    assertEquals(3, again.eventOfType(User.DeviceAdded.class).counter());
    assertEquals(List.of("phone"), accepted(again).devices());
    var removedElsewhere =
        again.state().apply(new User.DeviceRemoved("phone", Map.of("us", 2L), 0), REGIONS);
    assertEquals(
        List.of("phone"),
        removedElsewhere.deviceIds(),
        "a removal that saw only the first add leaves the second");
  }

  @Test
  void aDeviceAddedAfterItsClockWasForgottenGetsANumberAboveTheRemovedOnes() {
    var us = createdAtUs("devices-after-removal");
    run(us, replyTo -> new User.AddDevice("phone", replyTo));
    var removal = run(us, replyTo -> new User.RemoveDevice("phone", replyTo));
    assertEquals(Map.of(), removal.state().deviceClocks());

    var again = run(us, replyTo -> new User.AddDevice("phone", replyTo));

    assertEquals(4, again.eventOfType(User.DeviceAdded.class).counter(), "us's fourth event");
    assertEquals(List.of("phone"), accepted(again).devices());
    var lateRemoval =
        again.state().apply(new User.DeviceRemoved("phone", Map.of("us", 2L), 0), REGIONS);
    assertEquals(List.of("phone"), lateRemoval.deviceIds(), "an old removal misses the new add");
  }

  @Test
  void devicesAddedAndRemovedLeaveNoClocksBehind() {
    var us = replicaWithLimits("devices-churn", new UserSettings.Limits(5, 10));
    run(us, replyTo -> new User.Create("us", replyTo));
    for (int i = 0; i < 50; i++) {
      String id = "device-" + i;
      run(us, replyTo -> new User.AddDevice(id, replyTo));
      run(us, replyTo -> new User.RemoveDevice(id, replyTo));
    }
    run(us, replyTo -> new User.AddDevice("kept", replyTo));

    assertEquals(List.of("kept"), us.getState().deviceIds());
    assertEquals(java.util.Set.of("kept"), us.getState().deviceClocks().keySet());
  }

  @Test
  void removingAnAbsentDevicePersistsNothing() {
    var us = createdAtUs("devices-absent");

    var result = run(us, replyTo -> new User.RemoveDevice("phone", replyTo));

    assertEquals(List.of(), accepted(result).devices());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void aDeviceOfTheLegacySetIsRemovedByARemovalThatCarriesItsOrSetDot() {
    var us = createdAtUs("devices-legacy");
    var legacy =
        UserTestSupport.legacyDeviceChange(ORSet.empty(new ReplicaId("us")), "phone", true);
    // A DevicesChanged persisted before devices changed one at a time, replayed from the journal.
    var withLegacy =
        us.getState().apply(new User.DevicesChanged("phone", true, legacy, 0), REGIONS);
    assertEquals(List.of("phone"), withLegacy.deviceIds());
    assertEquals(Map.of("orset:us", 1L), withLegacy.addsOfDevice("phone"));

    var removed =
        withLegacy.apply(
            new User.DeviceRemoved("phone", withLegacy.addsOfDevice("phone"), 0), REGIONS);

    assertEquals(List.of(), removed.deviceIds());
  }

  @Test
  void theDeviceEventsStaySmallHoweverManyDevicesTheUserHas() {
    var us = replicaWithLimits("devices-many", new UserSettings.Limits(200, 10));
    run(us, replyTo -> new User.Create("us", replyTo));
    var serialization = SerializationExtension.get(testKit.system());
    int firstSize =
        serialization
            .serialize(
                run(us, replyTo -> new User.AddDevice("device-0000", replyTo))
                    .eventOfType(User.DeviceAdded.class))
            .get()
            .length;
    for (int i = 1; i < 150; i++) {
      String id = String.format("device-%04d", i);
      run(us, replyTo -> new User.AddDevice(id, replyTo));
    }
    var last = run(us, replyTo -> new User.AddDevice("device-0150", replyTo));
    var removal = run(us, replyTo -> new User.RemoveDevice("device-0100", replyTo));

    assertEquals(151, accepted(last).devices().size());
    int lastSize = serialization.serialize(last.eventOfType(User.DeviceAdded.class)).get().length;
    assertTrue(
        lastSize <= firstSize + 2,
        () ->
            "the 151st add ("
                + lastSize
                + " bytes) is as large as the first ("
                + firstSize
                + ")"
                + ", but for its larger number");
    assertTrue(
        serialization.serialize(removal.eventOfType(User.DeviceRemoved.class)).get().length < 200,
        "a removal carries one device");
  }

  // ------------------------------------------------------------------ limits

  @Test
  void aNewDeviceBeyondTheLimitIsRefusedAndPersistsNothing() {
    var us = replicaWithLimits("devices-limit", new UserSettings.Limits(2, 10));
    run(us, replyTo -> new User.Create("us", replyTo));
    run(us, replyTo -> new User.AddDevice("phone", replyTo));
    run(us, replyTo -> new User.AddDevice("laptop", replyTo));

    assertRejected(
        User.Reason.TOO_MANY_DEVICES, run(us, replyTo -> new User.AddDevice("watch", replyTo)));
    assertEquals(List.of("laptop", "phone"), us.getState().deviceIds());
  }

  @Test
  void atTheDeviceLimitAPresentDeviceMayBeAddedAgainAndARemovalMakesRoom() {
    var us = replicaWithLimits("devices-limit-room", new UserSettings.Limits(2, 10));
    run(us, replyTo -> new User.Create("us", replyTo));
    run(us, replyTo -> new User.AddDevice("phone", replyTo));
    run(us, replyTo -> new User.AddDevice("laptop", replyTo));

    assertInstanceOf(
        User.Accepted.class, run(us, replyTo -> new User.AddDevice("phone", replyTo)).reply());
    run(us, replyTo -> new User.RemoveDevice("laptop", replyTo));
    var watch = run(us, replyTo -> new User.AddDevice("watch", replyTo));

    assertEquals(List.of("phone", "watch"), accepted(watch).devices());
  }

  @Test
  void aNewPaymentBeyondTheLimitIsRefusedWhileARetryOfARecordedOneIsStillAnswered() {
    var us = replicaWithLimits("payments-limit", new UserSettings.Limits(10, 2));
    run(us, replyTo -> new User.Create("us", replyTo));
    run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo));
    run(us, replyTo -> new User.RecordPayment("p-2", User.PaymentKind.CREDIT, TEN, replyTo));

    assertRejected(
        User.Reason.TOO_MANY_PAYMENTS,
        run(us, replyTo -> new User.RecordPayment("p-3", User.PaymentKind.CREDIT, TEN, replyTo)));
    var retry =
        run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo));

    assertTrue(retry.hasNoEvents());
    assertEquals(new BigDecimal("20.00"), accepted(retry).balance());
    assertEquals(
        "p-1",
        assertInstanceOf(
                User.PaymentFound.class,
                run(us, replyTo -> new User.GetPayment("p-1", replyTo)).reply())
            .paymentId(),
        "every recorded payment stays queryable");
  }

  @Test
  void aReplicatedEventIsAppliedEvenBeyondALimit() {
    // Limits are checked before persisting, never when applying: the state counts what came.
    UserState state = UserState.empty("u-limit", new ReplicaId("us"));
    for (int i = 0; i < 3; i++) {
      state = state.apply(new User.DeviceAdded("d" + i, "eu", i + 1, 0), REGIONS);
      state =
          state.apply(
              new User.PaymentRecorded("p" + i, User.PaymentKind.CREDIT, TEN, "eu", 1, 0), REGIONS);
    }
    assertEquals(3, state.deviceIds().size());
    assertEquals(3, state.wallet().payments().size());
  }

  // ------------------------------------------------------------------ passivation

  @Test
  void aReplicaThatKnowsNoUserAsksItsShardToPassivateItOnceItHasAnswered() {
    String userId = UserTestSupport.newUserId("passivate-empty");
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    var replica =
        testKit.spawn(
            User.create(
                UserTestSupport.replicationId(userId, "us"),
                UserTestSupport.settings(),
                shard.ref()));
    TestProbe<User.Reply> client = testKit.createTestProbe();

    replica.tell(new User.Get(client.ref()));

    assertEquals(User.Reason.UNKNOWN_USER, client.expectMessageClass(User.Rejected.class).reason());
    var passivate = shard.expectMessageClass(ClusterSharding.Passivate.class);
    assertEquals(replica, passivate.entity());
    replica.tell(new User.AdjustPoints(1, client.ref()));
    client.expectMessageClass(User.Rejected.class);
    shard.expectNoMessage(Duration.ofMillis(200)); // asked once
    replica.tell(User.Stop.INSTANCE);
    shard.expectTerminated(replica);
  }

  @Test
  void aReplicaWhoseUserExistsOrThatSomeoneWaitsOnIsNotPassivatedByItsAnswers() {
    String userId = UserTestSupport.newUserId("passivate-not");
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    var replica =
        testKit.spawn(
            User.create(
                UserTestSupport.replicationId(userId, "us"),
                UserTestSupport.settings(),
                shard.ref()));
    TestProbe<User.Reply> client = testKit.createTestProbe();
    TestProbe<User.Reply> waiting = testKit.createTestProbe();

    replica.tell(new User.AwaitEpoch(1, waiting.ref()));
    replica.tell(new User.Get(client.ref()));
    client.expectMessageClass(User.Rejected.class);
    shard.expectNoMessage(Duration.ofMillis(200));
    replica.tell(new User.Create("us", client.ref()));
    client.expectMessageClass(User.Accepted.class);
    waiting.expectMessageClass(User.Accepted.class);
    replica.tell(new User.Get(client.ref()));
    client.expectMessageClass(User.Accepted.class);

    shard.expectNoMessage(Duration.ofMillis(200));
  }

  // ------------------------------------------------------------------ payments

  @Test
  void aCreditRaisesTheBalanceAndIsRecordedByItsId() {
    var us = createdAtUs("credit");

    var result =
        run(
            us,
            replyTo ->
                new User.RecordPayment(
                    "p-1", User.PaymentKind.CREDIT, new BigDecimal("12.5"), replyTo));

    var event = result.eventOfType(User.PaymentRecorded.class);
    assertEquals(payment("p-1", User.PaymentKind.CREDIT, "12.50", 1, event.at()), event);
    assertEquals(new BigDecimal("12.50"), accepted(result).balance());
    assertEquals(
        new User.PaymentFound(
            "p-1", new User.Payment(User.PaymentKind.CREDIT, new BigDecimal("12.50"), "us", 1)),
        run(us, replyTo -> new User.GetPayment("p-1", replyTo)).reply());
  }

  @Test
  void aDebitWithinTheBalanceLowersIt() {
    var us = createdAtUs("debit");
    run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo));

    var result =
        run(
            us,
            replyTo ->
                new User.RecordPayment(
                    "p-2", User.PaymentKind.DEBIT, new BigDecimal("10.00"), replyTo));

    var event = result.eventOfType(User.PaymentRecorded.class);
    assertEquals(payment("p-2", User.PaymentKind.DEBIT, "10.00", 1, event.at()), event);
    assertEquals(new BigDecimal("0.00"), accepted(result).balance());
    assertFalse(accepted(result).overdraftFlagged());
  }

  @Test
  void aDebitOverTheBalanceIsRejectedAsInsufficientFunds() {
    var us = createdAtUs("overdraw");
    run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo));

    assertRejected(
        User.Reason.INSUFFICIENT_FUNDS,
        run(
            us,
            replyTo ->
                new User.RecordPayment(
                    "p-2", User.PaymentKind.DEBIT, new BigDecimal("10.01"), replyTo)));
    assertEquals(TEN, us.getState().wallet().balance());
  }

  @Test
  void aRetriedPaymentIsAnsweredWithoutBeingAppliedAgain() {
    var us = createdAtUs("retry");
    run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo));

    var retry =
        run(
            us,
            replyTo ->
                new User.RecordPayment(
                    "p-1", User.PaymentKind.CREDIT, new BigDecimal("10"), replyTo));

    assertTrue(retry.hasNoEvents());
    assertEquals(TEN, accepted(retry).balance());
  }

  @Test
  void aPaymentIdReusedWithAnotherAmountOrKindIsAPaymentConflict() {
    var us = createdAtUs("conflict");
    run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo));

    assertRejected(
        User.Reason.PAYMENT_CONFLICT,
        run(
            us,
            replyTo ->
                new User.RecordPayment(
                    "p-1", User.PaymentKind.CREDIT, new BigDecimal("11.00"), replyTo)));
    assertRejected(
        User.Reason.PAYMENT_CONFLICT,
        run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.DEBIT, TEN, replyTo)));
    assertEquals(TEN, us.getState().wallet().balance());
  }

  @Test
  void aPaymentAmountMustBePositiveWithAtMostTwoDecimals() {
    var us = createdAtUs("amount");
    for (String amount : List.of("0", "0.00", "-1.00", "1.001")) {
      assertRejected(
          User.Reason.INVALID,
          run(
              us,
              replyTo ->
                  new User.RecordPayment(
                      "p-" + amount, User.PaymentKind.CREDIT, new BigDecimal(amount), replyTo)));
    }
    assertRejected(
        User.Reason.INVALID,
        run(
            us,
            replyTo -> new User.RecordPayment("p-null", User.PaymentKind.CREDIT, null, replyTo)));
  }

  @Test
  void getPaymentOfAnUnknownIdIsRejectedAsUnknownPayment() {
    var us = createdAtUs("no-payment");
    assertRejected(
        User.Reason.UNKNOWN_PAYMENT, run(us, replyTo -> new User.GetPayment("p-404", replyTo)));
  }

  // ------------------------------------------------------------------ ownership

  @Test
  void moveHomeTransfersHomeAndOwnershipWithTheNextEpoch() {
    var us = createdAtUs("move");

    var result = run(us, replyTo -> new User.MoveHome("eu", replyTo));

    var event = result.eventOfType(User.OwnershipTransferred.class);
    assertEquals(
        new User.OwnershipTransferred("us", "eu", "eu", 2, event.at(), "planned_move", null),
        event);
    var view = accepted(result);
    assertEquals(List.of("eu", "eu", 2L), List.of(view.homeRegion(), view.owner(), view.epoch()));
  }

  @Test
  void theOldOwnerAnswersNotOwnerToEverySingleWriterCommandAfterAMove() {
    var us = createdAtUs("moved-away");
    run(us, replyTo -> new User.MoveHome("eu", replyTo));
    var notOwner = new User.NotOwner("eu", 2);

    List<Function<ActorRef<User.Reply>, User.Command>> singleWriter =
        List.of(
            replyTo -> new User.UpdateProfile(Map.of("displayName", "Ada"), replyTo),
            replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo),
            replyTo -> new User.MoveHome("ap", replyTo),
            User.HandBack::new);
    for (var command : singleWriter) {
      var result = run(us, command);
      assertEquals(notOwner, result.reply(), () -> "reply to " + result.command());
      assertTrue(result.hasNoEvents());
    }
    assertInstanceOf(
        User.Accepted.class,
        run(us, replyTo -> new User.AdjustPoints(1, replyTo)).reply(),
        "points are a CRDT: every replica accepts them");
  }

  // ------------------------------------------------------------------ follow the sun (cohorts)

  @Test
  void aUserCreatedInACohortMovesToTheScheduledRegionInTheSameWrite() {
    var us = replica(UserTestSupport.newUserId("cohort-create"), "us");

    var result = run(us, replyTo -> new User.Create("us", replyTo, null, "desk", "eu"));

    assertEquals(2, result.events().size(), "one atomic write: " + result.events());
    var created = assertInstanceOf(User.UserCreated.class, result.events().get(0));
    assertEquals("desk", created.cohort());
    var moved = assertInstanceOf(User.OwnershipTransferred.class, result.events().get(1));
    assertEquals(
        new User.OwnershipTransferred("us", "eu", "eu", 2, moved.at(), "schedule", null), moved);
    var view = accepted(result);
    assertEquals(
        List.of("eu", "eu", 2L, "desk"),
        List.of(view.homeRegion(), view.owner(), view.epoch(), view.cohort()));
  }

  @Test
  void aUserCreatedInACohortWhoseRegionIsThisOneOrUnknownStaysHere() {
    for (String scheduled : java.util.Arrays.asList(null, "us", "mars")) {
      var us = replica(UserTestSupport.newUserId("cohort-stay"), "us");
      var result = run(us, replyTo -> new User.Create("us", replyTo, null, "desk", scheduled));
      assertEquals(1, result.events().size(), "scheduled " + scheduled);
      var view = accepted(result);
      assertEquals(List.of("us", 1L, "desk"), List.of(view.owner(), view.epoch(), view.cohort()));
    }
  }

  @Test
  void joiningACohortMovesToItsRegionAndLeavingStays() {
    var us = createdAtUs("cohort-join");

    var join = run(us, replyTo -> new User.SetCohort("desk", "ap", replyTo, null));
    assertEquals(2, join.events().size());
    var changed = assertInstanceOf(User.CohortChanged.class, join.events().get(0));
    assertEquals(List.of("desk", "us"), List.of(changed.cohort(), changed.origin()));
    assertEquals(
        List.of("ap", "ap", 2L, "desk"),
        List.of(
            accepted(join).homeRegion(),
            accepted(join).owner(),
            accepted(join).epoch(),
            accepted(join).cohort()));
    // Now ap owns it: here, every cohort command is answered with the owner.
    assertEquals(
        new User.NotOwner("ap", 2),
        run(us, replyTo -> new User.SetCohort(null, null, replyTo, null)).reply());
    assertEquals(
        new User.NotOwner("ap", 2),
        run(us, replyTo -> new User.FollowSchedule("desk", "eu", 5L, replyTo)).reply());
  }

  @Test
  void leavingAndRejoiningACohortAreOrderedWritesAndARepeatChangesNothing() {
    var us = createdAtUs("cohort-leave");
    var join = run(us, replyTo -> new User.SetCohort("desk", null, replyTo, null));
    var again = run(us, replyTo -> new User.SetCohort("desk", "us", replyTo, null));
    var leave = run(us, replyTo -> new User.SetCohort(null, null, replyTo, null));

    assertEquals(1, join.events().size());
    assertTrue(again.hasNoEvents(), "already a member, and here is where the schedule says");
    var left = leave.eventOfType(User.CohortChanged.class);
    assertEquals(null, left.cohort());
    assertTrue(
        left.timestamp() > join.eventOfType(User.CohortChanged.class).timestamp(),
        "a later write of the owner is newer, whatever the clock");
    assertEquals(List.of("us", 1L), List.of(accepted(leave).owner(), accepted(leave).epoch()));
    assertEquals(null, accepted(leave).cohort());
  }

  @Test
  void aScheduledMoveMovesOnlyAMemberOfThatCohortToAnotherKnownRegion() {
    var us = createdAtUs("cohort-follow");
    // Not a member (yet): nothing moves.
    assertTrue(
        run(us, replyTo -> new User.FollowSchedule("desk", "eu", 5L, replyTo)).hasNoEvents());
    run(us, replyTo -> new User.SetCohort("desk", null, replyTo, null));
    assertTrue(
        run(us, replyTo -> new User.FollowSchedule("other", "eu", 5L, replyTo)).hasNoEvents(),
        "a member of another cohort");
    assertTrue(
        run(us, replyTo -> new User.FollowSchedule("desk", "us", 5L, replyTo)).hasNoEvents());
    assertTrue(
        run(us, replyTo -> new User.FollowSchedule("desk", "mars", 5L, replyTo)).hasNoEvents());

    var result = run(us, replyTo -> new User.FollowSchedule("desk", "eu", 5L, replyTo));
    var event = result.eventOfType(User.OwnershipTransferred.class);
    assertEquals(
        new User.OwnershipTransferred("us", "eu", "eu", 2, event.at(), "schedule", 5L), event);
    assertEquals("eu", accepted(result).owner());
  }

  @Test
  void cohortCommandsForAnUnknownUserAreRefusedAndPersistNothing() {
    var us = replica(UserTestSupport.newUserId("cohort-unknown"), "us");
    assertRejected(
        User.Reason.UNKNOWN_USER,
        run(us, replyTo -> new User.SetCohort("desk", "eu", replyTo, null)));
    assertRejected(
        User.Reason.UNKNOWN_USER,
        run(us, replyTo -> new User.FollowSchedule("desk", "eu", 1L, replyTo)));
  }

  @Test
  void moveHomeToAnUnknownRegionIsInvalid() {
    var us = createdAtUs("move-mars");
    assertRejected(User.Reason.INVALID, run(us, replyTo -> new User.MoveHome("mars", replyTo)));
    assertEquals("us", us.getState().owner());
  }

  @Test
  void moveHomeToTheCurrentHomeAndHandBackAtHomeChangeNothing() {
    var us = createdAtUs("move-home");

    var move = run(us, replyTo -> new User.MoveHome("us", replyTo));
    var handBack = run(us, User.HandBack::new);

    assertTrue(move.hasNoEvents());
    assertTrue(handBack.hasNoEvents());
    assertEquals(1, accepted(handBack).epoch());
  }

  @Test
  void seizingFromARegionThatIsNotTheOwnerChangesNothing() {
    var us = createdAtUs("seize-stale");

    var fromOther = run(us, replyTo -> new User.SeizeOwnership("eu", "eu declared down", replyTo));
    var fromSelf = run(us, replyTo -> new User.SeizeOwnership("us", "us declared down", replyTo));

    assertTrue(fromOther.hasNoEvents());
    assertTrue(fromSelf.hasNoEvents());
    assertEquals(
        List.of("us", 1L), List.of(accepted(fromSelf).owner(), accepted(fromSelf).epoch()));
  }

  @Test
  void awaitsThatAreAlreadySatisfiedAnswerAtOnce() {
    var us = createdAtUs("await");
    run(us, replyTo -> new User.RecordPayment("p-1", User.PaymentKind.CREDIT, TEN, replyTo));

    var epoch = run(us, replyTo -> new User.AwaitEpoch(1, replyTo));
    var payment = run(us, replyTo -> new User.AwaitPayment("p-1", replyTo));

    assertEquals(1, accepted(epoch).epoch());
    assertEquals("p-1", assertInstanceOf(User.PaymentFound.class, payment.reply()).paymentId());
    assertTrue(epoch.hasNoEvents() && payment.hasNoEvents());
  }
}
