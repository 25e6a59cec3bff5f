package io.meridian.region;

import com.typesafe.config.Config;
import io.meridian.metrics.Metrics;
import io.meridian.region.RegionDirectory.RegionRecord;
import io.meridian.topology.Regions;
import io.meridian.user.RegionAvailability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The region directory as this node sees it: declared status (replicated), reachability (this
 * node's failure detector), routing decisions (who may be sent to, who takes over a down region's
 * users) and the quorum rule. Reads are lock-free snapshots; changes go through {@link
 * RegionMonitor}.
 */
public final class RegionService implements RegionControl, RegionAvailability {

  /**
   * This region cannot see a majority of regions, so it cannot confirm ownership or declare
   * anything.
   */
  public static final class NoQuorum extends RuntimeException {
    public NoQuorum(String region) {
      super("region " + region + " cannot reach a majority of regions");
    }
  }

  /** Told when a region's declared status changes (epoch moved). */
  public interface Listener {
    void regionChanged(String region, RegionRecord before, RegionRecord after);
  }

  /**
   * The newest snapshot {@link RegionMonitor} published; every question below is answered from one.
   */
  private final AtomicReference<RegionView> view = new AtomicReference<>(RegionView.INITIAL);

  final Metrics metrics;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final Regions regions;
  private final String ownRegion;
  private final Duration askTimeout;
  private ActorRef<RegionMonitor.Command> monitor;
  private Duration staleClaimWindow = Duration.ZERO;

  public RegionService(
      ActorSystem<?> system, Regions regions, String ownRegion, Duration askTimeout) {
    this.system = system;
    this.cluster = Cluster.get(system);
    this.regions = regions;
    this.ownRegion = ownRegion;
    this.askTimeout = askTimeout;
    this.metrics = Metrics.get(system);
    for (String region : regions.names())
      metrics.regionStatusSource(region, () -> statusOf(region).name());
  }

  /** Reads {@code meridian.failover.*}. */
  public static RegionMonitor.Settings monitorSettings(Config config) {
    Config failover = config.getConfig("meridian.failover");
    String autoDown = failover.getString("auto-down-after");
    Optional<Duration> after =
        autoDown.equalsIgnoreCase("off")
            ? Optional.empty()
            : Optional.of(failover.getDuration("auto-down-after"));
    Duration staleClaimWindow =
        failover.hasPath("stale-claim-window")
            ? failover.getDuration("stale-claim-window")
            : Duration.ofMinutes(10);
    return new RegionMonitor.Settings(
        after,
        failover.getBoolean("auto-hand-back"),
        failover.getDuration("return-grace"),
        failover.getDuration("directory-write-timeout"),
        staleClaimWindow);
  }

  public RegionService start(RegionMonitor.Settings settings) {
    staleClaimWindow = settings.staleClaimWindow();
    monitor =
        system.systemActorOf(
            RegionMonitor.create(this, settings),
            "region-monitor",
            org.apache.pekko.actor.typed.Props.empty());
    return this;
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** Only {@link RegionMonitor} publishes. */
  void publish(RegionView next) {
    view.set(next);
  }

  RegionView view() {
    return view.get();
  }

  void notifyListeners(String region, RegionRecord before, RegionRecord after) {
    for (Listener listener : listeners) listener.regionChanged(region, before, after);
  }

  public Regions regions() {
    return regions;
  }

  public String ownRegion() {
    return ownRegion;
  }

  public RegionRecord recordOf(String region) {
    return view.get().directory().recordOf(region);
  }

  @Override
  public boolean isDeclaredDown(String region) {
    return recordOf(region).status() == Status.down;
  }

  @Override
  public Long declaredDownAt(String region) {
    RegionRecord record = recordOf(region);
    return record.status() == Status.down ? record.at() : null;
  }

  /** Up (not declared down), with Up members, reachable from here. */
  public boolean isServing(String region) {
    return region.equals(ownRegion) || (!isDeclaredDown(region) && isReachable(region));
  }

  /**
   * This node can send to the region now: it has Up members and is not unreachable from here,
   * whatever its declared status (a region declared down whose new incarnation is Up is reachable).
   */
  public boolean isReachable(String region) {
    return region.equals(ownRegion)
        || (hasLiveMembers(region) && !view.get().isUnreachable(region));
  }

  boolean hasLiveMembers(String region) {
    for (Member member : cluster.state().getMembers()) {
      if (member.dataCenter().equals(region) && member.status() == MemberStatus.up()) return true;
    }
    return false;
  }

  /**
   * The region has a member that is joining or up: a region whose process restarted is present as
   * soon as its new incarnation joins, so its absence clock (auto-down) stops then, not only once
   * the new member is Up.
   */
  boolean hasPresentMembers(String region) {
    for (Member member : cluster.state().getMembers()) {
      if (member.dataCenter().equals(region) && isPresent(member.status())) return true;
    }
    return false;
  }

  /** A cluster member of a region as this node sees it (the console's region grid). */
  public record MemberInfo(String address, String status, boolean reachable) {}

  /** The cluster members of {@code region}, as this node sees them now. */
  public List<MemberInfo> membersOf(String region) {
    var unreachable = cluster.state().getUnreachable();
    List<MemberInfo> members = new ArrayList<>();
    for (Member member : cluster.state().getMembers()) {
      if (!member.dataCenter().equals(region)) continue;
      members.add(
          new MemberInfo(
              member.address().toString(),
              member.status().toString().toLowerCase(java.util.Locale.ROOT),
              !unreachable.contains(member)));
    }
    return members;
  }

  static boolean isPresent(MemberStatus status) {
    return status == MemberStatus.joining()
        || status == MemberStatus.weaklyUp()
        || status == MemberStatus.up();
  }

  /** This node reaches a majority of all configured regions (itself included). */
  public boolean hasQuorum() {
    RegionView now = view.get();
    return Quorum.hasQuorum(
        regions.names(), ownRegion, region -> hasLiveMembers(region) && !now.isUnreachable(region));
  }

  /**
   * Per region, the nodes that are Up (or WeaklyUp) members reachable from this node now, keyed as
   * observations are; regions this node cannot hear from count no nodes, except this node's own.
   */
  Map<String, java.util.Set<String>> liveNodesByRegion() {
    var unreachableMembers = cluster.state().getUnreachable();
    var live = new java.util.HashMap<String, java.util.Set<String>>();
    for (Member member : cluster.state().getMembers()) {
      boolean up =
          member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp();
      if (!up || unreachableMembers.contains(member)) continue;
      if (!member.dataCenter().equals(ownRegion) && !isServing(member.dataCenter())) continue;
      live.computeIfAbsent(member.dataCenter(), r -> new java.util.HashSet<>())
          .add(member.address().toString());
    }
    live.computeIfAbsent(ownRegion, r -> new java.util.HashSet<>())
        .add(cluster.selfMember().address().toString());
    return live;
  }

  public Status statusOf(String region) {
    if (isDeclaredDown(region)) return Status.down;
    if (region.equals(ownRegion)) return Status.up;
    return isServing(region) ? Status.up : Status.suspect;
  }

  // ---------------------------------------------------------------- routing (RegionAvailability)

  @Override
  public boolean isAvailable(String region) {
    return isServing(region);
  }

  @Override
  public Optional<String> takeoverFor(String owner) {
    return successorOf(owner);
  }

  /** Quorum now, and the directory read from a majority since this node started. */
  @Override
  public boolean hasOwnershipQuorum() {
    return view.get().directoryCurrent() && hasQuorum();
  }

  public boolean directoryConfirmed() {
    return view.get().directoryConfirmed();
  }

  /** For {@code stale-claim-window} after this region was declared up again following a down. */
  @Override
  public boolean ownClaimsMayBeStale() {
    RegionRecord own = recordOf(ownRegion);
    return own.status() == Status.up
        && own.epoch() > 0
        && System.currentTimeMillis() - own.at() < staleClaimWindow.toMillis();
  }

  public Optional<String> successorOf(String region) {
    return regions.successorOf(
        region, r -> !isDeclaredDown(r) && (r.equals(ownRegion) || isServing(r)));
  }

  // ---------------------------------------------------------------- RegionControl

  @Override
  public List<RegionInfo> regionInfos() {
    Map<String, Long> lag = metrics.lastLagMillis();
    List<RegionInfo> infos = new ArrayList<>();
    for (String region : regions.names()) {
      RegionRecord record = recordOf(region);
      infos.add(
          new RegionInfo(
              region,
              statusOf(region),
              successorOf(region).orElse(null),
              record.epoch(),
              region.equals(ownRegion) ? Long.valueOf(0) : lag.get(region)));
    }
    return infos;
  }

  @Override
  public CompletionStage<RegionInfo> declareDown(String region, String reason) {
    return change(replyTo -> new RegionMonitor.DeclareDown(region, reason, replyTo), region);
  }

  @Override
  public CompletionStage<RegionInfo> declareUp(String region, String reason) {
    return change(replyTo -> new RegionMonitor.DeclareUp(region, reason, replyTo), region);
  }

  private CompletionStage<RegionInfo> change(
      org.apache.pekko.japi.function.Function<
              ActorRef<org.apache.pekko.pattern.StatusReply<RegionRecord>>, RegionMonitor.Command>
          command,
      String region) {
    return AskPattern.askWithStatus(monitor, command, askTimeout.plusSeconds(2), system.scheduler())
        .thenApply(
            record ->
                regionInfos().stream()
                    .filter(info -> info.region().equals(region))
                    .findFirst()
                    .orElseThrow());
  }
}
