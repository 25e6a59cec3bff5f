package io.meridian.cassandra;

import static io.meridian.cassandra.CassandraTestSupport.REPLY_TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.user.User;
import io.meridian.user.UserSettings;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replica stopped and started again gets its state back from Cassandra: from events, and from a
 * snapshot.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
class RecoveryIT {

  private static final int SNAPSHOT_EVERY = 5;
  private static final String REGION = "us";

  private static ActorTestKit testKit;
  private static Config config;
  private static UserSettings settings;

  @BeforeAll
  static void startSystem(CassandraLauncher cassandra) throws Exception {
    config =
        CassandraTestSupport.config(
            cassandra,
            "meridian.cassandra.keyspace-prefix = \"it_\"\nmeridian.user.snapshot-every = "
                + SNAPSHOT_EVERY);
    testKit = ActorTestKit.create("RecoveryIT", config);
    settings = CassandraTestSupport.settings(config);
    CassandraTestSupport.startHints(testKit.system(), settings.regions());
    CassandraTestSupport.awaitSchema(testKit.system(), settings.regions());
  }

  @AfterAll
  static void stopSystem() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  private static ActorRef<User.Command> spawn(String userId) {
    return testKit.spawn(User.create(CassandraTestSupport.replicationId(userId, REGION), settings));
  }

  private static User.View accepted(
      ActorRef<User.Command> replica, Function<ActorRef<User.Reply>, User.Command> command) {
    TestProbe<User.Reply> probe = testKit.createTestProbe();
    replica.tell(command.apply(probe.getRef()));
    User.Reply reply = probe.receiveMessage(REPLY_TIMEOUT);
    return assertInstanceOf(User.Accepted.class, reply, () -> "reply " + reply).user();
  }

  private static List<Long> snapshotSequenceNrs(String userId) throws Exception {
    String persistenceId = CassandraTestSupport.replicationId(userId, REGION).persistenceId().id();
    String table = RegionJournals.snapshotKeyspace(config, REGION) + ".snapshots";
    List<Row> rows =
        CassandraTestSupport.select(
            testKit.system(),
            REGION,
            "SELECT sequence_nr FROM " + table + " WHERE persistence_id = ?",
            persistenceId);
    return rows.stream().map(row -> row.getLong("sequence_nr")).sorted().toList();
  }

  private static void restart(ActorRef<User.Command> replica) {
    testKit.stop(replica, Duration.ofSeconds(10));
  }

  @Test
  void recoversTheSameStateFromItsEvents() throws Exception {
    String userId = CassandraTestSupport.newUserId("recover-events");
    ActorRef<User.Command> replica = spawn(userId);
    accepted(replica, replyTo -> new User.Create(REGION, replyTo));
    accepted(replica, replyTo -> new User.AdjustPoints(3, replyTo));
    accepted(replica, replyTo -> new User.AddDevice("tablet", replyTo));
    User.View before =
        accepted(
            replica,
            replyTo ->
                new User.RecordPayment(
                    "p-1", User.PaymentKind.CREDIT, new BigDecimal("12.50"), replyTo));
    restart(replica);

    User.View after = accepted(spawn(userId), User.Get::new);

    assertEquals(before, after);
    assertEquals(new BigDecimal("12.50"), after.balance());
    assertEquals(
        List.of(),
        snapshotSequenceNrs(userId),
        "4 events, fewer than snapshot-every: recovered from events alone");
  }

  @Test
  @Disabled(
      "Fails with Pekko 1.2.1 (to 2.0.0-M4): a snapshot's seen-per-replica map is reloaded without its default"
          + " (ReplayingSnapshot.scala:166), so when the replica's replication stream asks for the sequence number it has seen"
          + " of a region it had not heard from when the snapshot was taken (this user was written only in us), Running.scala:472"
          + " throws and the replica restarts, again and again. It used to pass only because the replica answered before its"
          + " stream started; a replica now catches up before it answers. Snapshots stay off (docs/decisions.md); enable this"
          + " test to check a Pekko upgrade.")
  void recoversFromTheSnapshotWhenTheEventsItCoversAreGone() throws Exception {
    String userId = CassandraTestSupport.newUserId("recover-snapshot");
    ActorRef<User.Command> replica = spawn(userId);
    accepted(replica, replyTo -> new User.Create(REGION, replyTo));
    for (int i = 1; i <= 5; i++) {
      long delta = i;
      accepted(replica, replyTo -> new User.AdjustPoints(delta, replyTo));
    }
    User.View before =
        accepted(replica, replyTo -> new User.UpdateProfile(Map.of("locale", "en-GB"), replyTo));
    assertEquals(15, before.points());
    // Event 5 of 7 triggered a snapshot (snapshot-every = 5 from meridian.user.snapshot-every).
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          try {
            assertEquals(List.of((long) SNAPSHOT_EVERY), snapshotSequenceNrs(userId));
          } catch (Exception e) {
            throw new AssertionError(e);
          }
          return null;
        });
    restart(replica);

    // Remove the events the snapshot covers: a replay from the start would now miss the creation,
    // so only a recovery from the snapshot (plus events 6 and 7) gives the same user back.
    String persistenceId = CassandraTestSupport.replicationId(userId, REGION).persistenceId().id();
    CassandraTestSupport.execute(
        testKit.system(),
        REGION,
        "DELETE FROM "
            + RegionJournals.journalKeyspace(config, REGION)
            + ".messages WHERE persistence_id = ? AND partition_nr = 0"
            + " AND sequence_nr >= 0 AND sequence_nr <= ?",
        persistenceId,
        (long) SNAPSHOT_EVERY);
    List<Row> left =
        CassandraTestSupport.select(
            testKit.system(),
            REGION,
            "SELECT sequence_nr FROM "
                + RegionJournals.journalKeyspace(config, REGION)
                + ".messages WHERE persistence_id = ? AND partition_nr = 0",
            persistenceId);
    assertEquals(List.of(6L, 7L), left.stream().map(row -> row.getLong("sequence_nr")).toList());

    User.View after = accepted(spawn(userId), User.Get::new);

    assertEquals(before, after);
    assertTrue(after.profile().containsKey("locale"));
  }
}
