package io.meridian.http;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.cluster.ContractRecorder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks recorded exchanges against the API contract, docs/openapi.yaml, with Atlassian's
 * swagger-request-validator (OpenAPI 3.0): the status must be one the operation documents, the body
 * must match that response's schema and content type, and the headers it declares required
 * (X-Meridian-Served-By on every answer, WWW-Authenticate on 401/403, Retry-After on 429) must be
 * there. A request that was answered 2xx must match the operation's request schema too: a request
 * the server accepts is one the contract allows; a refused one (4xx, 5xx) need not, it is often
 * refused because it does not.
 *
 * <p>A request for no endpoint of the contract must be answered 401 (no token, checked first), 404
 * or 405 with the error body.
 */
public final class ContractValidator {
  public static final Path CONTRACT = Path.of("docs", "openapi.yaml");

  /** The answers for requests that match no operation of the contract. */
  private static final Set<Integer> NO_ENDPOINT_STATUSES = Set.of(401, 404, 405);

  private static final Set<String> NO_OPERATION_KEYS =
      Set.of("validation.request.path.missing", "validation.request.operation.notAllowed");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final OpenApiInteractionValidator validator;

  private ContractValidator(OpenApiInteractionValidator validator) {
    this.validator = validator;
  }

  /** The contract of this checkout (docs/openapi.yaml under the project directory). */
  public static ContractValidator ofProject() {
    Path contract = Path.of(System.getProperty("meridian.project.dir", ".")).resolve(CONTRACT);
    try {
      return new ContractValidator(
          OpenApiInteractionValidator.createForInlineApiSpecification(Files.readString(contract))
              .build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What is wrong with {@code exchange} by the contract; empty when it conforms. */
  public List<String> violations(ContractRecorder.Exchange exchange) {
    String path = exchange.path();
    String query = null;
    int mark = path.indexOf('?');
    if (mark >= 0) {
      query = path.substring(mark + 1);
      path = path.substring(0, mark);
    }
    if (!path.startsWith("/v1/") && !path.equals("/metrics")) return List.of(); // console, health

    var request = new SimpleRequest.Builder(exchange.method(), path);
    exchange.requestHeaders().forEach(request::withHeader);
    if (exchange.requestBody() != null) request.withBody(exchange.requestBody());
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        request.withQueryParam(name, value);
      }
    }
    var response = new SimpleResponse.Builder(exchange.status());
    exchange.responseHeaders().forEach(response::withHeader);
    if (exchange.responseBody() != null && !exchange.responseBody().isEmpty())
      response.withBody(exchange.responseBody());

    ValidationReport report = validator.validate(request.build(), response.build());
    boolean noOperation =
        report.getMessages().stream().anyMatch(m -> NO_OPERATION_KEYS.contains(m.getKey()));
    if (noOperation) return noEndpointViolations(exchange);

    boolean accepted = exchange.status() >= 200 && exchange.status() < 300;
    List<String> violations = new ArrayList<>();
    for (ValidationReport.Message message : report.getMessages()) {
      if (message.getLevel() != ValidationReport.Level.ERROR) continue;
      if (!accepted && message.getKey().startsWith("validation.request")) continue;
      violations.add(describe(exchange, message.getKey() + ": " + message.getMessage()));
    }
    return violations;
  }

  private static List<String> noEndpointViolations(ContractRecorder.Exchange exchange) {
    if (!NO_ENDPOINT_STATUSES.contains(exchange.status()))
      return List.of(describe(exchange, "a request for no endpoint of the contract was answered"));
    if (!isErrorBody(exchange.responseBody()))
      return List.of(describe(exchange, "not the error body {\"error\",\"message\"}"));
    return List.of();
  }

  private static boolean isErrorBody(String body) {
    try {
      JsonNode json = JSON.readTree(body);
      return json != null
          && json.isObject()
          && json.size() == 2
          && json.path("error").isTextual()
          && json.path("message").isTextual();
    } catch (IOException e) {
      return false;
    }
  }

  private static String describe(ContractRecorder.Exchange exchange, String problem) {
    String body = exchange.responseBody() == null ? "" : exchange.responseBody();
    if (body.length() > 300) body = body.substring(0, 300) + "...";
    return exchange.method()
        + " "
        + exchange.path()
        + " -> "
        + exchange.status()
        + " "
        + body
        + ": "
        + problem;
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }

  /** The contract as a JSON tree (for the tests that compare it with the code). */
  public static JsonNode contractTree() {
    Path contract = Path.of(System.getProperty("meridian.project.dir", ".")).resolve(CONTRACT);
    try {
      return new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
          .readTree(contract.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
