package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The request body every route that takes one reads: a JSON object within {@code
 * meridian.http.max-body-bytes}, read as bytes and decoded strictly by {@link Json#object} (the
 * {@code charset} of the content type is ignored: JSON is UTF-8, RFC 8259 section 8.1).
 */
final class RequestBody {
  private final Json json;
  private final long maxBytes;

  RequestBody(Json json, long maxBytes) {
    this.json = json;
    this.maxBytes = maxBytes;
  }

  /** A JSON object body within the size limit; 415 for another content type, 413 when too large. */
  Route json(Function<ObjectNode, Route> inner) {
    return extractRequestEntity(
        entity -> {
          if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
            throw new ApiError(
                StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json");
          }
          if (entity.getContentLengthOption().orElse(0L) > maxBytes) throw tooLarge();
          return extractStrictEntity(
              Duration.ofSeconds(5),
              maxBytes,
              strict -> inner.apply(json.object(strict.getData().toArray())));
        });
  }

  /**
   * Also what a body that turns out larger while streaming is answered with (the exception
   * handler).
   */
  ApiError tooLarge() {
    return new ApiError(
        StatusCodes.PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the body must be at most " + maxBytes + " bytes");
  }
}
