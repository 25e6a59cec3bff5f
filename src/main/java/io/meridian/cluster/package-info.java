/**
 * The composition root: builds one node from the product packages and starts it.
 *
 * <p>Owns: {@link io.meridian.cluster.Node}, which wires the actor system in its region's data
 * center, the replicated user sharding, the region service and its monitor, the hint publisher, the
 * re-homing sweeps, the HTTP API, Pekko Management and cluster bootstrap, and says where the user
 * replicas' journals are ({@code Node.userJournals}); the node process ({@code ./meridian node}:
 * {@link io.meridian.cluster.NodeCommand}, and {@link io.meridian.cluster.NodeLauncher}, which
 * loads conf/ and lays out the per-region journals); and readiness ({@link
 * io.meridian.cluster.NodeState}, {@link io.meridian.cluster.ReadinessCheck}, behind Pekko
 * Management's {@code /ready}).
 *
 * <p>May use: every product package ({@code topology}, {@code serialization}, {@code metrics},
 * {@code faults}, {@code k8s}, {@code replication}, {@code user}, {@code region}, {@code payment},
 * {@code http}, {@code cassandra}). It is the only place that knows them all, so the rooms are
 * wired together without knowing each other. No product package uses it; the entry point {@code
 * io.meridian.Main} and the tools do. Main hands it the embedded Cassandra as a {@link
 * io.meridian.cluster.NodeLauncher.EmbeddedCassandra}, so it never names a tool
 * (PackageArrowsTest).
 *
 * <p>Nothing here is serialized or stored. {@code ReadinessCheck} is named by class in
 * conf/http.conf (Pekko Management loads it), so a move or rename changes that file too. {@code
 * Node.SYSTEM_NAME} ({@code meridian}) is part of every node's address and of the seed nodes the
 * demo and conf/cluster.conf write; nodes with different system names never form one cluster.
 */
package io.meridian.cluster;
