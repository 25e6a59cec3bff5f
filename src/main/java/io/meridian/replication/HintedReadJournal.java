package io.meridian.replication;

import com.typesafe.config.Config;
import io.meridian.replication.ReplicationHints.Trigger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.ReadJournalProvider;
import org.apache.pekko.persistence.query.scaladsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.scaladsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.typed.ReplicationId;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The query plugin that Meridian's replicas replicate through: a live {@code eventsByPersistenceId}
 * that reads when told to, not on a timer.
 *
 * <p>A stream reads (one bounded read of the journal, {@link EventReader}) when it starts, when a
 * {@link Hint} for its persistence id arrives ({@link ReplicationHints}), and on a slow safety poll
 * that catches lost hints. After a hint it re-reads on a short back-off until it has seen the
 * hinted sequence number: in a real multi-data-center Cassandra the row can reach this data center
 * after the hint does. A full batch is followed by another read at once. Events come out in journal
 * order, without gaps, exactly as the journal has them: order and completeness are the journal's.
 *
 * <p>Configured per region (see {@code RegionJournals}) as {@code cassandra-<region>.hinted-query}
 * and handed to Pekko with {@code ReplicatedEventSourcing.perReplicaJournalConfig}.
 */
public final class HintedReadJournal
    implements EventsByPersistenceIdQuery, CurrentEventsByPersistenceIdQuery {

  /**
   * @param safetyPoll how often an idle stream reads anyway (a lost hint is delivered at most this
   *     late)
   * @param backoff delays of the re-reads after a hinted number was not readable yet
   * @param batchSize events per read at most
   */
  public record Settings(Duration safetyPoll, List<Duration> backoff, int batchSize) {
    public Settings {
      if (safetyPoll.isNegative() || safetyPoll.isZero())
        throw new IllegalArgumentException("meridian.replication.safety-poll must be positive");
      if (batchSize < 1)
        throw new IllegalArgumentException("meridian.replication.batch-size must be at least 1");
      backoff = List.copyOf(backoff);
    }

    /** From {@code meridian.replication} (or a plugin section that overrides some of it). */
    public static Settings fromConfig(Config config) {
      return new Settings(
          config.getDuration("safety-poll"),
          config.getDurationList("backoff"),
          config.getInt("batch-size"));
    }
  }

  private final EventReader reader;
  private final Settings settings;
  private final ReplicationHints hints;
  private final ActorSystem<?> system;

  public HintedReadJournal(EventReader reader, Settings settings, ActorSystem<?> system) {
    this.reader = reader;
    this.settings = settings;
    this.system = system;
    this.hints = ReplicationHints.get(system);
  }

  @Override
  public org.apache.pekko.stream.scaladsl.Source<EventEnvelope, NotUsed> eventsByPersistenceId(
      String persistenceId, long fromSequenceNr, long toSequenceNr) {
    return Source.<EventEnvelope, NotUsed>fromMaterializer(
            (materializer, attributes) ->
                live(persistenceId, fromSequenceNr, toSequenceNr, materializer))
        .mapMaterializedValue(ignored -> NotUsed.getInstance())
        .asScala();
  }

  @Override
  public org.apache.pekko.stream.scaladsl.Source<EventEnvelope, NotUsed>
      currentEventsByPersistenceId(String persistenceId, long fromSequenceNr, long toSequenceNr) {
    var cursor = new AtomicLong(Math.max(1, fromSequenceNr));
    return catchUp(
            persistenceId, cursor, new Wake(Trigger.START, 0), toSequenceNr, new AtomicLong())
        .takeWhile(envelope -> envelope.sequenceNr() <= toSequenceNr)
        .asScala();
  }

  /** What woke a stream, and the highest sequence number it must read before it rests. */
  private record Wake(Trigger trigger, long target) {
    Wake merge(Wake later) {
      return new Wake(
          trigger == Trigger.SAFETY_POLL ? later.trigger : trigger, Math.max(target, later.target));
    }
  }

  private Source<EventEnvelope, NotUsed> live(
      String persistenceId, long fromSequenceNr, long toSequenceNr, Materializer materializer) {
    var cursor = new AtomicLong(Math.max(1, fromSequenceNr)); // the next sequence number to read
    var newestHint = new AtomicLong();
    Pair<BoundedSourceQueue<Long>, Source<Long, NotUsed>> queue =
        Source.<Long>queue(64).preMaterialize(materializer);
    ReplicationHints.Registration registration =
        hints.register(
            persistenceId,
            sequenceNr -> {
              newestHint.accumulateAndGet(sequenceNr, Math::max);
              queue
                  .first()
                  .offer(sequenceNr); // dropped only when 64 wake-ups wait: then one is enough
            });
    newestHint.accumulateAndGet(registration.pendingSequenceNr(), Math::max);
    long pollMillis = settings.safetyPoll().toMillis();
    // A random phase, so that the streams started together do not poll together.
    Duration firstPoll =
        Duration.ofMillis(
            pollMillis / 2 + ThreadLocalRandom.current().nextLong(pollMillis / 2 + 1));
    Source<Wake, ?> polls =
        Source.tick(firstPoll, settings.safetyPoll(), new Wake(Trigger.SAFETY_POLL, 0))
            .map(
                wake -> {
                  hints.safetyPoll();
                  return wake;
                });
    return Source.single(new Wake(Trigger.START, registration.pendingSequenceNr()))
        .concat(queue.second().map(sequenceNr -> new Wake(Trigger.HINT, sequenceNr)).merge(polls))
        .conflate(Wake::merge)
        .flatMapConcat(
            wake ->
                wake.trigger() == Trigger.START
                    ? firstRead(
                        persistenceId,
                        catchUp(persistenceId, cursor, wake, toSequenceNr, newestHint))
                    : catchUp(persistenceId, cursor, wake, toSequenceNr, newestHint))
        .takeWhile(envelope -> envelope.sequenceNr() < toSequenceNr, true)
        .watchTermination(
            (notUsed, done) -> {
              done.whenComplete(
                  (ok, failure) -> {
                    registration.cancel().run();
                    queue.first().complete();
                  });
              return NotUsed.getInstance();
            });
  }

  /**
   * Counts the origin's own events of the stream's first read and reports them when it is done
   * (User's catch-up).
   */
  private Source<EventEnvelope, NotUsed> firstRead(
      String persistenceId, Source<EventEnvelope, NotUsed> read) {
    String origin =
        ReplicationId.isReplicationId(persistenceId)
            ? ReplicationId.fromString(persistenceId).replicaId().id()
            : "";
    var originEvents = new AtomicLong();
    return read.map(
            envelope -> {
              if (OriginOf.envelope(envelope).equals(origin)) originEvents.incrementAndGet();
              return envelope;
            })
        .watchTermination(
            (notUsed, done) -> {
              done.thenRun(() -> hints.firstReadDone(persistenceId, originEvents.get()));
              return NotUsed.getInstance();
            });
  }

  /** One step of a catch-up: which read it is (0 = the first, k = after back-off k) and why. */
  private record Step(int attempt, Trigger trigger) {
    static final Step DONE = new Step(-1, Trigger.START);
  }

  /**
   * Reads from {@code cursor} until the stream has seen {@code wake.target} (or the newest hint, if
   * higher): at once, then after each back-off delay while the hinted number is not readable yet.
   */
  private Source<EventEnvelope, NotUsed> catchUp(
      String persistenceId,
      AtomicLong cursor,
      Wake wake,
      long toSequenceNr,
      AtomicLong newestHint) {
    return Source.<Step, List<EventEnvelope>>unfoldAsync(
            new Step(0, wake.trigger()),
            step -> {
              if (step == Step.DONE || cursor.get() > toSequenceNr)
                return CompletableFuture.completedFuture(Optional.empty());
              long from = cursor.get();
              int max = (int) Math.min(settings.batchSize(), toSequenceNr - from + 1);
              Duration delay =
                  step.attempt() == 0 ? Duration.ZERO : settings.backoff().get(step.attempt() - 1);
              CompletionStage<List<EventEnvelope>> read =
                  delay.isZero()
                      ? reader.read(persistenceId, from, max)
                      : Patterns.after(
                          delay,
                          system.classicSystem().scheduler(),
                          system.executionContext(),
                          () -> reader.read(persistenceId, from, max));
              return read.thenApply(
                  events -> {
                    hints.read(step.trigger(), events.size());
                    if (!events.isEmpty())
                      cursor.set(events.get(events.size() - 1).sequenceNr() + 1);
                    long target = Math.max(wake.target(), newestHint.get());
                    Step next;
                    if (events.size() >= max && cursor.get() <= toSequenceNr) {
                      next = new Step(0, Trigger.MORE);
                    } else if (cursor.get() > target) {
                      next = Step.DONE;
                    } else if (step.attempt() < settings.backoff().size()) {
                      next = new Step(step.attempt() + 1, Trigger.BACKOFF);
                    } else {
                      hints.hintUnsatisfied();
                      next = Step.DONE;
                    }
                    return Optional.of(Pair.create(next, events));
                  });
            })
        .mapConcat(events -> events);
  }

  /**
   * The plugin: {@code class = "io.meridian.replication.HintedReadJournal$Provider"} with either
   * {@code cassandra-plugin = "cassandra-us"} (read that region's Cassandra journal directly) or
   * {@code delegate = "<query plugin id>"} (read through another plugin's {@code
   * currentEventsByPersistenceId}). Settings come from {@code meridian.replication}; the plugin
   * section may override any of them.
   */
  public static final class Provider implements ReadJournalProvider {
    private final HintedReadJournal journal;

    public Provider(ExtendedActorSystem classic, Config config, String configPath) {
      ActorSystem<?> system = Adapter.toTyped(classic);
      Settings settings =
          Settings.fromConfig(
              config.withFallback(classic.settings().config().getConfig("meridian.replication")));
      EventReader reader =
          config.hasPath("cassandra-plugin")
              ? new CassandraEventReader(system, config.getString("cassandra-plugin"))
              : new QueryEventReader(
                  PersistenceQuery.get(classic)
                      .<CurrentEventsByPersistenceIdQuery>readJournalFor(
                          config.getString("delegate")),
                  system);
      this.journal = new HintedReadJournal(reader, settings, system);
    }

    @Override
    public HintedReadJournal scaladslReadJournal() {
      return journal;
    }

    @Override
    public org.apache.pekko.persistence.query.javadsl.ReadJournal javadslReadJournal() {
      return new Javadsl(journal);
    }
  }

  /** The same streams for Java callers (tests, tools). */
  public record Javadsl(HintedReadJournal journal)
      implements org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery,
          org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery {
    @Override
    public Source<EventEnvelope, NotUsed> eventsByPersistenceId(
        String persistenceId, long fromSequenceNr, long toSequenceNr) {
      return journal.eventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr).asJava();
    }

    @Override
    public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(
        String persistenceId, long fromSequenceNr, long toSequenceNr) {
      return journal
          .currentEventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr)
          .asJava();
    }
  }
}
