package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request body parser accepts I-JSON only (RFC 7493): each way a body can be syntactically
 * acceptable to a lenient parser but not I-JSON is a 400 {@code malformed_json}, and the valid
 * forms of the same text still parse.
 */
class StrictJsonTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "StrictJsonTest",
          ConfigFactory.parseString(
                  """
                  pekko.actor.provider = local
                  pekko.coordinated-shutdown.exit-jvm = off
                  pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                  """)
              .withFallback(ConfigFactory.load()));

  /** The API's parser, on the mapper the API uses. */
  private static final Json json =
      new Json(
          JacksonObjectMapperProvider.get(testKit.system())
              .getOrCreate("meridian-http", Optional.empty()));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  record Refused(String name, byte[] body, String messagePart) {
    static Refused text(String name, String body, String messagePart) {
      return new Refused(name, body.getBytes(StandardCharsets.UTF_8), messagePart);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Refused> refusedBodies() {
    return Stream.of(
        Refused.text("duplicate key", "{\"a\":1,\"a\":2}", "Duplicate field 'a'"),
        Refused.text(
            "duplicate key, same value, nested", "{\"x\":{\"a\":1,\"a\":1}}", "Duplicate field"),
        Refused.text("a second object after the first", "{\"a\":1} {\"b\":2}", "nothing after it"),
        Refused.text("a stray bracket after the object", "{\"a\":1}]", "not valid JSON"),
        Refused.text("a stray word after the object", "{\"a\":1} x", "not valid JSON"),
        Refused.text("a number after the object", "{\"a\":1} 2", "nothing after it"),
        Refused.text("escaped lone high surrogate", "{\"displayName\":\"\\ud800\"}", "surrogate"),
        Refused.text("escaped lone low surrogate", "{\"displayName\":\"\\udc00\"}", "surrogate"),
        Refused.text("high surrogate at the end", "{\"d\":\"ab\\uD800\"}", "surrogate"),
        Refused.text("high surrogate then a letter", "{\"d\":\"\\ud800x\"}", "surrogate"),
        Refused.text("a pair in the wrong order", "{\"d\":\"\\udc00\\ud800\"}", "surrogate"),
        Refused.text("lone surrogate in a member name", "{\"\\ud800\":1}", "member name"),
        Refused.text("lone surrogate deep in an array", "{\"a\":[\"ok\",\"\\udfff\"]}", "/a/1"),
        new Refused("invalid UTF-8 byte", bytes("{\"d\":\"", 0xff, "\"}"), "UTF-8"),
        new Refused("broken two-byte sequence", bytes("{\"d\":\"", 0xc3, 0x28, "\"}"), "UTF-8"),
        new Refused("overlong encoding of '/'", bytes("{\"d\":\"", 0xc0, 0xaf, "\"}"), "UTF-8"),
        new Refused(
            "a surrogate encoded in UTF-8 (CESU)",
            bytes("{\"d\":\"", 0xed, 0xa0, 0x80, "\"}"),
            "UTF-8"),
        new Refused("sequence cut at the end", bytes("{\"d\":\"x\"}", 0xe2, 0x82), "UTF-8"),
        Refused.text("a byte order mark", "\ufeff{\"a\":1}", "not valid JSON"),
        Refused.text(
            "nesting deeper than Jackson's limit (1000)",
            "{\"a\":" + "[".repeat(1500) + "]".repeat(1500) + "}",
            "nesting depth"),
        Refused.text("an array", "[1]", "must be a JSON object"),
        Refused.text("empty", "", "must be a JSON object"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedBodies")
  void refusedAsMalformedJson(Refused refused) {
    ApiError error = assertThrows(ApiError.class, () -> json.object(refused.body()));
    assertEquals(400, error.status().intValue());
    assertEquals("malformed_json", error.code());
    assertTrue(
        error.getMessage().contains(refused.messagePart()),
        () -> "message should name the problem (" + refused.messagePart() + "): " + error);
  }

  @Test
  void validUnicodeStillParsesEscapedOrRaw() {
    var escaped = json.object(utf8("{\"d\":\"\\ud83d\\ude00 caf\\u00e9\"}"));
    var raw = json.object(utf8("{\"d\":\"\ud83d\ude00 café\"}"));
    assertEquals("\ud83d\ude00 café", escaped.get("d").textValue());
    assertEquals(escaped, raw);
  }

  @Test
  void whitespaceAfterTheObjectIsNotATrailingToken() {
    assertEquals(1, json.object(utf8(" {\"a\":1}\r\n\t ")).get("a").intValue());
  }

  @Test
  void unpairedSurrogateDetection() {
    assertFalse(Json.hasUnpairedSurrogate(""));
    assertFalse(Json.hasUnpairedSurrogate("plain"));
    assertFalse(Json.hasUnpairedSurrogate("\ud83d\ude00\ud83d\ude00"));
    assertTrue(Json.hasUnpairedSurrogate("\ud83d"));
    assertTrue(Json.hasUnpairedSurrogate("\ude00"));
    assertTrue(Json.hasUnpairedSurrogate("\ud83d\ude00\ude00"));
    assertTrue(Json.hasUnpairedSurrogate("\ud83d\ud83d\ude00"));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Text parts as UTF-8 and integer parts as raw bytes, in order. */
  private static byte[] bytes(Object... parts) {
    var out = new java.io.ByteArrayOutputStream();
    for (Object part : parts) {
      if (part instanceof String text) out.writeBytes(utf8(text));
      else out.write((Integer) part);
    }
    return out.toByteArray();
  }
}
