package io.meridian.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.connectors.cassandra.CassandraSessionSettings;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Pekko Management readiness ({@code /ready}): true only when this node is Up in the cluster,
 * sharding of users has started, the HTTP API is bound, its region's journal answered, it has read
 * the region directory from a majority, and Cassandra answers a query; false from the first step of
 * a graceful shutdown on, before the HTTP port closes (Node).
 */
public final class ReadinessCheck implements Supplier<CompletionStage<Boolean>> {
  private static final Duration CASSANDRA_PROBE_TIMEOUT = Duration.ofSeconds(3);
  private final ActorSystem system;

  public ReadinessCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    var typed = Adapter.toTyped(system);
    NodeState state = NodeState.get(typed);
    boolean up = Cluster.get(typed).selfMember().status() == MemberStatus.up();
    if (state.shuttingDown.get()
        || !up
        || !state.shardingStarted()
        || !state.httpBound.get()
        || !state.journalsWarm.get()
        || !state.directoryConfirmed.getAsBoolean())
      return CompletableFuture.completedFuture(false);
    // A session of its own (Pekko Connectors' default config path): the registry runs a session's
    // init function only for its first user, and the journal's init is what creates the schema.
    return CassandraSessionRegistry.get(system)
        .sessionFor(CassandraSessionSettings.create())
        .selectOne("SELECT release_version FROM system.local")
        .thenApply(row -> row.isPresent())
        .toCompletableFuture()
        .completeOnTimeout(
            false, CASSANDRA_PROBE_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .exceptionally(failure -> false);
  }
}
