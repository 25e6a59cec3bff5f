package io.meridian.replication;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.persistence.query.EventEnvelope;

/** One bounded read of a journal: the events of one persistence id from a sequence number on. */
public interface EventReader {

  /**
   * At most {@code max} events of {@code persistenceId} with sequence numbers from {@code
   * fromSequenceNr} on, in order and without gaps (what is there now; an empty list when nothing
   * is).
   */
  CompletionStage<List<EventEnvelope>> read(String persistenceId, long fromSequenceNr, int max);
}
