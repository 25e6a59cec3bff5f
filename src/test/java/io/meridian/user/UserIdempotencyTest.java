package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Writes with an Idempotency-Key on one replica (docs/api.md, "Idempotency-Key"): a retry with the
 * same key and request is answered with the user and persists nothing; the same key with another
 * request is refused and persists nothing; the key travels in the event (so other replicas learn
 * it) and stays in the state across a restart. The test kit round-trips every command, event and
 * state through serialization, keyed ones included.
 */
@ExtendWith(LogCapturingExtension.class)
class UserIdempotencyTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("UserIdempotencyTest", UserTestSupport.config());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static EventSourcedBehaviorTestKit<User.Command, User.Event, UserState> createdAtUs(
      String prefix, RequestKey createKey) {
    var us =
        EventSourcedBehaviorTestKit.<User.Command, User.Event, UserState>create(
            testKit.system(),
            User.create(
                UserTestSupport.replicationId(UserTestSupport.newUserId(prefix), "us"),
                UserTestSupport.settings()));
    assertInstanceOf(
        User.Accepted.class, run(us, replyTo -> new User.Create("us", replyTo, createKey)).reply());
    return us;
  }

  private static CommandResultWithReply<User.Command, User.Event, UserState, User.Reply> run(
      EventSourcedBehaviorTestKit<User.Command, User.Event, UserState> replica,
      Function<ActorRef<User.Reply>, User.Command> command) {
    return replica.runCommand(command);
  }

  private static RequestKey key(String key, String operation, String... arguments) {
    return RequestKey.of(key, operation, arguments);
  }

  @Test
  void aRetriedPointsWriteIsAnsweredWithTheUserAndPersistsNothing() {
    var us = createdAtUs("idem-points", null);
    RequestKey k = key("k-1", "points", "5");
    var first = run(us, replyTo -> new User.AdjustPoints(5, replyTo, k));
    assertEquals(5, assertInstanceOf(User.Accepted.class, first.reply()).user().points());
    assertEquals(k, assertInstanceOf(User.PointsAdjusted.class, first.event()).request());

    var retry = run(us, replyTo -> new User.AdjustPoints(5, replyTo, k));
    assertEquals(5, assertInstanceOf(User.Accepted.class, retry.reply()).user().points());
    assertTrue(retry.hasNoEvents(), "a retry persists nothing");
  }

  @Test
  void theSameKeyWithAnotherRequestIsRefusedAndPersistsNothing() {
    var us = createdAtUs("idem-reuse", null);
    run(us, replyTo -> new User.AdjustPoints(5, replyTo, key("k-1", "points", "5")));
    var reused = run(us, replyTo -> new User.AdjustPoints(6, replyTo, key("k-1", "points", "6")));
    assertEquals(
        User.Reason.IDEMPOTENCY_KEY_REUSED,
        assertInstanceOf(User.Rejected.class, reused.reply()).reason());
    assertTrue(reused.hasNoEvents());
    var otherWrite =
        run(
            us,
            replyTo ->
                new User.UpdateProfile(
                    Map.of("displayName", "Ada"), replyTo, key("k-1", "profile", "Ada")));
    assertEquals(
        User.Reason.IDEMPOTENCY_KEY_REUSED,
        assertInstanceOf(User.Rejected.class, otherWrite.reply()).reason());
    assertEquals(5, us.getState().view().points());
  }

  @Test
  void aRetriedCreateIsAnsweredWithTheUserNotUserExists() {
    RequestKey k = key("create-1", "create", "us");
    var us = createdAtUs("idem-create", k);
    var retry = run(us, replyTo -> new User.Create("us", replyTo, k));
    assertInstanceOf(User.Accepted.class, retry.reply());
    assertTrue(retry.hasNoEvents());
    var withoutKey = run(us, replyTo -> new User.Create("us", replyTo));
    assertEquals(
        User.Reason.USER_EXISTS,
        assertInstanceOf(User.Rejected.class, withoutKey.reply()).reason());
  }

  @Test
  void everyKeyedWriteRemembersItsKeyAndARetryOfEachChangesNothing() {
    var us = createdAtUs("idem-all", null);
    List<Function<ActorRef<User.Reply>, User.Command>> writes =
        List.of(
            replyTo ->
                new User.UpdateProfile(
                    Map.of("displayName", "Ada"), replyTo, key("p", "profile", "Ada")),
            replyTo -> new User.AddDevice("phone", replyTo, key("a", "add-device", "phone")),
            replyTo -> new User.RemoveDevice("phone", replyTo, key("r", "remove-device", "phone")));
    for (var write : writes) {
      var first = run(us, write);
      assertInstanceOf(User.Accepted.class, first.reply());
      UserState before = us.getState();
      var retry = run(us, write);
      assertInstanceOf(User.Accepted.class, retry.reply(), () -> "retry of " + first.command());
      assertTrue(retry.hasNoEvents(), () -> "retry of " + first.command());
      assertEquals(before, us.getState());
    }
    // A move's retry goes to the new owner (the gateway forwards it); this replica keeps the key.
    var moved = run(us, replyTo -> new User.MoveHome("eu", replyTo, null, key("m", "move", "eu")));
    assertEquals(
        "m", assertInstanceOf(User.OwnershipTransferred.class, moved.event()).request().key());
    assertEquals(
        java.util.Set.of("p", "a", "r", "m"), us.getState().idempotencyKeys().uses().keySet());
  }

  @Test
  void theKeysSurviveARestart() {
    var us = createdAtUs("idem-restart", null);
    RequestKey k = key("k-1", "points", "3");
    run(us, replyTo -> new User.AdjustPoints(3, replyTo, k));
    us.restart();
    var retry = run(us, replyTo -> new User.AdjustPoints(3, replyTo, k));
    assertTrue(retry.hasNoEvents());
    assertEquals(3, us.getState().view().points());
  }

  @Test
  void aWriteWithoutAKeyIsAppliedEveryTime() {
    var us = createdAtUs("idem-none", null);
    run(us, replyTo -> new User.AdjustPoints(2, replyTo));
    var again = run(us, replyTo -> new User.AdjustPoints(2, replyTo));
    assertEquals(4, assertInstanceOf(User.Accepted.class, again.reply()).user().points());
    assertEquals(IdempotencyKeys.EMPTY, us.getState().idempotencyKeys());
  }

  @Test
  void aKeyedPointsEventThatTwoRegionsPersistedCountsOnce() {
    // A retry sent to eu before us's event of the first attempt arrived there: both persisted one.
    RequestKey k = key("k-1", "points", "5");
    UserState state =
        UserState.empty("u", new org.apache.pekko.persistence.typed.ReplicaId("us"))
            .apply(new User.UserCreated("u", "us", 1), UserTestSupport.REGIONS);
    UserState both =
        state
            .apply(new User.PointsAdjusted(5, 10, k), UserTestSupport.REGIONS)
            .apply(new User.PointsAdjusted(5, 12, k), UserTestSupport.REGIONS);
    UserState reversed =
        state
            .apply(new User.PointsAdjusted(5, 12, k), UserTestSupport.REGIONS)
            .apply(new User.PointsAdjusted(5, 10, k), UserTestSupport.REGIONS);
    assertEquals(5, both.view().points());
    assertEquals(both, reversed);
  }
}
