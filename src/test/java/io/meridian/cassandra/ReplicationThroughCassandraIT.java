package io.meridian.cassandra;

import static io.meridian.cassandra.CassandraTestSupport.REPLY_TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.Config;
import io.meridian.replication.CassandraEventReader;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.user.User;
import io.meridian.user.UserSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three replicas of a user (us, eu, ap) in one actor system, each writing its own region's keyspace
 * in a real Cassandra: every event reaches the other regions only through their reads of the
 * origin's journal ({@code HintedReadJournal} with {@link CassandraEventReader}), woken by hints.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
class ReplicationThroughCassandraIT {

  private static final Logger log = LoggerFactory.getLogger(ReplicationThroughCassandraIT.class);

  private static final Duration CONVERGENCE = Duration.ofSeconds(30);

  private static ActorTestKit testKit;
  private static UserSettings settings;

  @BeforeAll
  static void startSystem(CassandraLauncher cassandra) throws Exception {
    // Partitions of 5 events, so that replication reads cross partition boundaries within a test.
    Config config =
        CassandraTestSupport.config(
            cassandra,
            "meridian.cassandra.keyspace-prefix = \"it_repl_\"\npekko.persistence.cassandra.journal.target-partition-size = 5");
    testKit = ActorTestKit.create("ReplicationThroughCassandraIT", config);
    settings = CassandraTestSupport.settings(config);
    CassandraTestSupport.startHints(testKit.system(), settings.regions());
    CassandraTestSupport.awaitSchema(testKit.system(), settings.regions());
  }

  @AfterAll
  static void stopSystem() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  private static Map<String, ActorRef<User.Command>> spawnReplicas(String userId) {
    var replicas = new LinkedHashMap<String, ActorRef<User.Command>>();
    for (String region : settings.regions().names()) {
      replicas.put(
          region,
          testKit.spawn(User.create(CassandraTestSupport.replicationId(userId, region), settings)));
    }
    return replicas;
  }

  private static User.View accepted(
      ActorRef<User.Command> replica, Function<ActorRef<User.Reply>, User.Command> command) {
    TestProbe<User.Reply> probe = testKit.createTestProbe();
    replica.tell(command.apply(probe.getRef()));
    User.Reply reply = probe.receiveMessage(REPLY_TIMEOUT);
    return assertInstanceOf(User.Accepted.class, reply, () -> "reply " + reply).user();
  }

  @Test
  void writesInEveryRegionConvergeThroughTheJournalsAlone() {
    String userId = CassandraTestSupport.newUserId("converge");
    Map<String, ActorRef<User.Command>> replicas = spawnReplicas(userId);

    accepted(replicas.get("us"), replyTo -> new User.Create("us", replyTo));
    // CRDT writes need the user to exist where they are made: wait until eu and ap have the
    // creation.
    TestProbe<User.Reply> probe = testKit.createTestProbe();
    for (String region : List.of("eu", "ap")) {
      probe.awaitAssert(CONVERGENCE, () -> accepted(replicas.get(region), User.Get::new));
    }

    long written = System.nanoTime();
    accepted(replicas.get("us"), replyTo -> new User.AdjustPoints(5, replyTo));
    accepted(replicas.get("eu"), replyTo -> new User.AdjustPoints(7, replyTo));
    accepted(replicas.get("ap"), replyTo -> new User.AddDevice("phone-1", replyTo));
    accepted(
        replicas.get("us"),
        replyTo -> new User.UpdateProfile(Map.of("displayName", "Ada"), replyTo));

    for (String region : settings.regions().names()) {
      probe.awaitAssert(
          CONVERGENCE,
          () -> {
            User.View view = accepted(replicas.get(region), User.Get::new);
            assertEquals(12, view.points(), region + " points");
            assertEquals(List.of("phone-1"), view.devices(), region + " devices");
            assertEquals(Map.of("displayName", "Ada"), view.profile(), region + " profile");
            assertEquals("us", view.owner(), region + " owner");
            // Every replica applied the same events: 3 from us, 1 from eu, 1 from ap.
            assertEquals(Map.of("us", 3L, "eu", 1L, "ap", 1L), view.version(), region + " version");
            return view;
          });
    }
    log.info(
        "3 replicas converged through the journals {} ms after the first of 4 writes",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written));
  }

  @Test
  void theOneQueryReaderReadsExactlyWhatThePluginsOwnQueryReadsAcrossPartitions() throws Exception {
    String userId = CassandraTestSupport.newUserId("reader");
    ActorRef<User.Command> us =
        testKit.spawn(User.create(CassandraTestSupport.replicationId(userId, "us"), settings));
    accepted(us, replyTo -> new User.Create("us", replyTo));
    for (int i = 1; i <= 11; i++) {
      int delta = i;
      accepted(us, replyTo -> new User.AdjustPoints(delta, replyTo));
    }
    String persistenceId = CassandraTestSupport.replicationId(userId, "us").persistenceId().id();
    List<EventEnvelope> expected =
        PersistenceQuery.get(testKit.system())
            .getReadJournalFor(
                CassandraReadJournal.class, RegionJournals.pluginPath("us") + ".query")
            .currentEventsByPersistenceId(persistenceId, 1, Long.MAX_VALUE)
            .runWith(Sink.seq(), testKit.system())
            .toCompletableFuture()
            .get(20, TimeUnit.SECONDS);
    assertEquals(12, expected.size(), "creation and 11 adjustments, in partitions 0, 1 and 2");

    var reader = new CassandraEventReader(testKit.system(), RegionJournals.pluginPath("us"));
    var read = new java.util.ArrayList<EventEnvelope>();
    long next = 1;
    for (int reads = 0; reads < 10 && next <= 12; reads++) {
      List<EventEnvelope> batch =
          reader.read(persistenceId, next, 4).toCompletableFuture().get(20, TimeUnit.SECONDS);
      read.addAll(batch);
      if (!batch.isEmpty()) next = batch.get(batch.size() - 1).sequenceNr() + 1;
    }

    assertEquals(
        expected.stream().map(e -> List.of(e.sequenceNr(), e.event(), e.eventMetadata())).toList(),
        read.stream().map(e -> List.of(e.sequenceNr(), e.event(), e.eventMetadata())).toList());
    assertEquals(
        List.of(),
        reader.read(persistenceId, 13, 4).toCompletableFuture().get(20, TimeUnit.SECONDS),
        "nothing past the end");
  }
}
