package io.meridian.user;

import com.typesafe.config.Config;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.ReadJournalProvider;
import org.apache.pekko.persistence.query.scaladsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.testkit.query.scaladsl.PersistenceTestKitReadJournal;
import org.apache.pekko.stream.scaladsl.Source;

/**
 * Test-only query plugin: the persistence test kit's read journal with a valve per link, that is
 * per (reading replica, persistence id read).
 *
 * <p>Why: replication between replicas runs through {@code eventsByPersistenceId} of the origin
 * replica's journal, and the test kit delivers within milliseconds, so two commands sent to two
 * replicas are concurrent only by luck. {@link #hold} closes a valve: the events stay written but
 * the reading replica does not receive them (a partition between two regions) until {@link
 * #release}, which lets them through in their order. That makes concurrent writes, and replicas
 * receiving the events of different origins in different orders, deterministic in the actor tests.
 * Each replica reads through its own instance of this plugin ({@code consumer}).
 */
public final class PartitionableReadJournal implements EventsByPersistenceIdQuery {

  /**
   * The plugin id for the replica of {@code region} (configured in {@link
   * UserTestSupport#config()}).
   */
  static String pluginFor(String region) {
    return "meridian.test.partitionable-query-" + region;
  }

  private static final CompletableFuture<Done> OPEN =
      CompletableFuture.completedFuture(Done.getInstance());
  private static final ConcurrentHashMap<String, CompletableFuture<Done>> held =
      new ConcurrentHashMap<>();

  /**
   * From now on, the events of {@code persistenceId} do not reach the replica of {@code consumer}.
   */
  static void hold(String persistenceId, String consumer) {
    held.putIfAbsent(link(persistenceId, consumer), new CompletableFuture<>());
  }

  /**
   * Lets the held events of {@code persistenceId} through to {@code consumer}, in order, and every
   * later one.
   */
  static void release(String persistenceId, String consumer) {
    CompletableFuture<Done> valve = held.remove(link(persistenceId, consumer));
    if (valve != null) valve.complete(Done.getInstance());
  }

  private static String link(String persistenceId, String consumer) {
    return consumer + "<-" + persistenceId;
  }

  static void releaseAll() {
    for (String link : held.keySet()) {
      CompletableFuture<Done> valve = held.remove(link);
      if (valve != null) valve.complete(Done.getInstance());
    }
  }

  private final PersistenceTestKitReadJournal delegate;
  private final String consumer;

  private PartitionableReadJournal(PersistenceTestKitReadJournal delegate, String consumer) {
    this.delegate = delegate;
    this.consumer = consumer;
  }

  private CompletionStage<Done> valve(String persistenceId) {
    return held.getOrDefault(link(persistenceId, consumer), OPEN);
  }

  @Override
  public Source<EventEnvelope, NotUsed> eventsByPersistenceId(
      String persistenceId, long fromSequenceNr, long toSequenceNr) {
    return delegate
        .eventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr)
        .asJava()
        // mapAsync(1) keeps the order: nothing after a held event overtakes it.
        .mapAsync(1, envelope -> valve(persistenceId).thenApply(open -> envelope))
        .asScala();
  }

  public static final class Provider implements ReadJournalProvider {
    private final PartitionableReadJournal scaladsl;

    public Provider(ExtendedActorSystem system, Config config, String configPath) {
      this.scaladsl =
          new PartitionableReadJournal(
              PersistenceQuery.get(system)
                  .<PersistenceTestKitReadJournal>readJournalFor(
                      PersistenceTestKitReadJournal.Identifier()),
              config.getString("consumer"));
    }

    @Override
    public PartitionableReadJournal scaladslReadJournal() {
      return scaladsl;
    }

    @Override
    public org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery
        javadslReadJournal() {
      return (persistenceId, from, to) ->
          scaladsl.eventsByPersistenceId(persistenceId, from, to).asJava();
    }
  }
}
