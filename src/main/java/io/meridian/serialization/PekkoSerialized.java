package io.meridian.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import java.io.IOException;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/**
 * Jackson field (de)serializers that hand a value to the Pekko serializer bound to its type.
 *
 * <p>Why: Pekko's CRDTs ({@code ORSet}, its {@code DeltaOp}s, {@code Counter}) are Scala classes
 * with their own protobuf serializer in {@code pekko-persistence-typed}. Our events and state are
 * Jackson records; a field annotated with these writes {@code {serializerId, manifest, bytes}}
 * produced by that serializer, so the CRDT's internal version vectors survive exactly, without
 * re-implementing them. The actor system comes from Pekko's current transport information, which
 * Pekko sets around every (de)serialization it performs (remoting, journals, test kits).
 *
 * <p>The reader does not trust the serializer id in the payload: it hands the bytes only to the
 * serializer Pekko binds to the field's declared type (for the CRDTs, Pekko's {@code
 * ReplicatedEventSourcingSerializer}), and refuses a value of another type. Otherwise bytes that
 * name another serializer (Java serialization, or any serializer on the class path) would be
 * deserialized by it, which is how gadget-chain attacks on stored or remote payloads work.
 */
public final class PekkoSerialized {
  private PekkoSerialized() {}

  private static ActorSystem system() {
    return Serialization.getCurrentTransportInformation().system();
  }

  public static final class Writer extends JsonSerializer<Object> {
    @Override
    public void serialize(Object value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      var serialization = SerializationExtension.get(system());
      var serializer = serialization.findSerializerFor(value);
      gen.writeStartObject();
      gen.writeNumberField("serializerId", serializer.identifier());
      gen.writeStringField("manifest", Serializers.manifestFor(serializer, value));
      gen.writeBinaryField("bytes", serializer.toBinary(value));
      gen.writeEndObject();
    }
  }

  /**
   * Reads what {@link Writer} wrote into a field of the declared type {@code expected}: only with
   * the serializer Pekko binds to that type, and only a value of that type.
   */
  public static final class Reader extends JsonDeserializer<Object>
      implements ContextualDeserializer {
    private final Class<?> expected;

    /** As Jackson creates it from the annotation; {@link #createContextual} gives the type. */
    public Reader() {
      this(Object.class);
    }

    Reader(Class<?> expected) {
      this.expected = expected;
    }

    @Override
    public JsonDeserializer<?> createContextual(
        DeserializationContext context, BeanProperty property) {
      Class<?> declared = property == null ? Object.class : property.getType().getRawClass();
      return declared.equals(expected) ? this : new Reader(declared);
    }

    @Override
    public Object deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      if (expected.equals(Object.class))
        throw JsonMappingException.from(
            parser,
            "PekkoSerialized.Reader needs a field of a declared type; refusing to read untyped");
      JsonNode node = parser.getCodec().readTree(parser);
      JsonNode id = node.get("serializerId");
      JsonNode manifest = node.get("manifest");
      JsonNode bytes = node.get("bytes");
      if (id == null || !id.canConvertToInt() || manifest == null || !manifest.isTextual())
        throw JsonMappingException.from(
            parser,
            "a PekkoSerialized " + expected.getName() + " needs serializerId, manifest and bytes");
      var serialization = SerializationExtension.get(system());
      int expectedId = serialization.serializerFor(expected).identifier();
      if (id.intValue() != expectedId)
        throw JsonMappingException.from(
            parser,
            "refusing serializer id "
                + id.intValue()
                + " for a "
                + expected.getName()
                + ": only serializer "
                + expectedId
                + ", which Pekko binds to that type, may read it");
      if (bytes == null || !(bytes.isBinary() || bytes.isTextual()))
        throw JsonMappingException.from(
            parser, "a PekkoSerialized " + expected.getName() + " needs bytes");
      Object value =
          serialization.deserialize(bytes.binaryValue(), expectedId, manifest.textValue()).get();
      if (!expected.isInstance(value))
        throw JsonMappingException.from(
            parser,
            "refusing a "
                + value.getClass().getName()
                + " (manifest "
                + manifest.textValue()
                + ") where a "
                + expected.getName()
                + " is declared");
      return value;
    }
  }
}
