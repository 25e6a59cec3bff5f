package io.meridian.tools.chaos;

/**
 * What one region said about another in {@code GET /v1/regions} (one line with {@code
 * "type":"status"}), sampled every second, to count regions declared down while nothing was wrong
 * with them.
 */
public record StatusSample(
    long atMillis, String observer, String region, String status, long replicationLagMillis) {}
