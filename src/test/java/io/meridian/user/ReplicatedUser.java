package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One user with a replica per region (us, eu, ap) in one actor test kit, the way the entity runs in
 * production minus sharding: each replica writes its own journal and reads the others' through the
 * {@link PartitionableReadJournal}, so a test can partition a region away and heal it.
 */
final class ReplicatedUser {
  static final Duration CONVERGENCE = Duration.ofSeconds(10);

  final String userId;
  private final ActorTestKit testKit;
  private int snapshotEvery;
  private final Map<String, ActorRef<User.Command>> replicas = new LinkedHashMap<>();

  ReplicatedUser(ActorTestKit testKit, String prefix, int snapshotEvery) {
    this.testKit = testKit;
    this.userId = UserTestSupport.newUserId(prefix);
    this.snapshotEvery = snapshotEvery;
    for (String region : UserTestSupport.REGIONS.names()) start(region);
  }

  /** Three replicas and a user created in {@code home}, seen by every replica. */
  static ReplicatedUser created(ActorTestKit testKit, String prefix, String home) {
    var user = new ReplicatedUser(testKit, prefix, 0);
    user.create(home);
    return user;
  }

  void create(String home) {
    accepted(home, replyTo -> new User.Create(home, replyTo));
    for (String region : replicas.keySet())
      awaitView(region, view -> assertEquals(home, view.owner(), region));
  }

  /** Replicas started from now on snapshot every {@code events} events (0: never). */
  void snapshotEvery(int events) {
    this.snapshotEvery = events;
  }

  ActorRef<User.Command> start(String region) {
    var settings = UserTestSupport.partitionableSettings(region, snapshotEvery);
    var ref = testKit.spawn(User.create(UserTestSupport.replicationId(userId, region), settings));
    replicas.put(region, ref);
    return ref;
  }

  /** Stops the replica of {@code region} and waits until it has stopped. */
  void stop(String region) {
    var ref = replicas.remove(region);
    TestProbe<Object> watcher = testKit.createTestProbe();
    testKit.stop(ref);
    watcher.expectTerminated(ref);
  }

  ActorRef<User.Command> ref(String region) {
    return replicas.get(region);
  }

  String persistenceId(String region) {
    return UserTestSupport.persistenceId(userId, region);
  }

  /** From now on no other region receives what {@code region} writes, until {@link #heal}. */
  void partition(String... regions) {
    for (String region : regions)
      for (String other : UserTestSupport.REGIONS.names()) cut(region, other);
  }

  void heal(String... regions) {
    for (String region : regions)
      for (String other : UserTestSupport.REGIONS.names()) restore(region, other);
  }

  /** From now on {@code to} does not receive what {@code from} writes, until {@link #restore}. */
  void cut(String from, String to) {
    if (!from.equals(to)) PartitionableReadJournal.hold(persistenceId(from), to);
  }

  void restore(String from, String to) {
    PartitionableReadJournal.release(persistenceId(from), to);
  }

  void healAll() {
    heal(UserTestSupport.REGIONS.names().toArray(String[]::new));
  }

  User.Reply ask(String region, Function<ActorRef<User.Reply>, User.Command> command) {
    TestProbe<User.Reply> probe = testKit.createTestProbe();
    replicas.get(region).tell(command.apply(probe.ref()));
    return probe.receiveMessage();
  }

  /** Sends without waiting: the reply goes to {@code probe}. */
  void tell(
      String region,
      Function<ActorRef<User.Reply>, User.Command> command,
      TestProbe<User.Reply> probe) {
    replicas.get(region).tell(command.apply(probe.ref()));
  }

  User.View accepted(String region, Function<ActorRef<User.Reply>, User.Command> command) {
    var reply = ask(region, command);
    return assertInstanceOf(User.Accepted.class, reply, () -> region + " answered " + reply).user();
  }

  User.View view(String region) {
    return accepted(region, User.Get::new);
  }

  void awaitView(String region, Consumer<User.View> assertion) {
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        CONVERGENCE,
        () -> {
          assertion.accept(view(region));
          return null;
        });
  }

  /** Waits until every running replica shows the same user, and returns it. */
  User.View awaitConverged() {
    TestProbe<Object> probe = testKit.createTestProbe();
    return probe.awaitAssert(
        CONVERGENCE,
        () -> {
          var views = new LinkedHashMap<String, User.View>();
          for (String region : replicas.keySet()) views.put(region, view(region));
          var first = views.values().iterator().next();
          assertTrue(
              views.values().stream().allMatch(first::equals), () -> "replicas differ: " + views);
          return first;
        });
  }
}
