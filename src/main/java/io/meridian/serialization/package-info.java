/**
 * How Meridian's messages, events and state become bytes: the marker {@link
 * io.meridian.serialization.CborSerializable}, bound to Pekko's Jackson CBOR serializer in
 * conf/serialization.conf (Java serialization stays off), and {@link
 * io.meridian.serialization.PekkoSerialized}, which lets a Jackson record carry one of Pekko's
 * CRDTs ({@code ORSet}, its delta operations, {@code Counter}) as the bytes of Pekko's own
 * serializer, so that their version vectors survive exactly (docs/decisions.md, "User entity: CRDTs
 * inside Jackson records").
 *
 * <p>A leaf: it uses no other Meridian package (PackageArrowsTest); user, region and replication
 * use it.
 *
 * <p>No type of its own is stored, but both are inside every stored byte. The marker's full name is
 * the binding key in conf/serialization.conf: moving or renaming it without that line leaves every
 * message, event and Distributed Data value without a serializer. The field names {@code
 * PekkoSerialized} writes ({@code serializerId}, {@code manifest}, {@code bytes}) are inside
 * journal events ({@code User$DevicesChanged}) and must never change. Which types are stored is
 * said by the package-info of the room that owns them (user, region, replication).
 */
package io.meridian.serialization;
