package io.meridian.region;

import io.meridian.region.RegionDirectory.Directory;
import io.meridian.region.RegionDirectory.Observation;
import io.meridian.region.RegionDirectory.Observations;
import io.meridian.region.RegionDirectory.RegionRecord;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.pattern.StatusReply;

/**
 * One per node. Keeps the node's copy of the region directory current (for routing, read without
 * asking an actor), publishes what this node sees as unreachable, declares regions down (operator
 * or automatic) and up again, and downs the cluster members of a region declared down.
 *
 * <p>Automatic down: region R is declared down when a majority of the other regions have seen it
 * unreachable for {@code autoDownAfter}, and only by a node that itself reaches a majority of
 * regions — a region cut off from the majority can never down the others.
 */
public final class RegionMonitor {
  private RegionMonitor() {}

  public sealed interface Command {}

  public record DeclareDown(
      String region, String reason, ActorRef<StatusReply<RegionRecord>> replyTo)
      implements Command {}

  public record DeclareUp(String region, String reason, ActorRef<StatusReply<RegionRecord>> replyTo)
      implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record DirectoryChanged(Directory directory) implements Command {}

  private record ObservationsChanged(Observations observations) implements Command {}

  private record ReachabilityChanged(ClusterEvent.DataCenterReachabilityEvent event)
      implements Command {}

  private record DirectoryRead(Replicator.GetResponse<Directory> response) implements Command {}

  private record WriteDone(
      String region, RegionRecord record, boolean ok, ActorRef<StatusReply<RegionRecord>> replyTo)
      implements Command {}

  private enum Ignored implements Command {
    INSTANCE
  }

  /**
   * {@code staleClaimWindow}: how long after this region is declared up again its nodes check a
   * user's ownership with the other regions before executing a single-writer write (UserGateway).
   */
  public record Settings(
      Optional<Duration> autoDownAfter,
      boolean autoUp,
      Duration returnGrace,
      Duration writeTimeout,
      Duration staleClaimWindow) {}

  static Behavior<Command> create(RegionService service, Settings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(500));
                  return DistributedData.<Command, Directory>withReplicatorMessageAdapter(
                      directoryAdapter ->
                          DistributedData.<Command, Observations>withReplicatorMessageAdapter(
                              observationsAdapter ->
                                  new Running(
                                          context,
                                          service,
                                          settings,
                                          directoryAdapter,
                                          observationsAdapter)
                                      .behavior()));
                }));
  }

  private static final class Running {
    private final ActorContext<Command> context;
    private final RegionService service;
    private final Settings settings;
    private final ReplicatorMessageAdapter<Command, Directory> directoryReplicator;
    private final ReplicatorMessageAdapter<Command, Observations> observationReplicator;
    private final Cluster cluster;
    private final SelfUniqueAddress selfAddress;
    private final String ownRegion;

    /**
     * Regions this node's failure detector reports unreachable (UnreachableDataCenter), and since
     * when.
     */
    private final Map<String, Long> unreachableSince = new HashMap<>();

    /**
     * Regions seen with Up members once that now have none (they left, or were removed), and since
     * when.
     */
    private final Map<String, Long> absentSince = new HashMap<>();

    private final java.util.Set<String> seenUp = new java.util.HashSet<>();

    /** When each region was first seen with Up, reachable members again while declared down. */
    private final Map<String, Long> returnedSince = new HashMap<>();

    private Observation published;

    /** The observations as replicated, and each node's newest report as AutoDown reads them. */
    private Observations observations = Observations.EMPTY;

    private Reports reports = Reports.NONE;

    /** A read of the directory is in flight. */
    private boolean confirming;

    Running(
        ActorContext<Command> context,
        RegionService service,
        Settings settings,
        ReplicatorMessageAdapter<Command, Directory> directoryReplicator,
        ReplicatorMessageAdapter<Command, Observations> observationReplicator) {
      this.context = context;
      this.service = service;
      this.settings = settings;
      this.directoryReplicator = directoryReplicator;
      this.observationReplicator = observationReplicator;
      this.cluster = Cluster.get(context.getSystem());
      this.selfAddress = DistributedData.get(context.getSystem()).selfUniqueAddress();
      this.ownRegion = service.ownRegion();
      directoryReplicator.subscribe(Directory.KEY, Running::onSubscription);
      observationReplicator.subscribe(Observations.KEY, Running::onSubscription);
      ActorRef<ClusterEvent.DataCenterReachabilityEvent> reachability =
          context.messageAdapter(
              ClusterEvent.DataCenterReachabilityEvent.class, ReachabilityChanged::new);
      cluster
          .subscriptions()
          .tell(Subscribe.create(reachability, ClusterEvent.DataCenterReachabilityEvent.class));
    }

    /**
     * One function for both subscriptions: Pekko keys an actor's message adapters by message class,
     * and both deliver a SubscribeResponse, so the second subscribe replaces the first one's
     * function. (With a function per key, a directory change went through the observations
     * function, which threw and stopped this actor on every node that had not written the change
     * itself.)
     */
    private static Command onSubscription(
        Replicator.SubscribeResponse<? extends org.apache.pekko.cluster.ddata.ReplicatedData>
            response) {
      if (!(response instanceof Replicator.Changed<?> changed)) return Ignored.INSTANCE;
      if (changed.dataValue() instanceof Directory directory)
        return new DirectoryChanged(directory);
      if (changed.dataValue() instanceof Observations observations)
        return new ObservationsChanged(observations);
      return Ignored.INSTANCE;
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(
              DeclareDown.class,
              cmd -> declare(cmd.region(), RegionControl.Status.down, cmd.reason(), cmd.replyTo()))
          .onMessage(
              DeclareUp.class,
              cmd -> declare(cmd.region(), RegionControl.Status.up, cmd.reason(), cmd.replyTo()))
          .onMessage(WriteDone.class, this::onWriteDone)
          .onMessage(DirectoryRead.class, this::onDirectoryRead)
          .onMessage(DirectoryChanged.class, this::onDirectoryChanged)
          .onMessage(
              ObservationsChanged.class,
              msg -> {
                observations = observations.mergeData(msg.observations());
                reports = reports.received(observations, System.currentTimeMillis());
                return Behaviors.same();
              })
          .onMessage(ReachabilityChanged.class, this::onReachability)
          .onMessage(Tick.class, tick -> onTick())
          .onMessage(Ignored.class, msg -> Behaviors.same())
          .build();
    }

    private Behavior<Command> declare(
        String region,
        RegionControl.Status status,
        String reason,
        ActorRef<StatusReply<RegionRecord>> replyTo) {
      if (!service.regions().contains(region)) {
        if (replyTo != null) replyTo.tell(StatusReply.error("unknown region " + region));
        return Behaviors.same();
      }
      RegionRecord current = service.view().directory().recordOf(region);
      if (current.status() == status) {
        if (replyTo != null) replyTo.tell(StatusReply.success(current));
        return Behaviors.same();
      }
      if (!service.hasOwnershipQuorum()) {
        if (replyTo != null) replyTo.tell(StatusReply.error(new RegionService.NoQuorum(ownRegion)));
        return Behaviors.same();
      }
      RegionRecord next =
          new RegionRecord(
              status,
              current.epoch() + 1,
              reason,
              System.currentTimeMillis(),
              status == RegionControl.Status.down ? incarnationsOf(region) : List.of());
      directoryReplicator.askUpdate(
          askReplyTo ->
              new Replicator.Update<>(
                  Directory.KEY,
                  Directory.EMPTY,
                  directoryWrite(),
                  askReplyTo,
                  directory -> directory.with(region, next)),
          response ->
              new WriteDone(region, next, response instanceof Replicator.UpdateSuccess, replyTo));
      return Behaviors.same();
    }

    /**
     * A directory write counts once a majority of the nodes stored it, or, when this node reaches
     * fewer, every node it reaches; {@link #declare} asked first that those span a majority of
     * regions. Pekko's WriteMajority alone counts nodes, not regions: with uneven regions (7/3/3
     * nodes) the two small ones could never declare the big one down, though they are two regions
     * of three. Not "every reachable node" always: an operator declares a region down when it has
     * just failed, before the failure detector noticed, and its dead nodes would fail the write.
     */
    private Replicator.WriteConsistency directoryWrite() {
      int replicas = Quorum.directoryWriteReplicas(upMembers(), reachableOtherNodes());
      return replicas < 2
          ? Replicator.writeLocal()
          : new Replicator.WriteTo(replicas, settings.writeTimeout());
    }

    /**
     * A new incarnation reads the directory from every node it reaches, so it meets any write above
     * (a majority of nodes, or all the reachable ones) in at least one node that is still there. If
     * a node it counts as reachable does not answer, the read is retried on the next tick.
     */
    private Replicator.ReadConsistency directoryRead() {
      int replicas = Quorum.directoryReadReplicas(reachableOtherNodes());
      return replicas < 2
          ? Replicator.readLocal()
          : new Replicator.ReadFrom(replicas, settings.writeTimeout());
    }

    /**
     * The Up members of all regions, this node included (what WriteMajority counts a majority of).
     */
    private int upMembers() {
      int up = 0;
      for (Member member : cluster.state().getMembers()) {
        if (member.status() == MemberStatus.up()) up++;
      }
      return up;
    }

    /**
     * Other Up members this node reaches now, in its own region or in one it sees serving. Only Up
     * members: the replicator writes to those (WeaklyUp and Joining ones are not its replicas yet).
     */
    private int reachableOtherNodes() {
      var unreachableMembers = cluster.state().getUnreachable();
      int count = 0;
      for (Member member : cluster.state().getMembers()) {
        if (member.equals(cluster.selfMember())
            || member.status() != MemberStatus.up()
            || unreachableMembers.contains(member)) continue;
        if (member.dataCenter().equals(ownRegion) || service.isServing(member.dataCenter()))
          count++;
      }
      return count;
    }

    private Behavior<Command> onWriteDone(WriteDone done) {
      if (!done.ok()) {
        context
            .getLog()
            .warn(
                "region status change region={} status={} epoch={} not confirmed by a majority",
                done.region(),
                done.record().status(),
                done.record().epoch());
        if (done.replyTo() != null)
          done.replyTo().tell(StatusReply.error(new RegionService.NoQuorum(ownRegion)));
        return Behaviors.same();
      }
      context
          .getLog()
          .info(
              "region status region={} status={} epoch={} reason={} declaredBy={}",
              done.region(),
              done.record().status(),
              done.record().epoch(),
              done.record().reason(),
              ownRegion);
      Directory updated = service.view().directory().with(done.region(), done.record());
      onDirectoryChanged(new DirectoryChanged(updated));
      if (done.replyTo() != null)
        done.replyTo().tell(StatusReply.success(service.recordOf(done.region())));
      return Behaviors.same();
    }

    private Behavior<Command> onDirectoryChanged(DirectoryChanged changed) {
      RegionView view = service.view();
      Directory before = view.directory();
      Directory after = before.mergeData(changed.directory());
      service.publish(view.withDirectory(after));
      for (String region : service.regions().names()) {
        RegionRecord was = before.recordOf(region);
        RegionRecord now = after.recordOf(region);
        if (was.epoch() == now.epoch()) continue;
        if (now.status() == RegionControl.Status.down) downMembersOf(region, now);
        service.notifyListeners(region, was, now);
      }
      return Behaviors.same();
    }

    /**
     * Declaring a region down downs its members, so the cluster (and sharding) stop waiting for
     * them: the incarnations the declaration lists. A node that learns of it late (a partition
     * healed, or gossip was slow) must not down a new incarnation that joined after a quick
     * restart.
     */
    private void downMembersOf(String region, RegionRecord declaration) {
      if (region.equals(ownRegion))
        return; // our own members are downed by the others; we learn it and stop
      for (Member member : cluster.state().getMembers()) {
        if (!member.dataCenter().equals(region)
            || member.status() == MemberStatus.down()
            || member.status() == MemberStatus.removed()) continue;
        String incarnation = RegionRecord.incarnation(member.uniqueAddress());
        if (!declaration.downs(incarnation)) {
          context
              .getLog()
              .info(
                  "keeping member {} of region={}: joined after the down declaration epoch={}",
                  incarnation,
                  region,
                  declaration.epoch());
          continue;
        }
        context
            .getLog()
            .info(
                "downing member {} of region={} (declared down epoch={})",
                incarnation,
                region,
                declaration.epoch());
        cluster.manager().tell(new Down(member.address()));
      }
    }

    /**
     * The incarnations of {@code region}'s members this node knows, not already down or removed.
     */
    private List<String> incarnationsOf(String region) {
      var incarnations = new java.util.ArrayList<String>();
      for (Member member : cluster.state().getMembers()) {
        if (member.dataCenter().equals(region)
            && member.status() != MemberStatus.down()
            && member.status() != MemberStatus.removed()) {
          incarnations.add(RegionRecord.incarnation(member.uniqueAddress()));
        }
      }
      java.util.Collections.sort(incarnations);
      return List.copyOf(incarnations);
    }

    private Behavior<Command> onReachability(ReachabilityChanged msg) {
      if (msg.event() instanceof ClusterEvent.UnreachableDataCenter unreachable) {
        unreachableSince.putIfAbsent(unreachable.dataCenter(), System.currentTimeMillis());
        context
            .getLog()
            .info(
                "region status region={} status=suspect seenFrom={}",
                unreachable.dataCenter(),
                ownRegion);
      } else if (msg.event() instanceof ClusterEvent.ReachableDataCenter reachable) {
        unreachableSince.remove(reachable.dataCenter());
        context
            .getLog()
            .info(
                "region status region={} status=reachable seenFrom={}",
                reachable.dataCenter(),
                ownRegion);
      }
      trackAbsentRegions();
      return Behaviors.same();
    }

    private Behavior<Command> onTick() {
      trackAbsentRegions();
      forgetDirectoryOnQuorumLoss();
      confirmDirectory();
      publishObservation();
      if (settings.autoDownAfter().isPresent()) autoDown(settings.autoDownAfter().get());
      if (settings.autoUp()) autoUp();
      return Behaviors.same();
    }

    /**
     * A node that loses quorum (cut off from a majority of regions) may be declared down while it
     * is cut off. When the cut heals it reaches the others again before it hears of that: with
     * quorum back and the directory it had, it would confirm ownership and act as owner for a
     * moment (PartitionIT caught it once failure detection became fast). So it forgets that its
     * directory is current, and reads it again from the nodes it reaches before it confirms.
     */
    private void forgetDirectoryOnQuorumLoss() {
      if (!service.view().directoryCurrent() || service.hasQuorum()) return;
      service.publish(service.view().stale());
      context
          .getLog()
          .info(
              "region={} lost quorum: ownership unconfirmed until the directory is read again",
              ownRegion);
    }

    /**
     * Ownership is confirmed (UserGateway) only once this node has read the directory from the
     * nodes it reaches, at start and again after every loss of quorum: a new incarnation starts
     * with an empty directory, and a node that was cut off may have been declared down meanwhile;
     * either would act on its replicas' old claims.
     */
    private void confirmDirectory() {
      if (service.view().directoryCurrent()
          || confirming
          || !service.hasQuorum()
          || cluster.selfMember().status() != MemberStatus.up()) return;
      confirming = true;
      directoryReplicator.askGet(
          askReplyTo -> new Replicator.Get<>(Directory.KEY, directoryRead(), askReplyTo),
          DirectoryRead::new);
    }

    private Behavior<Command> onDirectoryRead(DirectoryRead read) {
      confirming = false;
      if (read.response() instanceof Replicator.GetSuccess<Directory> success) {
        onDirectoryChanged(new DirectoryChanged(success.get(Directory.KEY)));
      } else if (!(read.response() instanceof Replicator.NotFound<Directory>)) {
        context
            .getLog()
            .info(
                "region={} could not read the region directory from a majority yet: {}",
                ownRegion,
                read.response());
        return Behaviors.same();
      }
      if (!service.view().directoryCurrent()) {
        boolean again = service.directoryConfirmed();
        service.publish(service.view().confirmed());
        context
            .getLog()
            .info(
                "region={} read the region directory from the nodes it reaches{}: ownership confirmed (own status {})",
                ownRegion,
                again ? " again" : "",
                service.recordOf(ownRegion).status());
      }
      return Behaviors.same();
    }

    /**
     * A region whose members all left counts as unreachable too (a crashed region may also leave no
     * trace).
     */
    private void trackAbsentRegions() {
      long now = System.currentTimeMillis();
      for (String region : service.regions().names()) {
        if (region.equals(ownRegion)) continue;
        if (service.hasPresentMembers(region)) {
          seenUp.add(region);
          absentSince.remove(region);
        } else if (seenUp.contains(region)) {
          absentSince.putIfAbsent(region, now);
        }
      }
      Map<String, Long> unreachable = new HashMap<>(absentSince);
      unreachableSince.forEach((region, since) -> unreachable.merge(region, since, Math::min));
      service.publish(service.view().withUnreachable(unreachable));
    }

    /**
     * Pushed to every node at once (WriteAll; the outcome is not awaited: nodes that do not answer
     * get it by gossip). With a local write, the other regions learned a new "unreachable" only at
     * the next gossip round (2 s), which was most of the time between suspect and declared down.
     */
    private void publishObservation() {
      Observation current =
          new Observation(ownRegion, service.view().unreachableSince(), System.currentTimeMillis());
      if (published != null && published.unreachableSince().equals(current.unreachableSince()))
        return;
      published = current;
      String node = selfAddress.uniqueAddress().address().toString();
      observationReplicator.askUpdate(
          askReplyTo ->
              new Replicator.Update<>(
                  Observations.KEY,
                  Observations.EMPTY,
                  new Replicator.WriteAll(settings.writeTimeout()),
                  askReplyTo,
                  obs -> obs.with(node, current)),
          response -> Ignored.INSTANCE);
      observations = observations.with(node, current);
      reports = reports.received(observations, System.currentTimeMillis());
    }

    private void autoDown(Duration after) {
      var declaredDown = new java.util.HashSet<String>();
      for (String region : service.regions().names()) {
        if (service.isDeclaredDown(region)) declaredDown.add(region);
      }
      var toDown =
          AutoDown.regionsToDown(
              service.regions().names(),
              ownRegion,
              service.liveNodesByRegion(),
              reports.all(),
              declaredDown,
              service.hasQuorum(),
              System.currentTimeMillis(),
              after.toMillis());
      for (String region : toDown) {
        context
            .getLog()
            .warn(
                "auto-down region={}: unreachable from a majority of the other regions for {}",
                region,
                after);
        declare(
            region,
            RegionControl.Status.down,
            "unreachable from a majority for " + after.toMillis() + " ms",
            null);
      }
    }

    private void autoUp() {
      long now = System.currentTimeMillis();
      for (String region : service.regions().names()) {
        boolean back =
            service.isDeclaredDown(region)
                && service.hasLiveMembers(region)
                && !service.view().isUnreachable(region);
        if (!back) {
          returnedSince.remove(region);
          continue;
        }
        long since = returnedSince.computeIfAbsent(region, r -> now);
        if (now - since >= settings.returnGrace().toMillis() && service.hasQuorum()) {
          returnedSince.remove(region);
          declare(region, RegionControl.Status.up, "returned and caught up", null);
        }
      }
    }
  }
}
