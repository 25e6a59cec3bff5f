package io.meridian.cluster;

import com.typesafe.config.Config;
import io.meridian.cassandra.RegionJournals;
import io.meridian.http.HttpApi;
import io.meridian.metrics.Metrics;
import io.meridian.region.OwnershipJournal;
import io.meridian.region.RegionControl;
import io.meridian.region.RegionService;
import io.meridian.region.Rehoming;
import io.meridian.replication.HintPublisher;
import io.meridian.replication.ReplicationHints;
import io.meridian.topology.Regions;
import io.meridian.user.User;
import io.meridian.user.UserGateway;
import io.meridian.user.UserSettings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ReplicatedSharding;
import org.apache.pekko.cluster.sharding.typed.ReplicatedShardingExtension;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Meridian node: an actor system in its region's data center, the replicated user sharding, the
 * HTTP API and Pekko Management. {@link #start} creates the system; {@link #init} wires an existing
 * one (tests start several regions in one JVM that way).
 */
public final class Node {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  public static final String SYSTEM_NAME = "meridian";

  /** Typed settings of a node, read from {@code meridian.*}. */
  public record Settings(
      String region,
      Regions regions,
      HttpApi.Settings http,
      Duration askTimeout,
      int snapshotEvery,
      Duration catchUpTimeout,
      boolean startManagement) {

    public static Settings fromConfig(Config config) {
      Config m = config.getConfig("meridian");
      if (m.getInt("user.snapshot-every") != 0) {
        throw new IllegalArgumentException(
            "meridian.user.snapshot-every must be 0: snapshots of replicated entities lose or delay"
                + " events and crash replicas on Pekko 1.x (docs/decisions.md, \"snapshots stay off\")");
      }
      return new Settings(
          m.getString("region"),
          Regions.fromConfig(m),
          HttpApi.Settings.fromConfig(m),
          m.getDuration("http.ask-timeout"),
          m.getInt("user.snapshot-every"),
          m.getDuration("replication.catch-up-timeout"),
          m.hasPath("management.enabled") ? m.getBoolean("management.enabled") : true);
    }
  }

  private final ActorSystem<?> system;
  private final Settings settings;
  private final ReplicatedSharding<User.Command> users;
  private final UserGateway gateway;
  private final CompletionStage<ServerBinding> binding;
  private final RegionService regionService;

  private Node(
      ActorSystem<?> system,
      Settings settings,
      ReplicatedSharding<User.Command> users,
      UserGateway gateway,
      CompletionStage<ServerBinding> binding,
      RegionService regionService) {
    this.system = system;
    this.settings = settings;
    this.users = users;
    this.gateway = gateway;
    this.binding = binding;
    this.regionService = regionService;
  }

  public RegionService regionService() {
    return regionService;
  }

  /**
   * Creates the actor system from a fully resolved config (per-region journals included) and wires
   * it.
   */
  public static Node start(Config config) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
    return init(system);
  }

  public static Node init(ActorSystem<?> system) {
    Settings settings = Settings.fromConfig(system.settings().config());
    var regionService =
        new RegionService(system, settings.regions(), settings.region(), settings.askTimeout());
    var userSettings =
        new UserSettings(
            settings.regions(),
            userJournals(),
            settings.snapshotEvery(),
            settings.catchUpTimeout(),
            regionService::isDeclaredDown,
            UserSettings.Limits.fromConfig(system.settings().config().getConfig("meridian")));
    ReplicatedSharding<User.Command> users =
        ReplicatedShardingExtension.get(system).init(User.provider(userSettings));
    NodeState state = NodeState.get(system);
    state.shardingStarted.set(true);

    regionService.start(RegionService.monitorSettings(system.settings().config()));
    state.directoryConfirmed = regionService::directoryConfirmed;
    // No region hints a region declared down: once this node's region is declared up again, every
    // journal stream of this node reads at once instead of waiting for its safety poll.
    ReplicationHints hints = ReplicationHints.get(system);
    regionService.addListener(
        (region, before, after) -> {
          if (region.equals(settings.region())
              && before.status() == RegionControl.Status.down
              && after.status() == RegionControl.Status.up) hints.wakeAll();
        });
    system.systemActorOf(
        HintPublisher.create(
            settings.regions().names(),
            // Not the declared status: a region declared up again is hinted as soon as it is
            // reachable, also by a node that has not learned of the "up" yet (an event written
            // in that moment was never hinted, and the returned region waited for its safety poll).
            region -> !regionService.isReachable(region),
            (region, origin, hint) ->
                users
                    .getEntityRefsFor(origin.entityId())
                    .get(new ReplicaId(region))
                    .tell(new User.ReplicationHint(hint))),
        "replication-hints",
        Props.empty());
    var gateway =
        new UserGateway(
            users,
            settings.regions(),
            settings.region(),
            settings.askTimeout(),
            regionService,
            Metrics.get(system));
    // A seizure or a hand-back follows a region's status change: owners the gateway remembers from
    // before may be replaced.
    regionService.addListener((region, before, after) -> gateway.regionStatusChanged());
    var cohorts =
        new io.meridian.cohort.CohortPlacement(
            io.meridian.cohort.CohortDirectory.start(system, settings.regions(), settings.region()),
            io.meridian.cohort.CohortClock.get(system),
            region -> regionService.isAvailable(region) && !regionService.isDeclaredDown(region));
    Rehoming.start(
        system,
        regionService,
        gateway,
        region -> String.format(RegionJournals.QUERY_PLUGIN_ID, region),
        cohorts::scheduledNow);
    io.meridian.cohort.HandOff.start(
        system,
        cohorts.directory(),
        regionService,
        gateway,
        region -> String.format(RegionJournals.QUERY_PLUGIN_ID, region));
    warmUp(system, gateway, state, 1);
    turnUnreadyFirstOnShutdown(system, state);
    var api =
        new HttpApi(
            system,
            settings.http(),
            gateway,
            regionService,
            new OwnershipJournal(
                system,
                settings.regions(),
                settings.region(),
                region -> String.format(RegionJournals.QUERY_PLUGIN_ID, region)),
            cohorts);
    CompletionStage<ServerBinding> binding =
        api.bind()
            .thenApply(
                b -> {
                  state.httpBound.set(true);
                  return b;
                });
    if (settings.startManagement()) PekkoManagement.get(system).start();
    if (system.settings().config().getBoolean("meridian.cluster-bootstrap"))
      ClusterBootstrap.get(system).start();
    log.info(
        "node of region={} started (regions {}; replication through the journals, woken by hints)",
        settings.region(),
        settings.regions().names());
    return new Node(system, settings, users, gateway, binding, regionService);
  }

  /**
   * Where the user replicas write and read: each region's own Cassandra plugins (RegionJournals).
   * Built here, where the node is composed, so that neither the persistence config nor the entity
   * names the other.
   */
  public static UserSettings.Journals userJournals() {
    return new UserSettings.Journals(
        RegionJournals.JOURNAL_PLUGIN_ID,
        RegionJournals.SNAPSHOT_PLUGIN_ID,
        RegionJournals.REPLICATION_QUERY_PLUGIN_ID);
  }

  /**
   * The first step of a graceful shutdown (SIGTERM, or the pod's deletion after its preStop):
   * readiness turns false, and the node keeps serving HTTP for {@code
   * meridian.http.shutdown.unready-delay} so that load balancers that probe {@code /ready} stop
   * sending before the port closes. Then pekko-http's tasks unbind (service-unbind) and drain the
   * requests in flight (service-requests-done, HttpApi.bind); only after that does the node hand
   * its users over and leave the cluster (cluster-sharding-shutdown-region, cluster-leave).
   */
  private static void turnUnreadyFirstOnShutdown(ActorSystem<?> system, NodeState state) {
    Config config = system.settings().config();
    Duration unreadyDelay = config.getDuration("meridian.http.shutdown.unready-delay");
    requireWithinPhase(
        config,
        "meridian.http.shutdown.unready-delay",
        CoordinatedShutdown.PhaseBeforeServiceUnbind());
    requireWithinPhase(
        config,
        "meridian.http.shutdown.drain-deadline",
        CoordinatedShutdown.PhaseServiceRequestsDone());
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "meridian-readiness-false",
            () -> {
              state.shuttingDown.set(true);
              log.info(
                  "shutting down: readiness false; HTTP keeps serving for {} before it unbinds",
                  unreadyDelay);
              var delayed = new CompletableFuture<Done>();
              system
                  .scheduler()
                  .scheduleOnce(
                      unreadyDelay,
                      () -> delayed.complete(Done.getInstance()),
                      system.executionContext());
              return delayed;
            });
  }

  /**
   * A shutdown step that outlasts its phase is cut short by the phase timeout (and the next phase
   * starts anyway): refuse such a configuration at start rather than drop requests at shutdown.
   */
  private static void requireWithinPhase(Config config, String setting, String phase) {
    Duration value = config.getDuration(setting);
    String phaseTimeout = "pekko.coordinated-shutdown.phases." + phase + ".timeout";
    Duration timeout =
        config.hasPath(phaseTimeout)
            ? config.getDuration(phaseTimeout)
            : config.getDuration("pekko.coordinated-shutdown.default-phase-timeout");
    if (value.compareTo(timeout) >= 0)
      throw new IllegalArgumentException(
          setting
              + " ("
              + value
              + ") must be shorter than the timeout of shutdown phase "
              + phase
              + " ("
              + timeout
              + ", "
              + phaseTimeout
              + ")");
  }

  /** An id no client can use (ids must start with a letter or digit). */
  static final String WARM_UP_USER = "__warm-up__";

  /**
   * Recovers this region's replica of a reserved user once, so the journal and snapshot plugins
   * start and auto-create their schema (seconds of DDL on a fresh Cassandra) before the node
   * reports ready, instead of during the first client request.
   */
  private static void warmUp(
      ActorSystem<?> system, UserGateway gateway, NodeState state, int attempt) {
    gateway
        .askAt(WARM_UP_USER, gateway.region(), User.Get::new)
        .whenComplete(
            (outcome, failure) -> {
              if (failure == null) {
                state.journalsWarm.set(true);
                log.info(
                    "journals of region={} ready after {} attempt(s)", gateway.region(), attempt);
              } else if (!system.whenTerminated().isCompleted()) {
                log.info(
                    "journals of region={} not ready yet (attempt {}): {}",
                    gateway.region(),
                    attempt,
                    failure.toString());
                system
                    .scheduler()
                    .scheduleOnce(
                        Duration.ofSeconds(1),
                        () -> warmUp(system, gateway, state, attempt + 1),
                        system.executionContext());
              }
            });
  }

  public ActorSystem<?> system() {
    return system;
  }

  public Settings settings() {
    return settings;
  }

  public UserGateway gateway() {
    return gateway;
  }

  public ReplicatedSharding<User.Command> users() {
    return users;
  }

  public CompletionStage<ServerBinding> binding() {
    return binding;
  }
}
