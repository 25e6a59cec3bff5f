package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.client.Answer;
import io.meridian.client.ApiRequest;
import io.meridian.client.CallResult;
import io.meridian.client.MeridianClient;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sends a request and records it, with its outcome, in the {@link History}: the workload's
 * operations through the product's Java client ({@link MeridianClient}: retries on another region
 * with one Idempotency-Key per operation, within {@link #OPERATION_DEADLINE}), so that the client
 * is exercised under every fault; set-up, checks and the fault injector's calls through {@link
 * MeridianHttp}, one request each.
 */
public final class RecordingClient {
  /** The most one workload operation may take, all its attempts included. */
  static final Duration OPERATION_DEADLINE = Duration.ofSeconds(10);

  private final MeridianHttp http;
  private final History history;
  private final MeridianClient client;

  public RecordingClient(MeridianHttp http, History history) {
    this.http = http;
    this.history = history;
    var builder =
        MeridianClient.builder()
            .token(http.endpoints().apiToken())
            .deadline(OPERATION_DEADLINE)
            .attemptTimeout(Duration.ofSeconds(5));
    http.endpoints().regions().forEach(builder::region);
    this.client = builder.build();
  }

  /**
   * One operation of the workload through the Java client, first sent to {@code region}; one line
   * of the history however many attempts it took. OK when it succeeded (with its key, applied
   * once); FAILED only when every attempt was refused before anything ran ({@link
   * Outcome#classify}) or the last was a 4xx with no uncertain attempt before it; else
   * INDETERMINATE.
   */
  public Operation call(
      int clientIndex,
      String region,
      String operation,
      Map<String, String> args,
      ApiRequest request) {
    long startMillis = System.currentTimeMillis();
    long startNanos = System.nanoTime();
    CallResult result = client.send(request.at(region));
    long endNanos = System.nanoTime();
    long endMillis = System.currentTimeMillis();
    Answer last = result.last();
    Outcome outcome =
        result.isSuccess()
            ? Outcome.OK
            : result.mayHaveBeenApplied()
                ? Outcome.INDETERMINATE
                : Outcome.classify(last.status(), last.errorCode(), last.refused());
    String error =
        last.isTransportFailure()
            ? (last.refused() ? "connection_refused" : last.failure())
            : last.status() >= 400
                ? (last.errorCode() == null ? "no_error_code" : last.errorCode())
                : null;
    JsonNode user = result.isSuccess() ? userDocument(last.body()) : null;
    Operation recorded =
        new Operation(
            clientIndex,
            startMillis,
            endMillis,
            startNanos,
            endNanos,
            region,
            operation,
            args,
            last.status(),
            error,
            outcome,
            last.servedBy(),
            user == null ? null : user.path("owner").asText(null),
            user == null ? -1 : user.path("epoch").asLong(-1),
            versionOf(user));
    history.record(recorded);
    return recorded;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode userDocument(String body) {
    try {
      JsonNode json = body == null ? null : JSON.readTree(body);
      return json != null && json.has("userId") && json.has("epoch") ? json : null;
    } catch (java.io.IOException e) {
      return null;
    }
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
