package io.meridian.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
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

  public static final class Reader extends JsonDeserializer<Object> {
    @Override
    public Object deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      JsonNode node = parser.getCodec().readTree(parser);
      var serialization = SerializationExtension.get(system());
      return serialization
          .deserialize(
              node.get("bytes").binaryValue(),
              node.get("serializerId").intValue(),
              node.get("manifest").textValue())
          .get();
    }
  }
}
