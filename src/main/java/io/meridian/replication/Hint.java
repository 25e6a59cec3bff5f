package io.meridian.replication;

import io.meridian.serialization.CborSerializable;

/**
 * The origin replica of {@code persistenceId} has persisted its event {@code sequenceNr}: a reader
 * of that journal should read now. A hint carries no event; losing one delays, it never loses data.
 */
public record Hint(String persistenceId, long sequenceNr) implements CborSerializable {}
