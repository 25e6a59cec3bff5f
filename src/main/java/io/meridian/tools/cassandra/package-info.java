/**
 * The embedded Cassandra: {@link io.meridian.tools.cassandra.CassandraLauncher} runs a single-node
 * Cassandra 5.0 as a child JVM with its own class path (docs/decisions.md, "Cassandra: embedded
 * Cassandra is a child JVM with a watchdog").
 *
 * <p>Owns: starting, stopping and killing that child JVM, its ports and its data folder. Used by
 * {@code ./meridian demo}, {@code ./meridian bench recovery}, the integration tests, and {@code
 * ./meridian node} without contact points (through {@code io.meridian.Main}, as a {@link
 * io.meridian.cluster.NodeLauncher.EmbeddedCassandra}: the node does not import it).
 *
 * <p>May use: nothing of Meridian; it knows Cassandra, not the product. Tools may use product code;
 * product code never uses tools.
 */
package io.meridian.tools.cassandra;
