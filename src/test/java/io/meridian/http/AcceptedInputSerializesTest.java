package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.meridian.topology.Regions;
import io.meridian.user.User;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.ORSet;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * Every value the API accepts can be stored: for arbitrary input (any UTF-16 text, including
 * unpaired surrogates, control characters and non-characters, sent as JSON escapes or as raw bytes,
 * and arbitrary numbers), either the request is refused by the API's parser and validation, or the
 * commands, events, state and replies built from the accepted values go through the serializer
 * bound in conf/serialization.conf (Jackson CBOR, with the real actor system's serialization) and
 * come back equal.
 *
 * <p>The regression it holds: {@code {"displayName":"\ud800"}} passed validation, and the CBOR
 * serializer of the journal could not write the event, so the entity restarted and the request
 * failed after the ask timeout (503), counting toward the journal's circuit breaker.
 *
 * <p>Each property takes the steps its route takes (UserRoutes, PaymentRoutes): {@link
 * Json#object}, then the same {@link Validation} calls in the same order, then the command the
 * route sends and the event the entity persists for it.
 */
class AcceptedInputSerializesTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "AcceptedInputSerializesTest",
          ConfigFactory.parseString(
                  """
                  pekko.actor.provider = local
                  pekko.coordinated-shutdown.exit-jvm = off
                  pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                  """)
              .withFallback(ConfigFactory.load()));

  private static final Json json =
      new Json(
          JacksonObjectMapperProvider.get(testKit.system())
              .getOrCreate("meridian-http", Optional.empty()));
  private static final ActorRef<User.Reply> replyTo = testKit.<User.Reply>createTestProbe().ref();
  private static final Regions REGIONS = Regions.of("us", "eu", "ap");

  @AfterContainer
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** How a string reaches the server inside a JSON body. */
  enum Encoding {
    /** Every non-ASCII or special character as a JSON {@code \\uXXXX} escape (lone ones too). */
    ESCAPED,
    /** UTF-8 bytes, an unpaired surrogate as its 3-byte form (what a lax encoder emits). */
    RAW_BYTES
  }

  // ---------------------------------------------------------------- properties

  @Property(tries = 1500)
  void profileValuesAreRefusedOrStoredIntact(
      @ForAll("profileFields") String field,
      @ForAll("texts") String value,
      @ForAll Encoding encoding) {
    byte[] body = body(encoding, Map.of(field, value));
    boolean accepted =
        acceptedOrRefused(
            () -> {
              // UserRoutes.updateProfile
              ObjectNode parsed = json.object(body);
              Validation.onlyFields(parsed, User.PROFILE_FIELDS);
              Map<String, String> changes = new LinkedHashMap<>();
              for (String name : User.PROFILE_FIELDS) {
                String text = Validation.optionalText(parsed, name);
                if (text != null) changes.put(name, Validation.profileField(name, text));
              }
              assertRoundTrips(new User.UpdateProfile(changes, replyTo));
              assertRoundTrips(new User.ProfileUpdated(changes, 1_700_000_000_000L, "us", 2L));
              assertRoundTrips(new User.Accepted(view(changes, List.of())));
            });
    Statistics.label("profile " + field).collect(accepted ? "accepted" : "refused");
  }

  @Property(tries = 500)
  void createdUserIdsAndHomesAreRefusedOrStoredIntact(
      @ForAll("ids") String userId, @ForAll("regionNames") String home, @ForAll Encoding encoding) {
    byte[] body = body(encoding, Map.of("userId", userId, "homeRegion", home));
    boolean accepted =
        acceptedOrRefused(
            () -> {
              // UserRoutes.create
              ObjectNode parsed = json.object(body);
              Validation.onlyFields(parsed, Set.of("userId", "homeRegion"));
              String id = Validation.id("userId", Validation.requiredText(parsed, "userId"));
              String region =
                  Validation.region(
                      REGIONS, "homeRegion", Validation.optionalText(parsed, "homeRegion"));
              assertRoundTrips(new User.Create(region, replyTo));
              assertRoundTrips(new User.UserCreated(id, region, 1L));
            });
    Statistics.label("create").collect(accepted ? "accepted" : "refused");
  }

  @Property(tries = 500)
  void deviceIdsFromThePathAreRefusedOrStoredIntact(@ForAll("ids") String rawDeviceId) {
    boolean accepted =
        acceptedOrRefused(
            () -> {
              // UserRoutes: PUT /v1/users/{id}/devices/{deviceId}
              String deviceId = Validation.id("deviceId", rawDeviceId);
              ORSet<String> devices = ORSet.empty(new ReplicaId("us"));
              ORSet.DeltaOp add = devices.add(deviceId);
              assertRoundTrips(new User.AddDevice(deviceId, replyTo));
              assertRoundTrips(
                  new User.DevicesChanged(
                      deviceId,
                      true,
                      new ORSet.FullStateDeltaOp<>(devices.applyOperation(add)),
                      3L));
              assertRoundTrips(new User.Accepted(view(Map.of(), List.of(deviceId))));
            });
    Statistics.label("device").collect(accepted ? "accepted" : "refused");
  }

  @Property(tries = 1000)
  void paymentsAreRefusedOrStoredIntact(
      @ForAll("ids") String paymentId,
      @ForAll("kinds") String kind,
      @ForAll("amounts") String amount,
      @ForAll Encoding encoding) {
    byte[] body = body(encoding, Map.of("paymentId", paymentId, "kind", kind, "amount", amount));
    boolean accepted =
        acceptedOrRefused(
            () -> {
              // PaymentRoutes.pay
              ObjectNode parsed = json.object(body);
              Validation.onlyFields(parsed, Set.of("paymentId", "kind", "amount"));
              String id = Validation.id("paymentId", Validation.requiredText(parsed, "paymentId"));
              User.PaymentKind paymentKind =
                  switch (Validation.requiredText(parsed, "kind")) {
                    case "credit" -> User.PaymentKind.CREDIT;
                    case "debit" -> User.PaymentKind.DEBIT;
                    default -> throw ApiError.badRequest("invalid_field", "kind");
                  };
              BigDecimal value = Validation.amount(parsed);
              assertRoundTrips(new User.RecordPayment(id, paymentKind, value, replyTo));
              assertRoundTrips(new User.PaymentRecorded(id, paymentKind, value, "us", 1, 7L));
              assertRoundTrips(
                  new User.PaymentFound(id, new User.Payment(paymentKind, value, "us", 1)));
            });
    Statistics.label("payment").collect(accepted ? "accepted" : "refused");
  }

  @Property(tries = 500)
  void pointsAreRefusedOrStoredIntact(@ForAll("numbers") String delta) {
    byte[] body = ("{\"delta\":" + delta + "}").getBytes(StandardCharsets.UTF_8);
    boolean accepted =
        acceptedOrRefused(
            () -> {
              // UserRoutes.adjustPoints
              ObjectNode parsed = json.object(body);
              Validation.onlyFields(parsed, Set.of("delta"));
              long value = Validation.pointsDelta(parsed);
              assertRoundTrips(new User.AdjustPoints(value, replyTo));
              assertRoundTrips(new User.PointsAdjusted(value, 3L));
            });
    Statistics.label("points").collect(accepted ? "accepted" : "refused");
  }

  // ---------------------------------------------------------------- checks

  /**
   * Runs the route's steps: true if they accepted the input (and so the round trips inside held),
   * false if the API refused it with a 4xx. Anything else (a serialization failure, a 5xx) fails.
   */
  private static boolean acceptedOrRefused(Runnable routeSteps) {
    try {
      routeSteps.run();
      return true;
    } catch (ApiError refused) {
      int status = refused.status().intValue();
      assertTrue(status >= 400 && status < 500, () -> "not a 4xx: " + refused);
      return false;
    }
  }

  /** Through the serializer bound to the value, which must be Jackson CBOR, back to an equal. */
  private static void assertRoundTrips(Object message) {
    var serializer = SerializationExtension.get(testKit.system()).findSerializerFor(message);
    assertTrue(
        serializer instanceof JacksonCborSerializer,
        () -> message.getClass() + " is serialized by " + serializer);
    testKit.serializationTestKit().verifySerialization(message, true);
  }

  private static User.View view(Map<String, String> profile, List<String> devices) {
    return new User.View(
        "u-1",
        "us",
        "us",
        1,
        profile,
        0,
        devices,
        BigDecimal.ZERO.setScale(2),
        false,
        Map.of("us", 1L));
  }

  // ---------------------------------------------------------------- bodies

  private static byte[] body(Encoding encoding, Map<String, String> fields) {
    var out = new ByteArrayOutputStream();
    out.writeBytes("{".getBytes(StandardCharsets.US_ASCII));
    boolean first = true;
    for (var field : new java.util.TreeMap<>(fields).entrySet()) {
      if (!first) out.write(',');
      first = false;
      writeString(out, field.getKey(), encoding);
      out.write(':');
      writeString(out, field.getValue(), encoding);
    }
    out.write('}');
    return out.toByteArray();
  }

  private static void writeString(ByteArrayOutputStream out, String text, Encoding encoding) {
    out.write('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\' || c < 0x20) {
        out.writeBytes(String.format("\\u%04x", (int) c).getBytes(StandardCharsets.US_ASCII));
      } else if (c < 0x80) {
        out.write(c);
      } else if (encoding == Encoding.ESCAPED) {
        out.writeBytes(String.format("\\u%04x", (int) c).getBytes(StandardCharsets.US_ASCII));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.writeBytes(text.substring(i, i + 2).getBytes(StandardCharsets.UTF_8));
        i++;
      } else {
        // One UTF-16 unit as 1-3 UTF-8 bytes; a lone surrogate as its (invalid) 3-byte form.
        if (c < 0x800) {
          out.write(0xc0 | (c >> 6));
          out.write(0x80 | (c & 0x3f));
        } else {
          out.write(0xe0 | (c >> 12));
          out.write(0x80 | ((c >> 6) & 0x3f));
          out.write(0x80 | (c & 0x3f));
        }
      }
    }
    out.write('"');
  }

  // ---------------------------------------------------------------- generators

  @Provide
  Arbitrary<String> profileFields() {
    return Arbitraries.of("displayName", "email", "locale");
  }

  /** Characters that broke or might break a serializer, or that validation treats specially. */
  private static Arbitrary<String> trickyPieces() {
    return Arbitraries.of(
        "\ud800",
        "\udbff",
        "\udc00",
        "\udfff",
        "\ud83d\ude00",
        "\ud800\udc00",
        "\udbff\udfff",
        "\u0000",
        "\u001f",
        "\u007f",
        "\u0085",
        "\u00a0",
        "\u2028",
        "\u200b",
        "\ufeff",
        "\ufffd",
        "\ufffe",
        "\uffff",
        "\"",
        "\\",
        "@",
        ".",
        "-",
        "_",
        ":",
        " ",
        "é",
        "日本");
  }

  /** Text made of plain, tricky and arbitrary UTF-16 pieces (lone surrogates included). */
  @Provide
  Arbitrary<String> texts() {
    Arbitrary<String> plain = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> anyUnit = Arbitraries.chars().range('\u0000', '\uffff').map(String::valueOf);
    Arbitrary<String> piece =
        Arbitraries.frequencyOf(
            Tuple.of(6, plain), Tuple.of(3, trickyPieces()), Tuple.of(2, anyUnit));
    Arbitrary<String> free = piece.list().ofMaxSize(10).map(parts -> String.join("", parts));
    Arbitrary<String> email =
        Combinators.combine(free, free, plain)
            .as((local, domain, tld) -> local + "@" + domain + "." + tld);
    Arbitrary<String> locale =
        Combinators.combine(Arbitraries.of("en", "de", "pt", "zh"), free)
            .as((language, rest) -> language + "-" + rest);
    return Arbitraries.frequencyOf(
        Tuple.of(4, free),
        Tuple.of(3, email),
        Tuple.of(2, locale),
        Tuple.of(1, Arbitraries.of("Ada", "ada@example.org", "en-GB", "x".repeat(101))));
  }

  /** Ids: valid ones, and ones with every kind of wrong character. */
  @Provide
  Arbitrary<String> ids() {
    Arbitrary<String> valid =
        Arbitraries.strings()
            .withChars("abcXYZ0189._:-")
            .ofMinLength(1)
            .ofMaxLength(70)
            .map(s -> "a" + s);
    return Arbitraries.frequencyOf(Tuple.of(3, valid), Tuple.of(2, texts()));
  }

  @Provide
  Arbitrary<String> regionNames() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of("us", "eu", "ap")), Tuple.of(1, texts()));
  }

  @Provide
  Arbitrary<String> kinds() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of("credit", "debit")), Tuple.of(1, texts()));
  }

  /** Decimal strings, valid and not: scales, exponents, signs, huge and tiny magnitudes. */
  @Provide
  Arbitrary<String> amounts() {
    Arbitrary<String> decimal =
        Arbitraries.bigDecimals()
            .between(new BigDecimal("-10"), new BigDecimal("2000000000"))
            .ofScale(3)
            .map(BigDecimal::toPlainString);
    Arbitrary<String> scientific =
        Combinators.combine(
                Arbitraries.integers().between(-999, 999), Arbitraries.integers().between(-12, 12))
            .as((mantissa, exponent) -> mantissa + "E" + exponent);
    return Arbitraries.frequencyOf(
        Tuple.of(4, decimal),
        Tuple.of(2, scientific),
        Tuple.of(
            1,
            Arbitraries.of(
                "0.01",
                "1000000000",
                "1000000000.00",
                "1e9",
                "12.5",
                "00012.50",
                "+3",
                "1E+2",
                "0E-5",
                "NaN",
                "Infinity",
                "1e2147483647",
                "1e-2147483647")),
        Tuple.of(1, texts()));
  }

  /** JSON number texts: small and huge integers, fractions, exponents. */
  @Provide
  Arbitrary<String> numbers() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.longs().between(-2_000_000, 2_000_000).map(String::valueOf)),
        Tuple.of(1, Arbitraries.longs().map(String::valueOf)),
        Tuple.of(
            1,
            Arbitraries.of(
                "1.0",
                "1e3",
                "1E+3",
                "-0",
                "0.5",
                "99999999999999999999999",
                "1e400",
                "-1e-400",
                "1000000",
                "-1000000",
                "1000001")));
  }
}
