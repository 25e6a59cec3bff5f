package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The contract (docs/openapi.yaml) and the code name the same endpoints: every endpoint the server
 * answers under {@code /v1} is one of {@link EndpointScopes#ALL} (authorization answers 404/405 for
 * anything else before a route runs), so the table and the contract's operations must be the same
 * set, each with the same scope ({@code x-meridian-scope}). Whether the answers match the schemas
 * is ContractIT's and ContractRecordingsIT's.
 */
class ContractCoverageTest {
  private static final JsonNode CONTRACT = ContractValidator.contractTree();
  private static final Set<String> METHODS = Set.of("get", "put", "post", "patch", "delete");

  /** Writes that take an Idempotency-Key: every user write but the payment (its paymentId). */
  private static final Set<String> KEYED_WRITES =
      Set.of(
          "POST /v1/users",
          "PATCH /v1/users/{userId}/profile",
          "POST /v1/users/{userId}/points",
          "PUT /v1/users/{userId}/devices/{deviceId}",
          "DELETE /v1/users/{userId}/devices/{deviceId}",
          "POST /v1/users/{userId}/move",
          "PUT /v1/users/{userId}/cohort");

  private static Map<String, String> contractOperations() {
    Map<String, String> operations = new java.util.TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = CONTRACT.get("paths").fields();
        paths.hasNext(); ) {
      var path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
        var op = ops.next();
        if (!METHODS.contains(op.getKey())) continue;
        operations.put(
            op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey(),
            op.getValue().path("x-meridian-scope").asText(""));
      }
    }
    return operations;
  }

  @Test
  void everyEndpointOfTheServerIsInTheContractWithItsScope() {
    Map<String, String> table = new java.util.TreeMap<>();
    for (EndpointScopes.Endpoint e : EndpointScopes.ALL)
      table.put(e.method() + " " + e.path(), e.scope().configName());
    Map<String, String> contract = new java.util.TreeMap<>(contractOperations());
    contract.remove("GET /metrics"); // outside /v1: no token, no scope
    assertEquals(table, contract);
  }

  @Test
  void theContractIsValidOpenApi() {
    var options = new ParseOptions();
    options.setResolve(true);
    var result = new OpenAPIV3Parser().readContents(yaml(), null, options);
    assertEquals(List.of(), result.getMessages() == null ? List.of() : result.getMessages());
    assertTrue(result.getOpenAPI().getOpenapi().startsWith("3.0"));
  }

  @Test
  void everyKeyedWriteTakesAnIdempotencyKeyAndDocuments422() {
    Set<String> keyed = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = CONTRACT.get("paths").fields();
        paths.hasNext(); ) {
      var path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
        var op = ops.next();
        for (JsonNode parameter : op.getValue().path("parameters")) {
          if (parameter.path("$ref").asText().endsWith("/IdempotencyKey")) {
            String name = op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey();
            keyed.add(name);
            assertTrue(op.getValue().path("responses").has("422"), name + " documents 422");
          }
        }
      }
    }
    assertEquals(new TreeSet<>(KEYED_WRITES), keyed);
  }

  @Test
  void everyResponseOfEveryOperationDeclaresServedBy() {
    List<String> missing = new ArrayList<>();
    JsonNode shared = CONTRACT.at("/components/responses");
    for (Iterator<Map.Entry<String, JsonNode>> paths = CONTRACT.get("paths").fields();
        paths.hasNext(); ) {
      var path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
        var op = ops.next();
        if (!METHODS.contains(op.getKey())) continue;
        for (Iterator<Map.Entry<String, JsonNode>> responses =
                op.getValue().get("responses").fields();
            responses.hasNext(); ) {
          var response = responses.next();
          JsonNode body = response.getValue();
          String ref = body.path("$ref").asText("");
          if (!ref.isEmpty()) body = shared.get(ref.substring(ref.lastIndexOf('/') + 1));
          if (!body.path("headers").has("X-Meridian-Served-By"))
            missing.add(op.getKey() + " " + path.getKey() + " " + response.getKey());
        }
      }
    }
    assertEquals(List.of(), missing);
  }

  /** What the node serves at GET /v1/openapi.json is docs/openapi.yaml, as JSON. */
  @Test
  void theServedContractIsTheFileInDocs() throws Exception {
    assertEquals(CONTRACT, new ObjectMapper().readTree(ContractRoutes.contractAsJson()));
  }

  private static String yaml() {
    try {
      return Files.readString(ContractValidator.CONTRACT);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
