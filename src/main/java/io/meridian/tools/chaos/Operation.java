package io.meridian.tools.chaos;

import java.util.Map;

/**
 * One request of the history (one line of history.jsonl with {@code "type":"op"}).
 *
 * @param client the client thread (0..n-1); -1 for the fault injector (moves), -2 for set-up and
 *     checks
 * @param operation {@code create}, {@code read}, {@code profile}, {@code points}, {@code
 *     device-add}, {@code device-remove}, {@code payment}, {@code move}
 * @param args the operation's arguments: {@code userId} always, then {@code field}/{@code value},
 *     {@code delta}, {@code deviceId}, {@code paymentId}/{@code kind}/{@code amount}, {@code
 *     toRegion}
 * @param status the HTTP status, 0 when there was no answer (timeout, connection error)
 * @param error the API's error code, or the exception for status 0; null on success
 * @param servedBy {@code X-Meridian-Served-By} of the answer, null without one
 * @param owner the {@code owner} of the returned user document (null when none was returned)
 * @param epoch the {@code epoch} of the returned user document, -1 when none
 * @param version the {@code version} of the returned user document (events applied per origin), so
 *     the checker can tell whether one replica's operation had seen another's; empty when none
 */
public record Operation(
    int client,
    long startMillis,
    long endMillis,
    long startNanos,
    long endNanos,
    String region,
    String operation,
    Map<String, String> args,
    int status,
    String error,
    Outcome outcome,
    String servedBy,
    String owner,
    long epoch,
    Map<String, Long> version) {

  public Operation {
    args = Map.copyOf(args);
    version = version == null ? Map.of() : Map.copyOf(version);
  }

  public String userId() {
    return args.get("userId");
  }

  public String arg(String name) {
    return args.get(name);
  }

  public boolean ok() {
    return outcome == Outcome.OK;
  }

  /** Whether it may have changed state: acknowledged, or may have happened. */
  public boolean mayHaveHappened() {
    return outcome != Outcome.FAILED;
  }

  /** Real-time overlap of the two requests' intervals (on the monotonic clock). */
  public boolean overlaps(Operation other) {
    return startNanos < other.endNanos && other.startNanos < endNanos;
  }
}
