/**
 * The node's measurements: {@link io.meridian.metrics.Metrics}, one Prometheus registry per actor
 * system (so three regions in one test JVM keep their figures apart), scraped at {@code GET
 * /metrics}, and the newest replication lag per origin region, which {@code GET /v1/regions} shows.
 *
 * <p>Owns: the meter names ({@code meridian_*}) and what each one counts. The rooms record into it
 * (replication reads and hints, persisted events and ownership changes, region status, payments,
 * commands, HTTP statuses); it does not know why they happen.
 *
 * <p>A leaf: it uses no other Meridian package (PackageArrowsTest), so every room may use it.
 *
 * <p>Nothing here is serialized or stored. The meter names and tags are read by {@code ./meridian
 * bench} (BenchCommand scrapes them), docs/benchmarks.md and docs/deploy-kubernetes.md, so renaming
 * one changes what operators and the bench see: do it with them.
 */
package io.meridian.metrics;
