package io.meridian.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** JSON in and out of the API, with Pekko's Jackson mapper. */
final class Json {
  private final ObjectMapper mapper;

  Json(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** Parses a request body that must be a JSON object; anything else is a 400 with the reason. */
  ObjectNode object(String body) {
    JsonNode node;
    try {
      node = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest(
          "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject())
      throw ApiError.badRequest("malformed_json", "the body must be a JSON object");
    return (ObjectNode) node;
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
