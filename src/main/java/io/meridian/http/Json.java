package io.meridian.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/**
 * JSON in and out of the API, with Pekko's Jackson mapper.
 *
 * <p>A request body is accepted only as I-JSON (RFC 7493): UTF-8 without invalid byte sequences, no
 * duplicate member names, no unpaired surrogate in any string (also written as an escape, {@code
 * "\ud800"}), and exactly one value with nothing after it. Each of these is a 400 {@code
 * malformed_json} before any validation: a string the API accepted must be one every serializer
 * after it can write (an unpaired surrogate cannot be encoded as UTF-8, so the CBOR serializer of
 * the journal refused it, and the entity restarted; docs/decisions.md).
 */
final class Json {
  private final ObjectMapper mapper;
  private final ObjectReader strictReader;

  Json(ObjectMapper mapper) {
    this.mapper = mapper;
    this.strictReader =
        mapper
            .reader()
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /**
   * Parses a request body that must be one JSON object in strict UTF-8; anything else is a 400 with
   * the reason.
   */
  ObjectNode object(byte[] body) {
    JsonNode node;
    try {
      node = strictReader.readTree(strictUtf8(body));
    } catch (MismatchedInputException e) {
      // The only mismatch a tree read reports: FAIL_ON_TRAILING_TOKENS.
      throw ApiError.badRequest(
          "malformed_json", "the body must be one JSON object with nothing after it");
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest(
          "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject())
      throw ApiError.badRequest("malformed_json", "the body must be a JSON object");
    unpairedSurrogate(node)
        .ifPresent(
            where -> {
              throw ApiError.badRequest(
                  "malformed_json",
                  "the body has an unpaired UTF-16 surrogate (such as \\ud800) in "
                      + where
                      + "; send text as valid Unicode");
            });
    return (ObjectNode) node;
  }

  private static String strictUtf8(byte[] body) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = decoder.decode(ByteBuffer.wrap(body));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw ApiError.badRequest(
          "malformed_json", "the body is not valid UTF-8; send JSON encoded as UTF-8");
    }
  }

  /**
   * Where the first unpaired surrogate of the tree is (a member name or a string value, as a JSON
   * pointer), if any. Strict UTF-8 decoding already refused encoded surrogates; this finds the
   * escaped ones ({@code \ud800}), which Jackson turns into the same lone {@code char}.
   */
  static Optional<String> unpairedSurrogate(JsonNode node) {
    return unpairedSurrogate(node, "");
  }

  private static Optional<String> unpairedSurrogate(JsonNode node, String pointer) {
    if (node.isTextual())
      return hasUnpairedSurrogate(node.textValue())
          ? Optional.of(pointer.isEmpty() ? "the value" : "the value of " + pointer)
          : Optional.empty();
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
        Map.Entry<String, JsonNode> field = fields.next();
        // The name is not echoed: it is what cannot be written.
        if (hasUnpairedSurrogate(field.getKey()))
          return Optional.of("a member name of " + (pointer.isEmpty() ? "the body" : pointer));
        Optional<String> inside =
            unpairedSurrogate(field.getValue(), pointer + "/" + escapePointer(field.getKey()));
        if (inside.isPresent()) return inside;
      }
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        Optional<String> inside = unpairedSurrogate(node.get(i), pointer + "/" + i);
        if (inside.isPresent()) return inside;
      }
    }
    return Optional.empty();
  }

  /** Whether {@code text} has a high surrogate not followed by a low one, or a low one alone. */
  static boolean hasUnpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) i++;
        else return true;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static String escapePointer(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }

  HttpResponse response(StatusCode status, Object body, List<HttpHeader> headers) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, mapper.writeValueAsBytes(body))
          .addHeaders(headers);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + body.getClass(), e);
    }
  }

  HttpResponse error(StatusCode status, String code, String message, List<HttpHeader> headers) {
    return response(status, new ErrorBody(code, message), headers);
  }

  record ErrorBody(String error, String message) {}
}
