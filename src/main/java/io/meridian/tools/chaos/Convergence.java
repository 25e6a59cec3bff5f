package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * After the last fault healed and the clients stopped: waits until every region is up, then polls
 * every user in every region until all regions return identical documents (nothing ignored) and
 * every user is owned by its home region again (hand-back done), or the settle time ran out.
 */
public final class Convergence {

  /** {@code millis}: from {@code since} until the condition held (or until the deadline). */
  public record Result(
      boolean converged, long millis, Map<String, Map<String, JsonNode>> documents) {}

  private final MeridianHttp http;
  private final RegionHealth health;

  public Convergence(MeridianHttp http) {
    this.http = http;
    this.health = new RegionHealth(http);
  }

  public Result await(List<WorkloadUser> users, long sinceMillis, Duration settle)
      throws InterruptedException {
    long deadline = sinceMillis + settle.toMillis();
    while (!health.allUp() && System.currentTimeMillis() < deadline)
      TimeUnit.SECONDS.sleep(1); // polling
    Map<String, Map<String, JsonNode>> documents = read(users);
    while (!settled(documents)) {
      if (System.currentTimeMillis() >= deadline)
        return new Result(false, System.currentTimeMillis() - sinceMillis, documents);
      TimeUnit.SECONDS.sleep(1); // polling the replicas: there is nothing to wait on
      documents = read(users);
    }
    return new Result(true, System.currentTimeMillis() - sinceMillis, documents);
  }

  /** Every user's document from every region that returns it. */
  public Map<String, Map<String, JsonNode>> read(List<WorkloadUser> users) {
    Map<String, Map<String, JsonNode>> documents = new TreeMap<>();
    for (WorkloadUser user : users) {
      Map<String, JsonNode> perRegion = new LinkedHashMap<>();
      for (String region : http.endpoints().regionNames()) {
        MeridianHttp.Answer answer = http.send(region, "GET", "/v1/users/" + user.userId(), null);
        if (answer.status() == 200 && answer.json() != null) perRegion.put(region, answer.json());
      }
      documents.put(user.userId(), perRegion);
    }
    return documents;
  }

  private boolean settled(Map<String, Map<String, JsonNode>> documents) {
    int regions = http.endpoints().regionNames().size();
    for (Map<String, JsonNode> perRegion : documents.values()) {
      if (perRegion.size() != regions) return false;
      Set<JsonNode> distinct = new HashSet<>(perRegion.values());
      if (distinct.size() != 1) return false;
      JsonNode doc = distinct.iterator().next();
      if (!doc.path("owner").asText().equals(doc.path("homeRegion").asText())) return false;
    }
    return true;
  }

  /** The owner's answer for every payment id in the history: 200 present, 404 absent. */
  public Map<String, Integer> lookUpPayments(History.Snapshot history) {
    Map<String, String> users = new TreeMap<>();
    for (Operation op : history.operations())
      if (op.operation().equals("payment")) users.put(op.arg("paymentId"), op.userId());
    Map<String, Integer> found = new TreeMap<>();
    List<String> regions = http.endpoints().regionNames();
    int i = 0;
    for (var entry : users.entrySet()) {
      String region = regions.get(i++ % regions.size());
      MeridianHttp.Answer answer =
          http.send(
              region, "GET", "/v1/users/" + entry.getValue() + "/payments/" + entry.getKey(), null);
      found.put(entry.getKey(), answer.status());
    }
    return found;
  }
}
