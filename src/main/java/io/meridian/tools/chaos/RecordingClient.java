package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sends a request through {@link MeridianHttp} and records it, with its outcome, in the {@link
 * History}.
 */
public final class RecordingClient {
  private final MeridianHttp http;
  private final History history;

  public RecordingClient(MeridianHttp http, History history) {
    this.http = http;
    this.history = history;
  }

  public MeridianHttp http() {
    return http;
  }

  public Operation call(
      int client,
      String region,
      String operation,
      Map<String, String> args,
      String method,
      String path,
      String body) {
    long startMillis = System.currentTimeMillis();
    long startNanos = System.nanoTime();
    MeridianHttp.Answer answer = http.send(region, method, path, body);
    long endNanos = System.nanoTime();
    long endMillis = System.currentTimeMillis();
    JsonNode user =
        answer.is2xx()
                && answer.json() != null
                && answer.json().has("userId")
                && answer.json().has("epoch")
            ? answer.json()
            : null;
    Operation recorded =
        new Operation(
            client,
            startMillis,
            endMillis,
            startNanos,
            endNanos,
            region,
            operation,
            args,
            answer.status(),
            answer.error(),
            Outcome.classify(answer.status(), answer.error(), answer.refused()),
            answer.servedBy(),
            user == null ? null : user.path("owner").asText(null),
            user == null ? -1 : user.path("epoch").asLong(-1),
            versionOf(user));
    history.record(recorded);
    return recorded;
  }

  private static Map<String, Long> versionOf(JsonNode user) {
    Map<String, Long> version = new TreeMap<>();
    if (user == null || !user.has("version")) return version;
    user.get("version")
        .fields()
        .forEachRemaining(entry -> version.put(entry.getKey(), entry.getValue().asLong()));
    return version;
  }
}
