package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.ORSet;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every command, reply, event and state type round-trips through the serializer bound in
 * conf/serialization.conf: Jackson CBOR, through the {@code CborSerializable} marker, with the CRDT
 * fields (ORSet, its operations, Counter) handed to Pekko's own serializer by {@code
 * PekkoSerialized}.
 */
@ExtendWith(LogCapturingExtension.class)
class UserSerializationTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("UserSerializationTest", UserTestSupport.config());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final BigDecimal AMOUNT = new BigDecimal("12.50");

  /** Round trip with equality, and proof that Jackson CBOR did it (not some other binding). */
  private static void assertRoundTrips(Object message) {
    var serializer = SerializationExtension.get(testKit.system()).findSerializerFor(message);
    assertTrue(
        serializer instanceof JacksonCborSerializer,
        () -> message.getClass() + " is serialized by " + serializer);
    testKit.serializationTestKit().verifySerialization(message, true);
  }

  @Test
  void everyCommandRoundTrips() {
    ActorRef<User.Reply> replyTo = testKit.<User.Reply>createTestProbe().ref();
    List<User.Command> commands =
        List.of(
            new User.Create("us", replyTo),
            new User.Get(replyTo),
            new User.UpdateProfile(
                Map.of("displayName", "Ada", "email", "ada@example.org"), replyTo),
            new User.AdjustPoints(-3, replyTo),
            new User.AddDevice("phone", replyTo),
            new User.RemoveDevice("phone", replyTo),
            new User.RecordPayment("p-1", User.PaymentKind.DEBIT, AMOUNT, replyTo),
            new User.GetPayment("p-1", replyTo),
            new User.MoveHome("eu", replyTo),
            new User.HandBack(replyTo),
            new User.SeizeOwnership("us", "region us declared down", replyTo),
            new User.AwaitEpoch(3, replyTo),
            new User.AwaitPayment("p-1", replyTo),
            User.FlagOverdraft.INSTANCE,
            User.Stop.INSTANCE);
    commands.forEach(UserSerializationTest::assertRoundTrips);
  }

  @Test
  void everyReplyRoundTrips() {
    var view = richState().view();
    List<User.Reply> replies =
        List.of(
            new User.Accepted(view),
            new User.NotOwner("eu", 2),
            new User.Rejected(User.Reason.INSUFFICIENT_FUNDS, "balance 1.00 is less than 2.00"),
            new User.PaymentFound(
                "p-1", new User.Payment(User.PaymentKind.CREDIT, AMOUNT, "us", 1)));
    replies.forEach(UserSerializationTest::assertRoundTrips);
    for (User.Reason reason : User.Reason.values())
      assertRoundTrips(new User.Rejected(reason, reason.name()));
  }

  @Test
  void everyEventRoundTripsIncludingEveryKindOfOrSetOperation() {
    events().forEach(UserSerializationTest::assertRoundTrips);
  }

  @Test
  void theStateRoundTripsWithItsCountersSetsAndVersionVectors() {
    var state = richState();
    assertTrue(
        state.deviceIds().size() >= 2
            && state.deviceClocks().size() >= 2
            && state.points().value().longValue() != 0,
        "the CRDTs are not empty");

    assertRoundTrips(state);
    assertRoundTrips(UserState.empty("u-empty", new ReplicaId("ap")));
    assertRoundTrips(state.view());
    assertRoundTrips(state.ownership());
    assertRoundTrips(state.wallet());
    assertRoundTrips(state.profile().values().iterator().next());
  }

  /**
   * One event of each type, with ORSet operations made by several replicas, as the entity makes
   * them.
   */
  private static List<User.Event> events() {
    ORSet<String> us = ORSet.empty(new ReplicaId("us"));
    ORSet<String> eu = ORSet.empty(new ReplicaId("eu"));
    var usAddsPhone = UserTestSupport.legacyDeviceChange(us, "phone", true);
    us = us.applyOperation(usAddsPhone);
    eu = eu.applyOperation(usAddsPhone);
    var euAddsLaptop = UserTestSupport.legacyDeviceChange(eu, "laptop", true);
    eu = eu.applyOperation(euAddsLaptop);
    var euRemovesPhone = UserTestSupport.legacyDeviceChange(eu, "phone", false);
    List<User.Event> events =
        new ArrayList<>(
            List.of(
                new User.UserCreated("u-1", "us", 1L),
                new User.ProfileUpdated(
                    Map.of("displayName", "Ada", "locale", "en-GB"), 1_700_000_000_000L, "us", 2L),
                new User.PointsAdjusted(-7, 3L),
                new User.DevicesChanged("phone", true, usAddsPhone, 4L),
                new User.DevicesChanged("laptop", true, euAddsLaptop, 5L),
                new User.DevicesChanged("phone", false, euRemovesPhone, 6L),
                new User.PaymentRecorded("p-1", User.PaymentKind.CREDIT, AMOUNT, "us", 1, 7L),
                new User.OwnershipTransferred("us", "eu", "eu", 2, 8L),
                new User.OwnershipSeized("eu", "ap", "eu", 3, "region eu declared down", 9L),
                new User.OverdraftFlagged(new BigDecimal("-3.00"), "ap", 10L)));
    // Pekko's plain deltas, as events persisted before devices were replicated as whole sets carry
    // them.
    events.add(new User.DevicesChanged("tablet", true, eu.add("tablet"), 11L));
    events.add(new User.DevicesChanged("laptop", false, eu.remove("laptop"), 12L));
    events.add(new User.DevicesChanged("tablet", true, eu.addAll(Set.of("tablet", "watch")), 13L));
    events.add(new User.DevicesChanged("laptop", false, eu.clear(), 14L));
    // One device at a time, as devices change since.
    events.add(new User.DeviceAdded("watch", "us", 1, 15L));
    events.add(new User.DeviceAdded("ring", "eu", 1, 16L));
    events.add(
        new User.DeviceRemoved("laptop", Map.of("eu", 1L, "orset:eu", 2L, "orset:us", 1L), 17L));
    return events;
  }

  /**
   * A state after the events of {@link #events()} (not the plain deltas), from the point of view of
   * replica ap.
   */
  private static UserState richState() {
    UserState state = UserState.empty("u-1", new ReplicaId("ap"));
    List<User.Event> events = events();
    for (User.Event event : events.subList(0, 11))
      state = state.apply(event, UserTestSupport.REGIONS);
    for (User.Event event : events.subList(15, events.size()))
      state = state.apply(event, UserTestSupport.REGIONS);
    state =
        state.withPayment(
            "p-2", new User.Payment(User.PaymentKind.DEBIT, new BigDecimal("1.00"), "eu", 2));
    return state.counted("us").counted("eu").counted("eu");
  }
}
