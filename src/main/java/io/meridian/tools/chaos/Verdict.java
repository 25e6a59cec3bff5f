package io.meridian.tools.chaos;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The checker's answer: PASS when there is no anomaly. */
public record Verdict(List<Anomaly> anomalies, int falseDowns, int usersChecked) {

  public Verdict {
    anomalies = List.copyOf(anomalies);
  }

  public boolean pass() {
    return anomalies.isEmpty();
  }

  public Map<String, Integer> countsByCheck() {
    Map<String, Integer> counts = new TreeMap<>();
    for (Anomaly anomaly : anomalies) counts.merge(anomaly.check(), 1, Integer::sum);
    return counts;
  }

  public boolean has(String check) {
    return anomalies.stream().anyMatch(a -> a.check().equals(check));
  }
}
