package io.meridian.tools.chaos;

/**
 * One violation found by the {@link HistoryChecker}.
 *
 * @param check the rule that failed, e.g. {@code payment_lost}, {@code points_mismatch}, {@code
 *     false_down}
 * @param subject what it is about: a user id, a region, or {@code run}
 * @param detail enough to find it in history.jsonl
 */
public record Anomaly(String check, String subject, String detail) {}
