/**
 * {@code ./meridian bench}: drives a running Meridian over HTTP (latency, throughput, replication
 * lag, the failover drill) against single-region baselines on the same Cassandra, and {@code
 * ./meridian bench recovery} (recovery time without snapshots); docs/benchmarks.md.
 *
 * <p>Owns: workloads, the load generator, the baselines (a plain entity, raw driver inserts), the
 * failover drill, Cassandra's counters as the bench reads them, and the report (JSON, chart, log).
 *
 * <p>May use: the product's HTTP API and metrics; in process, the product's event classes and
 * serializer ({@code user}, {@code serialization}) for the entity baseline, and the journal setup
 * ({@code cassandra.RegionJournals}, {@code topology.Regions}) for the recovery bench; the other
 * tools ({@code tools.cassandra}, {@code tools.demo}). Tools may use product code; product code
 * never uses tools.
 */
package io.meridian.tools.bench;
