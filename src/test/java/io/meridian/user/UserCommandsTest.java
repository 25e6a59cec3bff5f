package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.ORSet;
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
  void addAndRemoveDevicePersistTheReplicasWholeSetAfterTheChange() {
    var us = createdAtUs("devices");

    var added = run(us, replyTo -> new User.AddDevice("phone", replyTo));
    run(us, replyTo -> new User.AddDevice("laptop", replyTo));
    var removed = run(us, replyTo -> new User.RemoveDevice("phone", replyTo));

    var add = added.eventOfType(User.DevicesChanged.class);
    assertEquals("phone", add.deviceId());
    assertTrue(add.added());
    assertEquals(List.of("phone"), accepted(added).devices());
    assertEquals(
        Set.of("phone"),
        ORSet.<String>empty(new ReplicaId("eu")).applyOperation(add.operation()).getElements(),
        "the event carries the ORSet that holds the device");
    var remove = removed.eventOfType(User.DevicesChanged.class);
    assertEquals("phone", remove.deviceId());
    assertFalse(remove.added());
    assertEquals(List.of("laptop"), accepted(removed).devices());
    assertEquals(List.of("laptop"), List.copyOf(removed.state().devices().getElements()));
    var elsewhere =
        ORSet.<String>empty(new ReplicaId("eu"))
            .applyOperation(add.operation())
            .applyOperation(remove.operation());
    assertEquals(
        Set.of("laptop"),
        elsewhere.getElements(),
        "a replica that applies the removal drops the phone and gets the laptop");
  }

  @Test
  void reAddingAPresentDeviceIsPersistedAgainSoItWinsOverAConcurrentRemove() {
    var us = createdAtUs("devices-readd");
    run(us, replyTo -> new User.AddDevice("phone", replyTo));

    var again = run(us, replyTo -> new User.AddDevice("phone", replyTo));

    assertTrue(again.eventOfType(User.DevicesChanged.class).added());
    assertEquals(List.of("phone"), accepted(again).devices());
  }

  @Test
  void removingAnAbsentDevicePersistsNothing() {
    var us = createdAtUs("devices-absent");

    var result = run(us, replyTo -> new User.RemoveDevice("phone", replyTo));

    assertEquals(List.of(), accepted(result).devices());
    assertTrue(result.hasNoEvents());
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
