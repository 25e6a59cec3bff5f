package io.meridian.replication;

import java.util.List;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.PublishedEvent;
import org.apache.pekko.persistence.typed.ReplicationId;

/**
 * One per node: turns every event a replica of this node persisted into a {@link Hint} for each
 * other region this node can reach.
 *
 * <p>It listens to the {@link PublishedEvent}s that Replicated Event Sourcing puts on the node's
 * event stream after the journal write succeeded (Running.scala:786-791 in Pekko 1.2.1: published
 * in {@code onWriteResponse}, for the replica's own events only), so a hint never announces an
 * event that is not stored. Regions without a reachable Up member get no hint: the sharding proxy
 * of a gone data center would buffer it until its timeout. The declared status does not count: a
 * region declared up again must be hinted by a node that has not learned of it yet. The transport
 * (the sharding proxy of the user's replica in the other region) is given by the node, so this
 * class knows nothing of users.
 *
 * <p>Hints lost on the way are made up for here too: when a region becomes reachable again, the
 * streams of this node that read its journals read at once. (When this node's own region is
 * declared up again after a down, which no region hinted meanwhile, the node's composition wakes
 * every stream: a region-status listener in {@code cluster.Node}.)
 */
public final class HintPublisher {
  private HintPublisher() {}

  /** Sends {@code hint} to the replica of {@code replicationId}'s entity in {@code region}. */
  @FunctionalInterface
  public interface Transport {
    void send(String region, ReplicationId origin, Hint hint);
  }

  /**
   * @param regions every configured region
   * @param unreachable which regions to skip right now (no Up member reachable from this node)
   */
  public static Behavior<PublishedEvent> create(
      List<String> regions, Predicate<String> unreachable, Transport transport) {
    return Behaviors.<Object>setup(
            context -> {
              ActorRef<PublishedEvent> self = context.getSelf().narrow();
              context
                  .getSystem()
                  .eventStream()
                  .tell(new EventStream.Subscribe<>(PublishedEvent.class, self));
              ReplicationHints hints = ReplicationHints.get(context.getSystem());
              if (context
                  .getSystem()
                  .settings()
                  .config()
                  .getString("pekko.actor.provider")
                  .equals("cluster")) {
                // Hints sent while a region was unreachable are lost: when it is reachable
                // again, read its journals now.
                ActorRef<ClusterEvent.ReachabilityEvent> members =
                    context.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachable::new);
                Cluster.get(context.getSystem())
                    .subscriptions()
                    .tell(Subscribe.create(members, ClusterEvent.ReachabilityEvent.class));
                ActorRef<ClusterEvent.DataCenterReachabilityEvent> dataCenters =
                    context.messageAdapter(
                        ClusterEvent.DataCenterReachabilityEvent.class, Reachable::new);
                Cluster.get(context.getSystem())
                    .subscriptions()
                    .tell(
                        Subscribe.create(
                            dataCenters, ClusterEvent.DataCenterReachabilityEvent.class));
              }
              return Behaviors.receive(Object.class)
                  .onMessage(
                      Reachable.class,
                      reachable -> {
                        String region = reachable.regionNowReachable();
                        if (region != null) hints.wakeAllReading(region);
                        return Behaviors.same();
                      })
                  .onMessage(
                      PublishedEvent.class,
                      published -> {
                        if (published.getReplicatedMetaData().isEmpty()
                            || !ReplicationId.isReplicationId(published.persistenceId().id())) {
                          return Behaviors.same(); // not a replicated entity
                        }
                        ReplicationId origin =
                            ReplicationId.fromString(published.persistenceId().id());
                        var hint =
                            new Hint(published.persistenceId().id(), published.sequenceNumber());
                        for (String region : regions) {
                          if (region.equals(origin.replicaId().id()) || unreachable.test(region))
                            continue;
                          transport.send(region, origin, hint);
                          hints.hintSent(region);
                        }
                        return Behaviors.same();
                      })
                  .build();
            })
        .narrow();
  }

  /** A cluster reachability event, adapted. */
  private record Reachable(Object event) {
    /** The region of a member or data center that became reachable again, else null. */
    String regionNowReachable() {
      if (event instanceof ClusterEvent.ReachableMember member) return member.member().dataCenter();
      if (event instanceof ClusterEvent.ReachableDataCenter dataCenter)
        return dataCenter.dataCenter();
      return null;
    }
  }
}
