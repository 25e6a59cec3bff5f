package io.meridian.serialization;

/**
 * Marker for every message, event, reply and state that crosses a process boundary or is stored:
 * bound to Pekko's Jackson CBOR serializer in {@code conf/serialization.conf}. Java serialization
 * stays off.
 */
public interface CborSerializable {}
