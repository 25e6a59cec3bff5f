package io.meridian.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.Counter;
import org.apache.pekko.persistence.typed.crdt.ORSet;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link PekkoSerialized.Reader} hands a payload only to the serializer Pekko binds to the field's
 * declared type, and returns only a value of that type: a payload that names another serializer
 * (Java serialization, or any serializer on the class path) is refused before any serializer reads
 * its bytes, and a payload of another type is refused too.
 */
@ExtendWith(LogCapturingExtension.class)
class PekkoSerializedTest {

  /** A record with one CRDT operation field, as {@code User.DevicesChanged} has. */
  record WithOperation(
      String name,
      @JsonSerialize(using = PekkoSerialized.Writer.class)
          @JsonDeserialize(using = PekkoSerialized.Reader.class)
          ORSet.DeltaOp operation)
      implements CborSerializable {}

  /** A record with a counter field, as {@code UserState} has. */
  record WithCounter(
      @JsonSerialize(using = PekkoSerialized.Writer.class)
          @JsonDeserialize(using = PekkoSerialized.Reader.class)
          Counter points)
      implements CborSerializable {}

  /** A value only {@link RecordingSerializer} writes, so that serializer exists in the system. */
  record Recorded(String text) {}

  /**
   * A serializer that counts every read: the stand-in for a foreign serializer a payload might
   * name. If the reader ever handed it bytes, the count would show it.
   */
  public static final class RecordingSerializer extends SerializerWithStringManifest {
    static final int ID = 917_001;
    static final AtomicInteger reads = new AtomicInteger();

    @Override
    public int identifier() {
      return ID;
    }

    @Override
    public String manifest(Object o) {
      return "R";
    }

    @Override
    public byte[] toBinary(Object o) {
      return ((Recorded) o).text().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) {
      reads.incrementAndGet();
      return new Recorded(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "PekkoSerializedTest",
          ConfigFactory.parseString(
                  """
                  pekko.actor.provider = local
                  pekko.coordinated-shutdown.exit-jvm = off
                  pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                  pekko.actor.serializers.recording = "io.meridian.serialization.PekkoSerializedTest$RecordingSerializer"
                  pekko.actor.serialization-bindings {
                    "io.meridian.serialization.PekkoSerializedTest$Recorded" = recording
                  }
                  """)
              .withFallback(ConfigFactory.load()));

  private static final CBORMapper CBOR = new CBORMapper();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clearReads() {
    RecordingSerializer.reads.set(0);
  }

  private static Serialization serialization() {
    return SerializationExtension.get(testKit.system());
  }

  private static ORSet.DeltaOp anAdd() {
    return ORSet.<String>empty(new ReplicaId("us")).add("phone");
  }

  @Test
  void crdtFieldsRoundTripThroughTheSerializerBoundToTheirType() {
    testKit.serializationTestKit().verifySerialization(new WithOperation("a", anAdd()), true);
    testKit
        .serializationTestKit()
        .verifySerialization(
            new WithCounter(
                Counter.empty()
                    .applyOperation(new Counter.Updated(java.math.BigInteger.valueOf(7)))),
            true);
  }

  @Test
  void aPayloadNamingAForeignSerializerIsRefusedBeforeThatSerializerReadsIt() throws IOException {
    byte[] foreignBytes = serialization().serialize(new Recorded("gadget")).get();
    var tampered =
        tamper(
            new WithOperation("a", anAdd()),
            "operation",
            RecordingSerializer.ID,
            "R",
            foreignBytes);

    Exception refused = assertThrows(Exception.class, () -> read(tampered, WithOperation.class));

    assertTrue(
        causes(refused).contains("refusing serializer id " + RecordingSerializer.ID),
        causes(refused));
    assertEquals(0, RecordingSerializer.reads.get(), "the foreign serializer read nothing");
    // The same payload through its own serializer is readable: the refusal is the reader's.
    assertEquals(
        new Recorded("gadget"),
        serialization().deserialize(foreignBytes, RecordingSerializer.ID, "R").get());
  }

  @Test
  void aPayloadNamingJavaSerializationIsRefused() throws IOException {
    // pekko-actor's reference.conf: serialization-identifiers JavaSerializer = 1.
    int javaSerializerId = 1;
    var tampered =
        tamper(
            new WithOperation("a", anAdd()),
            "operation",
            javaSerializerId,
            "",
            new byte[] {(byte) 0xac, (byte) 0xed, 0, 5});

    Exception refused = assertThrows(Exception.class, () -> read(tampered, WithOperation.class));

    assertTrue(
        causes(refused).contains("refusing serializer id " + javaSerializerId), causes(refused));
  }

  @Test
  void aPayloadOfAnotherTypeFromTheRightSerializerIsRefused() throws IOException {
    Counter counter = Counter.empty().applyOperation(new Counter.Updated(java.math.BigInteger.TEN));
    var crdtSerializer = serialization().findSerializerFor(counter);
    var tampered =
        tamper(
            new WithOperation("a", anAdd()),
            "operation",
            crdtSerializer.identifier(),
            Serializers.manifestFor(crdtSerializer, counter),
            crdtSerializer.toBinary(counter));

    Exception refused = assertThrows(Exception.class, () -> read(tampered, WithOperation.class));

    assertTrue(causes(refused).contains("refusing a " + Counter.class.getName()), causes(refused));
  }

  @Test
  void aPayloadWithoutItsFieldsIsRefused() throws IOException {
    var written = serialization().serialize(new WithOperation("a", anAdd())).get();
    ObjectNode tree = (ObjectNode) CBOR.readTree(written);
    ((ObjectNode) tree.get("operation")).remove("serializerId");
    byte[] tampered = CBOR.writeValueAsBytes(tree);

    Exception refused = assertThrows(Exception.class, () -> read(tampered, WithOperation.class));

    assertTrue(causes(refused).contains("needs serializerId"), causes(refused));
  }

  /**
   * The CBOR bytes Pekko writes for {@code value}, with the PekkoSerialized {@code field} replaced
   * by the given serializer id, manifest and bytes.
   */
  private static byte[] tamper(
      Object value, String field, int serializerId, String manifest, byte[] bytes)
      throws IOException {
    byte[] written = serialization().serialize(value).get();
    JsonNode tree = CBOR.readTree(written);
    ObjectNode payload = (ObjectNode) tree.get(field);
    assertTrue(payload.has("serializerId"), () -> "not a PekkoSerialized field: " + tree);
    payload.put("serializerId", serializerId);
    payload.put("manifest", manifest);
    payload.put("bytes", bytes);
    return CBOR.writeValueAsBytes(tree);
  }

  /** Reads {@code bytes} as Pekko would read a stored {@code type}. */
  private static Object read(byte[] bytes, Class<?> type) throws Exception {
    var serializer = serialization().serializerFor(type);
    return serialization().deserialize(bytes, serializer.identifier(), type.getName()).get();
  }

  private static String causes(Throwable failure) {
    var text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) text.append(t).append(" / ");
    return text.toString();
  }
}
