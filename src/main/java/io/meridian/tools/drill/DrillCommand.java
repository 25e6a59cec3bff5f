package io.meridian.tools.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./meridian drill --region us}: a region drill (down → re-home → up → hand back) against
 * the demo or the given endpoints, through {@code POST /v1/admin/drills} on a node of another
 * region, which runs it, writes while it runs and checks the writes at the end. Prints each step as
 * it ends and the table of step timings; exit status 0 only if every step was done and no
 * acknowledged write was lost.
 */
@Command(
    name = "drill",
    mixinStandardHelpOptions = true,
    description = {
      "A timed region drill: down, re-home, up, hand back, with writes checked (docs/console.md).",
      "Example: ./meridian drill --region us   (against ./meridian demo, MERIDIAN_ADMIN_TOKEN set)",
      "         ./meridian drill --region eu --endpoints"
          + " us=http://127.0.0.1:8081,eu=http://127.0.0.1:8082,ap=http://127.0.0.1:8083"
          + " --admin-token $MERIDIAN_ADMIN_TOKEN"
    })
public final class DrillCommand implements Callable<Integer> {
  /** Progress and the table, through SLF4J (the launcher's logback prints them on the terminal). */
  private static final Logger log = LoggerFactory.getLogger("meridian.drill");

  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--region", required = true, description = "The region to drill.")
  String region;

  @Option(
      names = "--endpoints",
      split = ",",
      defaultValue = "us=http://127.0.0.1:8081,eu=http://127.0.0.1:8082,ap=http://127.0.0.1:8083",
      description = "Region=URL of each region's HTTP API (default: the demo's, ${DEFAULT-VALUE}).")
  Map<String, URI> endpoints;

  @Option(
      names = "--admin-token",
      description = "Bearer token with the admin scope (default: $MERIDIAN_ADMIN_TOKEN).")
  String adminToken;

  @Option(
      names = "--users",
      description = "Drill users to create in the region and write to (default: the node's).")
  Integer users;

  @Option(
      names = "--timeout",
      defaultValue = "15m",
      converter = io.meridian.tools.demo.DemoCommand.DurationConverter.class,
      description = "Give up waiting for the drill after this (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Override
  public Integer call() throws Exception {
    String token =
        adminToken != null ? adminToken : System.getenv().getOrDefault("MERIDIAN_ADMIN_TOKEN", "");
    if (token.isBlank()) {
      log.error(
          "drill: no admin token: pass --admin-token or set MERIDIAN_ADMIN_TOKEN (./meridian demo"
              + " prints it)");
      return 2;
    }
    if (!endpoints.containsKey(region)) {
      log.error("drill: no endpoint for region {} in {}", region, endpoints.keySet());
      return 2;
    }
    Map.Entry<String, JsonNode> started = start(token);
    if (started == null) return 1;
    URI via = endpoints.get(started.getKey());
    String id = started.getValue().path("id").asText();
    log.info(
        "drill {}: region {} (successor {}), run by region {}",
        id,
        region,
        started.getValue().path("successor").asText(),
        started.getKey());
    JsonNode progress = follow(via, token, id);
    if (progress == null) return 1;
    for (String line : table(progress)) log.info("{}", line);
    return "passed".equals(progress.path("status").asText()) ? 0 : 1;
  }

  /**
   * Starts the drill on the first node of another region that accepts it: (its region, progress).
   */
  private Map.Entry<String, JsonNode> start(String token) throws InterruptedException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("region", region);
    if (users != null) body.put("users", users);
    for (var endpoint : endpoints.entrySet()) {
      if (endpoint.getKey().equals(region)) continue;
      try {
        HttpResponse<String> answer =
            http.send(
                HttpRequest.newBuilder(endpoint.getValue().resolve("/v1/admin/drills"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 202)
          return Map.entry(endpoint.getKey(), JSON.readTree(answer.body()));
        log.error(
            "drill: {} refused: HTTP {} {}",
            endpoint.getValue(),
            answer.statusCode(),
            answer.body());
        if (answer.statusCode() != 503) return null;
      } catch (java.io.IOException e) {
        log.warn("drill: {} does not answer ({}); trying another region", endpoint.getValue(), e);
      }
    }
    log.error("drill: no node of another region accepted the drill");
    return null;
  }

  /** Polls the drill until it ends, logging each step as it changes; null on timeout. */
  private JsonNode follow(URI via, String token, String id) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, String> seen = new LinkedHashMap<>();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(via.resolve("/v1/admin/drills/" + id))
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + token)
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() != 200) {
        log.error("drill {}: HTTP {} {}", id, answer.statusCode(), answer.body());
        return null;
      }
      JsonNode progress = JSON.readTree(answer.body());
      for (JsonNode step : progress.path("steps")) {
        String state = step.path("state").asText();
        String name = step.path("name").asText();
        if (!state.equals(seen.put(name, state)) && !state.equals("pending"))
          log.info(
              "drill {}: {} {}{}",
              id,
              name,
              state,
              step.path("tookMillis").isNumber()
                  ? String.format(
                      " in %.2f s: %s",
                      step.path("tookMillis").asLong() / 1000.0, step.path("detail").asText())
                  : "");
      }
      if (!progress.path("status").asText().equals("running")) return progress;
      Thread.sleep(1000);
    }
    log.error("drill {}: not finished within {}", id, timeout);
    return null;
  }

  /** The table of step timings, users moved, the writes and the verdict. */
  static List<String> table(JsonNode progress) {
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            "drill %s of region %s (successor %s, run by %s)",
            progress.path("id").asText(),
            progress.path("region").asText(),
            progress.path("successor").asText(),
            progress.path("runBy").asText()));
    lines.add(String.format("%-10s %-8s %9s  %s", "step", "state", "took (s)", "detail"));
    for (JsonNode step : progress.path("steps"))
      lines.add(
          String.format(
              "%-10s %-8s %9s  %s",
              step.path("name").asText(),
              step.path("state").asText(),
              step.path("tookMillis").isNumber()
                  ? String.format("%.2f", step.path("tookMillis").asLong() / 1000.0)
                  : "-",
              step.path("detail").asText()));
    JsonNode writes = progress.path("writes");
    lines.add(
        String.format(
            "users moved: %s, handed back: %s",
            count(progress.path("usersMoved")), count(progress.path("usersHandedBack"))));
    lines.add(
        String.format(
            "writes: %d acknowledged of %d sent, %d refused or unanswered, %d lost",
            writes.path("acknowledged").asLong(),
            writes.path("sent").asLong(),
            writes.path("failed").asLong(),
            writes.path("lost").asLong()));
    for (JsonNode example : writes.path("lostExamples")) lines.add("  lost: " + example.asText());
    long took =
        progress.path("finishedAt").asLong(progress.path("startedAt").asLong())
            - progress.path("startedAt").asLong();
    lines.add(
        String.format(
            "result: %s (%s) in %.1f s",
            progress.path("status").asText(), progress.path("message").asText(), took / 1000.0));
    return lines;
  }

  private static String count(JsonNode value) {
    return value.asLong(-1) < 0 ? "?" : value.asText();
  }
}
