package io.meridian.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.meridian.metrics.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.scaladsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.query.scaladsl.PersistenceTestKitReadJournal;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The live stream of {@link HintedReadJournal} over the persistence test kit's journal: it reads
 * when hinted, re-reads on the back-off while a hinted row is not readable yet, and otherwise reads
 * only on the safety poll, one read per poll.
 */
@ExtendWith(LogCapturingExtension.class)
class HintedReadJournalTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "HintedReadJournalTest",
          ConfigFactory.parseString(
                  "pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off")
              .withFallback(PersistenceTestKitPlugin.config())
              .withFallback(ConfigFactory.load()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final AtomicInteger ids = new AtomicInteger();

  /** Far longer than any test: a stream that delivers did so because of a hint or a back-off. */
  private static final Duration NO_POLL = Duration.ofHours(1);

  private static final List<Duration> BACKOFF =
      List.of(Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofMillis(500));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static String newPersistenceId() {
    return "User|hinted-" + ids.incrementAndGet() + "|us";
  }

  private static void write(String persistenceId, Object... events) {
    journal.persistForRecovery(persistenceId, List.of(events));
  }

  private static ReplicationHints hints() {
    return ReplicationHints.get(testKit.system());
  }

  /**
   * The test kit's journal, read the public way; counts reads; hides rows above {@code visibleUpTo}
   * (a row not in this data center yet).
   */
  private static final class CountingReader implements EventReader {
    final AtomicInteger reads = new AtomicInteger();
    final AtomicLong visibleUpTo = new AtomicLong(Long.MAX_VALUE);
    final AtomicInteger showAllAfterReads = new AtomicInteger(Integer.MAX_VALUE);
    private final QueryEventReader delegate =
        new QueryEventReader(
            PersistenceQuery.get(testKit.system())
                .<CurrentEventsByPersistenceIdQuery>readJournalFor(
                    PersistenceTestKitReadJournal.Identifier()),
            testKit.system());

    @Override
    public CompletionStage<List<EventEnvelope>> read(
        String persistenceId, long fromSequenceNr, int max) {
      int read = reads.incrementAndGet();
      if (read >= showAllAfterReads.get()) visibleUpTo.set(Long.MAX_VALUE);
      long visible = visibleUpTo.get();
      return delegate
          .read(persistenceId, fromSequenceNr, max)
          .thenApply(events -> events.stream().filter(e -> e.sequenceNr() <= visible).toList());
    }
  }

  private static TestSubscriber.Probe<EventEnvelope> live(
      EventReader reader, Duration safetyPoll, String persistenceId) {
    var hinted =
        new HintedReadJournal(
            reader, new HintedReadJournal.Settings(safetyPoll, BACKOFF, 100), testKit.system());
    var probe =
        hinted
            .eventsByPersistenceId(persistenceId, 1, Long.MAX_VALUE)
            .asJava()
            .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    probe.request(100);
    return probe;
  }

  @Test
  void aStreamReadsWhatIsThereWhenItStartsAndThenOnlyWhenHinted() {
    String persistenceId = newPersistenceId();
    write(persistenceId, "e1");
    var reader = new CountingReader();
    var stream = live(reader, NO_POLL, persistenceId);
    assertEquals("e1", stream.expectNext().event());

    write(persistenceId, "e2");
    stream.expectNoMessage(Duration.ofMillis(300)); // no timer poll: stored, not hinted, not read
    hints().deliver(new Hint(persistenceId, 2));

    EventEnvelope second = stream.expectNext(Duration.ofSeconds(3));
    assertEquals(List.of("e2", 2L), List.of(second.event(), second.sequenceNr()));
    assertEquals(2, reader.reads.get(), "one read at start, one for the hint");
    stream.cancel();
  }

  @Test
  void aLostHintIsRecoveredByTheSafetyPollWithOneReadPerPoll() {
    String persistenceId = newPersistenceId();
    var reader = new CountingReader();
    var stream = live(reader, Duration.ofMillis(200), persistenceId);

    write(persistenceId, "e1", "e2"); // and no hint: it was lost
    assertEquals("e1", stream.expectNext(Duration.ofSeconds(3)).event());
    assertEquals("e2", stream.expectNext(Duration.ofSeconds(3)).event());

    int readsThen = reader.reads.get();
    stream.expectNoMessage(Duration.ofMillis(1000)); // about five idle polls
    int idleReads = reader.reads.get() - readsThen;
    assertTrue(
        idleReads >= 3 && idleReads <= 6, "one read per 200 ms poll, saw " + idleReads + " in 1 s");
    stream.cancel();
  }

  @Test
  void aHintedEventNotReadableYetIsReadAgainOnTheBackOff() {
    String persistenceId = newPersistenceId();
    var reader = new CountingReader();
    var stream = live(reader, NO_POLL, persistenceId);
    stream.expectNoMessage(Duration.ofMillis(100)); // started, read nothing

    reader.visibleUpTo.set(0); // the row exists at the origin, not yet in this data center ...
    reader.showAllAfterReads.set(reader.reads.get() + 3); // ... until the third read after the hint
    write(persistenceId, "e1");
    hints().deliver(new Hint(persistenceId, 1));

    assertEquals("e1", stream.expectNext(Duration.ofSeconds(3)).event());
    assertEquals(4, reader.reads.get(), "start, hint, two re-reads on the back-off");
    stream.cancel();
  }

  @Test
  void aHintThatArrivesBeforeTheStreamStartsIsItsFirstTarget() {
    String persistenceId = newPersistenceId();
    write(persistenceId, "e1");
    hints().deliver(new Hint(persistenceId, 1)); // the replica is still recovering: no stream yet
    var reader = new CountingReader();
    reader.visibleUpTo.set(0);
    reader.showAllAfterReads.set(2);

    var stream = live(reader, NO_POLL, persistenceId);

    assertEquals("e1", stream.expectNext(Duration.ofSeconds(3)).event());
    stream.cancel();
  }

  @Test
  void whenARegionIsReachableAgainEveryStreamReadingItsJournalsReadsAtOnce() {
    String persistenceId = "User|wake-" + ids.incrementAndGet() + "|ap";
    var stream = live(new CountingReader(), NO_POLL, persistenceId);
    stream.expectNoMessage(Duration.ofMillis(100));
    write(persistenceId, "e1"); // its hint was lost in the partition

    hints().wakeAllReading("eu");
    stream.expectNoMessage(Duration.ofMillis(300)); // another region's journals only
    hints().wakeAllReading("ap");

    assertEquals("e1", stream.expectNext(Duration.ofSeconds(3)).event());
    stream.cancel();
  }

  @Test
  void whenThisRegionIsDeclaredUpAgainEveryStreamReadsAtOnce() {
    String persistenceId = newPersistenceId();
    var stream = live(new CountingReader(), NO_POLL, persistenceId);
    stream.expectNoMessage(Duration.ofMillis(100));
    write(persistenceId, "e1"); // written while this region was declared down: nobody hinted it

    hints().wakeAll();

    assertEquals("e1", stream.expectNext(Duration.ofSeconds(3)).event());
    stream.cancel();
  }

  @Test
  void aStreamThatStopsLeavesTheSwitchboard() {
    String persistenceId = newPersistenceId();
    var stream = live(new CountingReader(), NO_POLL, persistenceId);
    testKit
        .createTestProbe()
        .awaitAssert(
            () -> {
              assertEquals(1, hints().liveStreams(persistenceId));
              return null;
            });
    stream.cancel();
    testKit
        .createTestProbe()
        .awaitAssert(
            () -> {
              assertEquals(0, hints().liveStreams(persistenceId));
              return null;
            });
  }

  @Test
  void theCurrentQueryReadsEverythingThereInBatches() {
    String persistenceId = newPersistenceId();
    for (int i = 1; i <= 250; i++) write(persistenceId, "e" + i);
    var reader = new CountingReader();
    var hinted =
        new HintedReadJournal(
            reader, new HintedReadJournal.Settings(NO_POLL, BACKOFF, 100), testKit.system());

    List<EventEnvelope> events =
        hinted
            .currentEventsByPersistenceId(persistenceId, 1, Long.MAX_VALUE)
            .asJava()
            .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), testKit.system())
            .toCompletableFuture()
            .join();

    assertEquals(250, events.size());
    assertEquals(250L, events.get(249).sequenceNr());
    assertEquals(3, reader.reads.get(), "100 + 100 + 50");
  }

  @Test
  void readsAreCountedByTrigger() {
    String persistenceId = newPersistenceId();
    var stream = live(new CountingReader(), NO_POLL, persistenceId);
    write(persistenceId, "e1");
    hints().deliver(new Hint(persistenceId, 1));
    stream.expectNext(Duration.ofSeconds(3));
    String scrape = Metrics.get(testKit.system()).scrape();
    assertTrue(
        scrape.contains("meridian_replication_reads_total{region=\"us\",trigger=\"hint\"}"),
        scrape);
    assertTrue(scrape.contains("meridian_replication_hints_received_total"), scrape);
    stream.cancel();
  }
}
