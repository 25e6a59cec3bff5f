package io.meridian.cluster;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/** What start-up has finished on this node, for the readiness check. */
public final class NodeState implements Extension {
  private static final ExtensionId<NodeState> ID =
      new ExtensionId<>() {
        @Override
        public NodeState createExtension(ActorSystem<?> system) {
          return new NodeState();
        }
      };

  public static NodeState get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  final AtomicBoolean shardingStarted = new AtomicBoolean();
  final AtomicBoolean httpBound = new AtomicBoolean();

  /**
   * This region's journal, snapshot store and replication streams answered once (schema exists).
   */
  final AtomicBoolean journalsWarm = new AtomicBoolean();

  /** Graceful shutdown has begun: not ready any more, whatever else holds (Node). */
  final AtomicBoolean shuttingDown = new AtomicBoolean();

  /** This incarnation has read the region directory from a majority (set by Node once wired). */
  volatile java.util.function.BooleanSupplier directoryConfirmed = () -> false;

  public boolean shardingStarted() {
    return shardingStarted.get();
  }
}
