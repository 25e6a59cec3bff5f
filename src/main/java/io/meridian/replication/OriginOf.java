package io.meridian.replication;

import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.typed.internal.ReplicatedEventMetadata;

/**
 * The region an event read from a journal originated in. Replicated Event Sourcing stores its
 * metadata as {@code ReplicatedEventMetadata} (internal API of Pekko 1.2.1,
 * persistence-typed/.../internal/ReplicatedEventMetadata, the same class Pekko's own replication
 * stream filters on in Running.scala:169-171); pinned by HintedReadJournalTest.
 */
final class OriginOf {
  private OriginOf() {}

  /** The origin region's name, or "" for an event without replication metadata. */
  static String envelope(EventEnvelope envelope) {
    return envelope.eventMetadata().isDefined()
            && envelope.eventMetadata().get() instanceof ReplicatedEventMetadata meta
        ? meta.originReplica().id()
        : "";
  }
}
