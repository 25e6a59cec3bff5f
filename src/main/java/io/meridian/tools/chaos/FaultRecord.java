package io.meridian.tools.chaos;

/**
 * A fault as it happened (one line of history.jsonl with {@code "type":"fault"}): when it was
 * injected and when it was healed and the region was seen back up, in epoch millis.
 *
 * @param region the region, {@code cassandra}, or the target region of a move
 * @param detail what was done (pid, user, ...)
 */
public record FaultRecord(
    String kind, String region, long startMillis, long endMillis, String detail) {

  /**
   * Whether this fault explains trouble of {@code region} at that time (a move makes no region
   * faulty).
   */
  public boolean covers(String region, long atMillis, long graceMillis) {
    return !FaultKind.MOVE.label().equals(kind)
        && this.region.equals(region)
        && atMillis >= startMillis
        && atMillis <= endMillis + graceMillis;
  }
}
