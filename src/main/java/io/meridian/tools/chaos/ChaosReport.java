package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * report.json: what ran (seed, plan, faults as injected), what happened (counts) and the verdict.
 */
public record ChaosReport(
    String verdict,
    long seed,
    long durationMillis,
    List<String> regions,
    Map<String, Object> options,
    List<PlannedFault> plan,
    List<FaultRecord> faults,
    List<FaultImpact> faultImpact,
    Map<String, Map<String, Integer>> operations,
    int usersChecked,
    long convergenceMillis,
    boolean converged,
    int falseDowns,
    int processExits,
    Map<String, Integer> anomalyCounts,
    List<Anomaly> anomalies) {

  /**
   * What one fault cost the clients: operations that ended during it (start to recorded end) by
   * outcome, and the longest stretch without an acknowledged write (for issue 12's "a Cassandra
   * pause of N s costs at most N + 2 s of failed writes").
   */
  public record FaultImpact(
      String kind,
      String region,
      long durationMillis,
      int ok,
      int failed,
      int indeterminate,
      long longestWithoutOkWriteMillis) {

    static FaultImpact of(FaultRecord fault, List<Operation> operations) {
      int ok = 0;
      int failed = 0;
      int indeterminate = 0;
      List<Long> okWrites = new java.util.ArrayList<>();
      for (Operation op : operations) {
        if (op.client() < 0) continue;
        if (op.endMillis() >= fault.startMillis() && op.endMillis() <= fault.endMillis()) {
          switch (op.outcome()) {
            case OK -> ok++;
            case FAILED -> failed++;
            case INDETERMINATE -> indeterminate++;
          }
        }
        if (op.ok() && !op.operation().equals("read")) okWrites.add(op.endMillis());
      }
      okWrites.sort(null);
      long longest = 0;
      long previous = fault.startMillis();
      for (long t : okWrites) {
        if (t < fault.startMillis()) continue;
        if (t > fault.endMillis()) break;
        longest = Math.max(longest, t - previous);
        previous = t;
      }
      longest = Math.max(longest, fault.endMillis() - previous);
      return new FaultImpact(
          fault.kind(),
          fault.region(),
          fault.endMillis() - fault.startMillis(),
          ok,
          failed,
          indeterminate,
          longest);
    }
  }

  public static ChaosReport of(
      FaultPlan plan,
      Map<String, Object> options,
      History.Snapshot history,
      FinalState state,
      Verdict verdict) {
    Map<String, Map<String, Integer>> counts = new TreeMap<>();
    for (Operation op : history.operations()) {
      counts
          .computeIfAbsent(op.operation(), o -> new TreeMap<>())
          .merge(op.outcome().label(), 1, Integer::sum);
    }
    return new ChaosReport(
        verdict.pass() ? "PASS" : "FAIL",
        plan.seed(),
        plan.durationMillis(),
        plan.regions(),
        options,
        plan.faults(),
        history.faults(),
        history.faults().stream().map(f -> FaultImpact.of(f, history.operations())).toList(),
        counts,
        verdict.usersChecked(),
        state.convergenceMillis(),
        state.converged(),
        verdict.falseDowns(),
        history.exits().size(),
        verdict.countsByCheck(),
        verdict.anomalies());
  }

  public void write(Path file, ObjectMapper json) throws IOException {
    json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), this);
  }
}
