package io.meridian.tools.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-made histories: a clean one passes, and each rule catches the history made to break it. */
class HistoryCheckerTest {
  private static final List<String> REGIONS = List.of("us", "eu", "ap");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String U = "u1";

  /** A history under construction; times are seconds (as millis and nanos) for readability. */
  private static final class Run {
    final List<Operation> ops = new ArrayList<>();
    final List<FaultRecord> faults = new ArrayList<>();
    final List<StatusSample> samples = new ArrayList<>();
    final List<ProcessExit> exits = new ArrayList<>();
    final Map<String, Integer> lookups = new HashMap<>();

    Run() {
      op(
          "create",
          Map.of("userId", U, "homeRegion", "us"),
          0,
          1,
          201,
          null,
          "us",
          1,
          Map.of("us", 1L));
    }

    Operation op(
        String operation,
        Map<String, String> args,
        double start,
        double end,
        int status,
        String error,
        String servedBy,
        long epoch,
        Map<String, Long> version) {
      Operation op =
          new Operation(
              0,
              (long) (start * 1000),
              (long) (end * 1000),
              (long) (start * 1e9),
              (long) (end * 1e9),
              servedBy == null ? "us" : servedBy,
              operation,
              args,
              status,
              error,
              Outcome.classify(status, error, false),
              servedBy,
              status / 100 == 2 && epoch > 0 ? "us" : null,
              status / 100 == 2 ? epoch : -1,
              version);
      ops.add(op);
      return op;
    }

    Run payment(
        String id,
        String kind,
        String amount,
        double start,
        double end,
        int status,
        String error,
        Integer lookup) {
      op(
          "payment",
          Map.of("userId", U, "paymentId", id, "kind", kind, "amount", amount),
          start,
          end,
          status,
          error,
          "us",
          0,
          Map.of());
      if (lookup != null) lookups.put(id, lookup);
      return this;
    }

    Run points(long delta, double start, double end, int status, String error) {
      op(
          "points",
          Map.of("userId", U, "delta", Long.toString(delta)),
          start,
          end,
          status,
          error,
          "eu",
          0,
          Map.of());
      return this;
    }

    Run device(
        String operation,
        String device,
        double start,
        double end,
        int status,
        String servedBy,
        Map<String, Long> version) {
      op(
          operation,
          Map.of("userId", U, "deviceId", device),
          start,
          end,
          status,
          status == 0 ? "HttpTimeoutException" : null,
          servedBy,
          0,
          version);
      return this;
    }

    Run profile(String field, String value, double start, double end, int status, String error) {
      op(
          "profile",
          Map.of("userId", U, "field", field, "value", value),
          start,
          end,
          status,
          error,
          "us",
          0,
          Map.of());
      return this;
    }

    Verdict check(JsonNode doc) {
      return check(everywhere(doc), true, 5_000);
    }

    Verdict check(Map<String, JsonNode> docs, boolean converged, long convergenceMillis) {
      var history = new History.Snapshot(ops, faults, samples, exits);
      var state = new FinalState(Map.of(U, docs), lookups, converged, convergenceMillis, 60_000);
      return new HistoryChecker(REGIONS).check(history, state);
    }
  }

  private static ObjectNode doc(
      Map<String, String> profile,
      long points,
      List<String> devices,
      String balance,
      boolean flagged) {
    ObjectNode doc =
        JSON.createObjectNode()
            .put("userId", U)
            .put("homeRegion", "us")
            .put("owner", "us")
            .put("epoch", 1);
    doc.set("profile", JSON.valueToTree(profile));
    doc.put("points", points);
    doc.set("devices", JSON.valueToTree(devices));
    doc.set(
        "wallet", JSON.createObjectNode().put("balance", balance).put("overdraftFlagged", flagged));
    doc.set("version", JSON.createObjectNode().put("us", 3));
    return doc;
  }

  private static ObjectNode plain() {
    return doc(Map.of(), 0, List.of(), "0.00", false);
  }

  private static Map<String, JsonNode> everywhere(JsonNode doc) {
    Map<String, JsonNode> docs = new LinkedHashMap<>();
    for (String region : REGIONS) docs.put(region, doc.deepCopy());
    return docs;
  }

  private static void assertOnly(Verdict verdict, String check) {
    assertTrue(verdict.has(check), "expected " + check + " in " + verdict.anomalies());
    assertTrue(
        verdict.anomalies().stream().allMatch(a -> a.check().equals(check)),
        "only " + check + " expected: " + verdict.anomalies());
  }

  // ---------------------------------------------------------------- a clean history

  @Test
  void aCleanHistoryPasses() {
    Run run =
        new Run()
            .payment("p1", "credit", "20.01", 1, 2, 201, null, 200)
            .payment("p2", "debit", "1.02", 3, 4, 201, null, 200)
            .payment(
                "p3", "credit", "20.03", 5, 10, 0, null,
                200) // timed out, then retried: acknowledged
            .payment("p3", "credit", "20.03", 11, 12, 201, null, null)
            .payment("p4", "debit", "1.04", 13, 14, 503, "region_unavailable", 404)
            .points(1, 1, 2, 200, null)
            .points(2, 3, 4, 503, "owner_unavailable") // indeterminate: may count
            .points(3, 5, 6, 400, "out_of_range") // failed: must not count
            .device("device-add", "d0", 1, 2, 200, "us", Map.of("us", 2L))
            .device("device-add", "d1", 1, 2, 200, "eu", Map.of("eu", 1L))
            .device("device-remove", "d1", 3, 4, 200, "eu", Map.of("eu", 2L))
            .profile("displayName", "c0-1", 1, 2, 200, null)
            .profile("displayName", "c0-2", 3, 4, 200, null);
    run.samples.add(new StatusSample(5_000, "eu", "us", "up", 12));
    Verdict verdict =
        run.check(doc(Map.of("displayName", "c0-2"), 3, List.of("d0"), "39.02", false));
    assertTrue(verdict.pass(), verdict.anomalies().toString());
    assertEquals(0, verdict.falseDowns());
  }

  // ---------------------------------------------------------------- convergence

  @Test
  void regionsThatDifferAreADivergence() {
    Map<String, JsonNode> docs = everywhere(plain());
    docs.put("ap", doc(Map.of(), 0, List.of(), "0.00", true));
    assertTrue(new Run().check(docs, true, 1_000).has("divergence"));
  }

  @Test
  void aRegionThatDoesNotServeTheUserIsReported() {
    Map<String, JsonNode> docs = everywhere(plain());
    docs.remove("ap");
    assertOnly(new Run().check(docs, true, 1_000), "user_missing");
  }

  @Test
  void notConvergingOrConvergingTooSlowlyFails() {
    assertOnly(new Run().check(everywhere(plain()), false, 60_000), "not_converged");
    assertOnly(new Run().check(everywhere(plain()), true, 61_000), "slow_convergence");
  }

  @Test
  void aUserNotBackHomeIsReported() {
    ObjectNode doc = plain().put("owner", "eu");
    assertOnly(new Run().check(doc), "not_home");
  }

  // ---------------------------------------------------------------- payments

  @Test
  void anAcknowledgedPaymentTheOwnerDoesNotKnowIsLost() {
    Run run = new Run().payment("p1", "credit", "20.01", 1, 2, 201, null, 404);
    assertTrue(run.check(doc(Map.of(), 0, List.of(), "20.01", false)).has("payment_lost"));
  }

  @Test
  void aFailedPaymentTheOwnerHasWasApplied() {
    Run run = new Run().payment("p1", "debit", "1.01", 1, 2, 409, "insufficient_funds", 200);
    assertTrue(run.check(plain()).has("failed_payment_applied"));
  }

  @Test
  void aMissingOrDuplicatedOrInventedPaymentBreaksTheBalance() {
    Run run =
        new Run()
            .payment("p1", "credit", "20.01", 1, 2, 201, null, 200)
            .payment("p2", "credit", "20.02", 3, 4, 201, null, 200);
    assertOnly(
        run.check(doc(Map.of(), 0, List.of(), "20.01", false)), "balance_mismatch"); // p2 lost
    assertOnly(
        run.check(doc(Map.of(), 0, List.of(), "60.04", false)),
        "balance_mismatch"); // p2 applied twice
    assertOnly(
        run.check(doc(Map.of(), 0, List.of(), "50.03", false)),
        "balance_mismatch"); // a payment nobody made
  }

  @Test
  void indeterminatePaymentsMayOrMayNotCountButFailedOnesNever() {
    Run run =
        new Run()
            .payment("p1", "credit", "20.01", 1, 2, 201, null, 200)
            .payment("p2", "credit", "20.02", 3, 8, 503, "not_durable_yet", null)
            .payment("p3", "debit", "1.03", 9, 10, 503, "ownership_unconfirmed", 404);
    assertTrue(run.check(doc(Map.of(), 0, List.of(), "20.01", false)).pass());
    assertTrue(run.check(doc(Map.of(), 0, List.of(), "40.03", false)).pass());
    assertOnly(run.check(doc(Map.of(), 0, List.of(), "18.98", false)), "balance_mismatch");
  }

  @Test
  void aNegativeBalanceMustBeFlagged() {
    Run run =
        new Run()
            .payment("p1", "credit", "20.00", 1, 2, 201, null, 200)
            .payment("p2", "debit", "15.00", 3, 4, 201, null, 200)
            .payment(
                "p3", "debit", "15.00", 3, 4, 201, null, 200); // two owners accepted a debit each
    assertOnly(run.check(doc(Map.of(), 0, List.of(), "-10.00", false)), "overdraft_not_flagged");
    assertTrue(run.check(doc(Map.of(), 0, List.of(), "-10.00", true)).pass());
  }

  @Test
  void aFlagThatNoInterleavingExplainsIsReported() {
    Run run =
        new Run()
            .payment("p1", "credit", "20.00", 1, 2, 201, null, 200)
            .payment("p2", "debit", "5.00", 3, 4, 201, null, 200);
    assertOnly(run.check(doc(Map.of(), 0, List.of(), "15.00", true)), "overdraft_unexplained");
  }

  // ---------------------------------------------------------------- points

  @Test
  void pointsAreAcknowledgedDeltasPlusSomeIndeterminateOnes() {
    Run run =
        new Run()
            .points(1, 1, 2, 200, null)
            .points(2, 3, 4, 0, "HttpTimeoutException")
            .points(4, 5, 6, 503, "region_unavailable");
    assertTrue(run.check(doc(Map.of(), 1, List.of(), "0.00", false)).pass());
    assertTrue(run.check(doc(Map.of(), 3, List.of(), "0.00", false)).pass());
    assertOnly(
        run.check(doc(Map.of(), 5, List.of(), "0.00", false)),
        "points_mismatch"); // the failed delta counted
    assertOnly(
        run.check(doc(Map.of(), 2, List.of(), "0.00", false)),
        "points_mismatch"); // the acknowledged delta lost
  }

  // ---------------------------------------------------------------- devices

  @Test
  void anAcknowledgedAddThatNoRemoveSawMustBePresent() {
    Run run = new Run().device("device-add", "d0", 1, 2, 200, "us", Map.of("us", 2L));
    assertOnly(run.check(plain()), "device_add_lost");
  }

  @Test
  void aRemoveThatSawTheAddRemovesIt() {
    Run run =
        new Run()
            .device("device-add", "d0", 1, 2, 200, "us", Map.of("us", 2L))
            .device("device-remove", "d0", 3, 4, 200, "eu", Map.of("us", 2L, "eu", 1L));
    assertTrue(run.check(plain()).pass());
    assertOnly(run.check(doc(Map.of(), 0, List.of("d0"), "0.00", false)), "device_resurrected");
  }

  @Test
  void aRemoveThatHadNotSeenTheAddLeavesItThere() {
    // The remove came later in real time, but eu had not applied us's add yet: add wins.
    Run run =
        new Run()
            .device("device-add", "d0", 1, 2, 200, "us", Map.of("us", 2L))
            .device("device-remove", "d0", 3, 4, 200, "eu", Map.of("us", 1L, "eu", 1L));
    assertTrue(run.check(doc(Map.of(), 0, List.of("d0"), "0.00", false)).pass());
    assertOnly(run.check(plain()), "device_add_lost");
  }

  @Test
  void anIndeterminateRemoveOrAddAllowsEither() {
    Run remove =
        new Run()
            .device("device-add", "d0", 1, 2, 200, "us", Map.of("us", 2L))
            .device("device-remove", "d0", 3, 8, 0, "eu", Map.of());
    assertTrue(remove.check(plain()).pass());
    assertTrue(remove.check(doc(Map.of(), 0, List.of("d0"), "0.00", false)).pass());
    Run add = new Run().device("device-add", "d1", 1, 6, 0, "us", Map.of());
    assertTrue(add.check(plain()).pass());
    assertTrue(add.check(doc(Map.of(), 0, List.of("d1"), "0.00", false)).pass());
  }

  @Test
  void aDeviceNeverAddedIsResurrected() {
    assertOnly(
        new Run().check(doc(Map.of(), 0, List.of("d9"), "0.00", false)), "device_resurrected");
  }

  // ---------------------------------------------------------------- profile

  @Test
  void theLastAcknowledgedWriteWinsWhenNothingOverlapsIt() {
    Run run =
        new Run()
            .profile("email", "a@example.org", 1, 2, 200, null)
            .profile("email", "b@example.org", 3, 4, 200, null);
    assertTrue(
        run.check(doc(Map.of("email", "b@example.org"), 0, List.of(), "0.00", false)).pass());
    assertOnly(
        run.check(doc(Map.of("email", "a@example.org"), 0, List.of(), "0.00", false)),
        "profile_not_last_write");
    assertOnly(run.check(plain()), "profile_not_last_write");
  }

  @Test
  void overlappingAndIndeterminateWritesMayWin() {
    Run run =
        new Run()
            .profile("displayName", "c0-1", 1, 3, 200, null)
            .profile("displayName", "c1-1", 2, 4, 200, null) // overlaps the last one
            .profile(
                "displayName", "c2-1", 0.5, 0.9, 503, "owner_unavailable"); // may be executed late
    for (String value : List.of("c0-1", "c1-1", "c2-1")) {
      assertTrue(
          run.check(doc(Map.of("displayName", value), 0, List.of(), "0.00", false)).pass(), value);
    }
  }

  @Test
  void aFailedWriteMustNotBeTheValue() {
    Run run =
        new Run()
            .profile("locale", "en-c0-s1", 1, 2, 200, null)
            .profile("locale", "en-c0-s2", 3, 4, 503, "region_unavailable");
    assertOnly(
        run.check(doc(Map.of("locale", "en-c0-s2"), 0, List.of(), "0.00", false)),
        "profile_failed_write_applied");
  }

  // ---------------------------------------------------------------- ownership, HTTP, downs, exits

  @Test
  void twoOwnersInOneEpochAreReported() {
    Run run = new Run();
    Operation first = run.ops.get(0);
    run.ops.add(
        new Operation(
            1,
            5_000,
            6_000,
            5_000_000_000L,
            6_000_000_000L,
            "eu",
            "read",
            Map.of("userId", U),
            200,
            null,
            Outcome.OK,
            "eu",
            "eu",
            1,
            Map.of()));
    assertEquals("us", first.owner());
    assertOnly(run.check(plain()), "two_owners_in_epoch");
  }

  @Test
  void aRegionThatForgetsAUserIsReported() {
    Run run = new Run().points(1, 1, 2, 200, null).points(2, 3, 4, 404, "unknown_user");
    assertOnly(run.check(doc(Map.of(), 1, List.of(), "0.00", false)), "unknown_user_after_create");
  }

  @Test
  void anUndocumentedServerErrorIsReported() {
    Run run = new Run().points(1, 1, 2, 500, "internal_error");
    Verdict verdict = run.check(plain());
    assertTrue(verdict.has("undocumented_5xx"), verdict.anomalies().toString());
    assertFalse(
        new Run()
            .points(1, 1, 2, 503, "not_durable_yet")
            .check(doc(Map.of(), 1, List.of(), "0.00", false))
            .has("undocumented_5xx"));
  }

  @Test
  void aRegionDownWithoutAFaultIsAFalseDown() {
    Run run = new Run();
    run.faults.add(new FaultRecord("kill", "eu", 10_000, 30_000, "SIGKILL"));
    run.samples.add(new StatusSample(20_000, "us", "eu", "down", 0)); // during the fault: fine
    run.samples.add(new StatusSample(35_000, "ap", "eu", "down", 0)); // within the grace: fine
    run.samples.add(new StatusSample(50_000, "us", "ap", "down", 0)); // ap was never faulted
    run.samples.add(new StatusSample(51_000, "eu", "ap", "down", 0)); // the same episode
    run.samples.add(new StatusSample(90_000, "us", "eu", "down", 0)); // long after eu's fault
    Verdict verdict = run.check(plain());
    assertOnly(verdict, "false_down");
    assertEquals(2, verdict.falseDowns());
  }

  @Test
  void aMoveDoesNotExcuseADown() {
    Run run = new Run();
    run.faults.add(new FaultRecord("move", "eu", 10_000, 11_000, "move"));
    run.samples.add(new StatusSample(10_500, "us", "eu", "down", 0));
    assertOnly(run.check(plain()), "false_down");
  }

  @Test
  void aProcessExitWithoutAFaultIsUnexpected() {
    Run run = new Run();
    run.faults.add(new FaultRecord("pause-region", "us", 10_000, 20_000, "SIGSTOP"));
    run.exits.add(
        new ProcessExit(25_000, "us", "region us process exited (code 1)")); // downed while paused
    run.exits.add(new ProcessExit(25_000, "ap", "region ap process exited (code 1)"));
    Verdict verdict = run.check(plain());
    assertOnly(verdict, "unexpected_exit");
    assertEquals(1, verdict.anomalies().size());
  }
}
