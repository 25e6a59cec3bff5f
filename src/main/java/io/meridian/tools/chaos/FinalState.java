package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What the system looked like after the run settled, as input to the {@link HistoryChecker}.
 *
 * @param documents user id → region → the user document that region serves ({@code GET
 *     /v1/users/{id}}, local consistency); a missing region means the region did not return the
 *     user
 * @param paymentLookups payment id → HTTP status of {@code GET /v1/users/{id}/payments/{paymentId}}
 *     (answered by the owner): 200 present, 404 absent; other statuses are not judged
 * @param converged whether every region returned identical documents (and every user was home)
 *     before the deadline
 * @param convergenceMillis how long that took after the last fault healed
 * @param settleMillis the allowed time ({@code --settle})
 */
public record FinalState(
    Map<String, Map<String, JsonNode>> documents,
    Map<String, Integer> paymentLookups,
    boolean converged,
    long convergenceMillis,
    long settleMillis) {
  public FinalState {
    documents = Map.copyOf(documents);
    paymentLookups = Map.copyOf(paymentLookups);
  }
}
