package io.meridian.replication;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.scaladsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * An {@link EventReader} over any read journal's public {@code currentEventsByPersistenceId}: used
 * with the persistence test kit, and usable with any other journal. (With Cassandra, Meridian uses
 * {@link CassandraEventReader}, which costs one Cassandra read instead of three.)
 */
public final class QueryEventReader implements EventReader {
  private final CurrentEventsByPersistenceIdQuery journal;
  private final ActorSystem<?> system;

  public QueryEventReader(CurrentEventsByPersistenceIdQuery journal, ActorSystem<?> system) {
    this.journal = journal;
    this.system = system;
  }

  @Override
  public CompletionStage<List<EventEnvelope>> read(
      String persistenceId, long fromSequenceNr, int max) {
    long to = fromSequenceNr + max - 1 < fromSequenceNr ? Long.MAX_VALUE : fromSequenceNr + max - 1;
    return journal
        .currentEventsByPersistenceId(persistenceId, fromSequenceNr, to)
        .asJava()
        .runWith(Sink.seq(), system);
  }
}
