package io.meridian.tools.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTest {

  @Test
  void writesOneJsonLinePerEntryWithItsType(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Path file = dir.resolve("history.jsonl");
    try (History history = new History(file, json)) {
      history.record(
          new Operation(
              2,
              1_000,
              1_200,
              5,
              7,
              "eu",
              "payment",
              Map.of("userId", "u1", "paymentId", "p-c2-1", "kind", "credit", "amount", "20.01"),
              503,
              "not_durable_yet",
              Outcome.INDETERMINATE,
              "eu",
              null,
              -1,
              Map.of()));
      history.record(new FaultRecord("kill", "us", 1_000, 30_000, "SIGKILL pid 42"));
      history.record(new StatusSample(1_500, "eu", "us", "down", 0));
      history.record(new ProcessExit(1_100, "us", "region us process exited (code 137)"));
      assertEquals(1, history.snapshot().operations().size());
    }
    History.Snapshot back = History.read(file, json);
    assertEquals(1, back.operations().size());
    assertEquals(Outcome.INDETERMINATE, back.operations().get(0).outcome());
    assertEquals("p-c2-1", back.operations().get(0).arg("paymentId"));
    assertEquals(
        new FaultRecord("kill", "us", 1_000, 30_000, "SIGKILL pid 42"), back.faults().get(0));
    assertEquals(1, back.statusSamples().size());
    assertEquals(1, back.exits().size());
    List<String> lines = Files.readAllLines(file);
    assertEquals(4, lines.size());
    JsonNode op = json.readTree(lines.get(0));
    assertEquals("op", op.path("type").asText());
    assertEquals("indeterminate", op.path("outcome").asText());
    assertEquals("p-c2-1", op.path("args").path("paymentId").asText());
    assertEquals(503, op.path("status").asInt());
    assertEquals(5, op.path("startNanos").asLong());
    assertEquals("fault", json.readTree(lines.get(1)).path("type").asText());
    assertEquals("kill", json.readTree(lines.get(1)).path("kind").asText());
    assertEquals("status", json.readTree(lines.get(2)).path("type").asText());
    assertEquals("exit", json.readTree(lines.get(3)).path("type").asText());
  }

  @Test
  void theReportSerializes(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    FaultPlan plan =
        FaultPlan.of(
            7, java.time.Duration.ofSeconds(40), FaultKind.all(), List.of("us", "eu", "ap"), 9);
    var snapshot = new History.Snapshot(List.of(), List.of(), List.of(), List.of());
    var state = new FinalState(Map.of(), Map.of(), true, 1_234, 60_000);
    var verdict = new Verdict(List.of(new Anomaly("false_down", "us", "reported down")), 1, 0);
    ChaosReport.of(plan, Map.of("rate", 30.0), snapshot, state, verdict)
        .write(dir.resolve("report.json"), json);
    JsonNode report = json.readTree(dir.resolve("report.json").toFile());
    assertEquals("FAIL", report.path("verdict").asText());
    assertEquals(7, report.path("seed").asLong());
    assertEquals(plan.faults().size(), report.path("plan").size());
    assertEquals(1, report.path("anomalyCounts").path("false_down").asInt());
    assertEquals(1_234, report.path("convergenceMillis").asLong());
    assertEquals(
        plan.faults().get(0).kind().label(), report.path("plan").get(0).path("kind").asText());
  }

  @Test
  void faultImpactCountsOutcomesAndTheLongestGapWithoutAnAcknowledgedWrite() {
    List<Operation> ops =
        List.of(
            op(900, 950, "points", 200, Outcome.OK),
            op(1_000, 2_000, "points", 200, Outcome.OK),
            op(1_500, 6_500, "profile", 0, Outcome.INDETERMINATE),
            op(3_000, 3_100, "read", 200, Outcome.OK), // a read is not a write
            op(4_000, 4_200, "payment", 503, Outcome.FAILED),
            op(7_000, 7_500, "payment", 201, Outcome.OK),
            op(9_000, 9_100, "points", 200, Outcome.OK));
    var impact =
        ChaosReport.FaultImpact.of(
            new FaultRecord("pause-cassandra", "cassandra", 1_000, 8_000, "SIGSTOP"), ops);
    assertEquals(7_000, impact.durationMillis());
    assertEquals(3, impact.ok());
    assertEquals(1, impact.failed());
    assertEquals(1, impact.indeterminate());
    assertEquals(5_500, impact.longestWithoutOkWriteMillis()); // 2.0 s .. 7.5 s
  }

  private static Operation op(long start, long end, String operation, int status, Outcome outcome) {
    return new Operation(
        0,
        start,
        end,
        start * 1_000_000,
        end * 1_000_000,
        "us",
        operation,
        Map.of("userId", "u1"),
        status,
        null,
        outcome,
        "us",
        null,
        -1,
        Map.of());
  }

  @Test
  void theFinalStateRoundTrips(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode doc =
        json.readTree(
            "{\"userId\":\"u1\",\"owner\":\"us\",\"epoch\":2,\"wallet\":{\"balance\":\"1.00\",\"overdraftFlagged\":false}}");
    var state =
        new FinalState(
            Map.of("u1", Map.of("us", doc, "eu", doc)), Map.of("p-1", 200), true, 2_500, 60_000);
    json.writeValue(dir.resolve("final-state.json").toFile(), state);
    assertEquals(state, json.readValue(dir.resolve("final-state.json").toFile(), FinalState.class));
  }

  @Test
  void endpointsKeepTheRegionOrderThePlanDependsOn() {
    var uris = new java.util.LinkedHashMap<String, java.net.URI>();
    for (String region : List.of("us", "eu", "ap", "sa", "af"))
      uris.put(region, java.net.URI.create("http://127.0.0.1:1"));
    assertEquals(
        List.of("us", "eu", "ap", "sa", "af"), new Endpoints(uris, "t", "a", 0).regionNames());
  }
}
