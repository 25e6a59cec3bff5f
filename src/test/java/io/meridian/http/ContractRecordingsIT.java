package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.meridian.cluster.ContractRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every answer the HTTP integration tests got through {@code ThreeRegions.send} conforms to the
 * contract (docs/openapi.yaml): they recorded each exchange in {@code target/contract-recordings}
 * ({@link ContractRecorder}). Runs after them, in a failsafe execution of its own (pom.xml,
 * "contract-recordings"), whatever ITs the run had; skipped when none recorded anything.
 */
class ContractRecordingsIT {

  @Test
  void everyRecordedAnswerConformsToTheContract() throws Exception {
    Map<String, List<ContractRecorder.Exchange>> recordings = ContractRecorder.readAll();
    assumeTrue(!recordings.isEmpty(), "no integration test recorded an exchange in this run");
    ContractValidator contract = ContractValidator.ofProject();
    List<String> violations = new ArrayList<>();
    int checked = 0;
    for (var recording : recordings.entrySet()) {
      for (ContractRecorder.Exchange exchange : recording.getValue()) {
        checked++;
        for (String violation : contract.violations(exchange))
          violations.add(recording.getKey() + ": " + violation);
      }
    }
    assertEquals(List.of(), violations, checked + " exchanges checked");
  }
}
