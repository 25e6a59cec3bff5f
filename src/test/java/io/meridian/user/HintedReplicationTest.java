package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.meridian.replication.HintPublisher;
import io.meridian.replication.ReplicationHints;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three replicas of a user replicating the way production does: only through the journals, read by
 * {@code HintedReadJournal}, woken by the hints {@link HintPublisher} sends after each persisted
 * event. The safety poll is an hour, so everything that arrives here arrived because of a hint.
 */
@ExtendWith(LogCapturingExtension.class)
class HintedReplicationTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "HintedReplicationTest",
          ConfigFactory.parseString(
                  """
                  meridian.test.hinted-query {
                    class = "io.meridian.replication.HintedReadJournal$Provider"
                    delegate = "pekko.persistence.testkit.query"
                    safety-poll = 1h
                  }
                  """)
              .withFallback(UserTestSupport.config()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());

  /** Users whose hints are lost on the way (a partition, a node restart). */
  private static final java.util.Set<String> lostHintsOf =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    // One actor system holds every region's replica here, so a hint is delivered to this system.
    testKit
        .system()
        .systemActorOf(
            HintPublisher.create(
                UserTestSupport.REGIONS.names(),
                region -> false,
                (region, origin, hint) -> {
                  if (!lostHintsOf.contains(origin.entityId()))
                    ReplicationHints.get(testKit.system()).deliver(hint);
                }),
            "replication-hints",
            Props.empty());
  }

  private static final UserSettings SETTINGS =
      UserSettings.withoutDirectory(
          UserTestSupport.REGIONS,
          new UserSettings.Journals("", "", "meridian.test.hinted-query"),
          0,
          Duration.ofSeconds(3));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void resetJournal() {
    journal.resetPolicy();
  }

  private final Map<String, ActorRef<User.Command>> replicas = new LinkedHashMap<>();
  private String userId;

  private void start(String... regions) {
    for (String region : regions)
      replicas.put(
          region,
          testKit.spawn(User.create(UserTestSupport.replicationId(userId, region), SETTINGS)));
  }

  private User.Reply ask(String region, Function<ActorRef<User.Reply>, User.Command> command) {
    TestProbe<User.Reply> probe = testKit.createTestProbe();
    replicas.get(region).tell(command.apply(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  private User.View accepted(String region, Function<ActorRef<User.Reply>, User.Command> command) {
    var reply = ask(region, command);
    return assertInstanceOf(User.Accepted.class, reply, () -> region + " answered " + reply).user();
  }

  /** Creates the user with home us and waits until {@code region}'s replica has the creation. */
  private void createAtUsAndAwaitIn(String region) {
    accepted("us", replyTo -> new User.Create("us", replyTo));
    testKit
        .createTestProbe()
        .awaitAssert(
            () -> {
              assertEquals("us", accepted(region, User.Get::new).owner());
              return null;
            });
  }

  private User.View awaitConverged() {
    return testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(10),
            () -> {
              var views = new LinkedHashMap<String, User.View>();
              for (String region : replicas.keySet())
                views.put(region, accepted(region, User.Get::new));
              var first = views.values().iterator().next();
              assertTrue(
                  views.values().stream().allMatch(first::equals),
                  () -> "replicas differ: " + views);
              return first;
            });
  }

  @Test
  void everyReplicaEndsWithEveryEventWhenAllThreeRegionsWriteAtOnce() {
    userId = UserTestSupport.newUserId("hinted-all-write");
    start("us", "eu", "ap");
    accepted("us", replyTo -> new User.Create("us", replyTo));
    testKit
        .createTestProbe()
        .awaitAssert(
            () -> {
              for (String region : List.of("eu", "ap"))
                assertEquals("us", accepted(region, User.Get::new).owner());
              return null;
            });

    // The trigger that lost events with direct replication: every region persisting its own events
    // while the others' arrive, so each replica interleaves writes with replicated events.
    TestProbe<User.Reply> replies = testKit.createTestProbe();
    int perRegion = 40;
    for (int i = 0; i < perRegion; i++) {
      for (String region : List.of("us", "eu", "ap"))
        replicas.get(region).tell(new User.AdjustPoints(1, replies.ref()));
    }
    var answers = new ArrayList<User.Reply>();
    for (int i = 0; i < 3 * perRegion; i++)
      answers.add(replies.receiveMessage(Duration.ofSeconds(10)));
    assertTrue(
        answers.stream().allMatch(User.Accepted.class::isInstance),
        () -> "not all accepted: " + answers);

    var converged = awaitConverged();
    assertEquals(3L * perRegion, converged.points());
    assertEquals(
        Map.of("us", perRegion + 1L, "eu", (long) perRegion, "ap", (long) perRegion),
        converged.version(),
        "every replica applied every event of every origin");
  }

  @Test
  void theConfirmingRegionAnswersAwaitPaymentOnlyOnceItsOwnJournalWriteCompleted()
      throws Exception {
    userId = UserTestSupport.newUserId("hinted-durable");
    start("us", "eu");
    createAtUsAndAwaitIn("eu");
    // The successor waits for the payment before it exists (as PaymentService asks right after the
    // owner's persist).
    TestProbe<User.Reply> confirmation = testKit.createTestProbe();
    replicas.get("eu").tell(new User.AwaitPayment("p-1", confirmation.ref()));
    accepted("eu", User.Get::new); // eu has registered the waiter

    var writeHeld = new CountDownLatch(1);
    var releaseWrite = new CountDownLatch(1);
    String successorJournal = UserTestSupport.persistenceId(userId, "eu");
    journal.withPolicy(
        (persistenceId, operation) -> {
          if (persistenceId.equals(successorJournal)
              && operation instanceof WriteEvents write
              && write.getBatch().toString().contains("PaymentRecorded")) {
            writeHeld.countDown();
            try {
              releaseWrite.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return ProcessingSuccess$.MODULE$;
        });

    accepted(
        "us",
        replyTo ->
            new User.RecordPayment(
                "p-1", User.PaymentKind.CREDIT, new BigDecimal("5.00"), replyTo));
    assertTrue(writeHeld.await(10, TimeUnit.SECONDS), "eu received the payment and is writing it");
    // eu has applied the event in memory, but its journal write has not completed: no confirmation.
    confirmation.expectNoMessage(Duration.ofSeconds(1));

    releaseWrite.countDown();
    assertEquals(
        new User.PaymentFound(
            "p-1", new User.Payment(User.PaymentKind.CREDIT, new BigDecimal("5.00"), "us", 1)),
        confirmation.receiveMessage(Duration.ofSeconds(10)));
  }

  @Test
  void aReplicaAskedToConfirmAPaymentWhoseHintWasLostReadsTheOwnersJournalAtOnce() {
    userId = UserTestSupport.newUserId("hinted-lost");
    start("us", "eu");
    createAtUsAndAwaitIn("eu");
    lostHintsOf.add(userId);
    accepted(
        "us",
        replyTo ->
            new User.RecordPayment(
                "p-1", User.PaymentKind.CREDIT, new BigDecimal("5.00"), replyTo));

    // No hint reaches eu and its safety poll is an hour away: the confirmation request itself makes
    // it read.
    TestProbe<User.Reply> confirmation = testKit.createTestProbe();
    replicas.get("eu").tell(new User.AwaitPayment("p-1", confirmation.ref()));
    assertInstanceOf(User.PaymentFound.class, confirmation.receiveMessage(Duration.ofSeconds(5)));
  }

  @Test
  void aReplicaWhoseNodeDoesNotSeeTheOwnersRegionDeclaredDownRefusesToSeizeAndPersistsNothing() {
    userId = UserTestSupport.newUserId("hinted-no-seize");
    start("us");
    var upEverywhere =
        new UserSettings(
            SETTINGS.regions(), SETTINGS.journals(), 0, SETTINGS.catchUpTimeout(), region -> false);
    replicas.put(
        "eu",
        testKit.spawn(User.create(UserTestSupport.replicationId(userId, "eu"), upEverywhere)));
    createAtUsAndAwaitIn("eu");

    // A node with a stale directory (us down there, up here) asks eu to take the user over.
    var refused =
        ask("eu", replyTo -> new User.SeizeOwnership("us", "region us declared down", replyTo));

    assertEquals(
        User.Reason.NOT_DECLARED_DOWN, assertInstanceOf(User.Rejected.class, refused).reason());
    assertEquals(
        List.of("us", 1L),
        List.of(accepted("eu", User.Get::new).owner(), accepted("eu", User.Get::new).epoch()));
    assertEquals(
        1,
        journal.persistedInStorage(UserTestSupport.persistenceId(userId, "eu")).size(),
        "only the replicated creation");
  }

  @Test
  void aReplicaThatStartsAnswersOnlyOnceItHasReadTheOtherRegionsJournals() {
    userId = UserTestSupport.newUserId("hinted-catch-up");
    start("us");
    accepted("us", replyTo -> new User.Create("us", replyTo));
    accepted("us", replyTo -> new User.AdjustPoints(5, replyTo));

    start("eu"); // its own journal is empty; us's holds two events
    var first = accepted("eu", User.Get::new);

    assertEquals(
        List.of("us", 5L),
        List.of(first.owner(), first.points()),
        "the first answer already includes us's events");
  }
}
