package io.meridian.user;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.meridian.metrics.Metrics;
import io.meridian.replication.Hint;
import io.meridian.replication.ReplicationHints;
import io.meridian.serialization.CborSerializable;
import io.meridian.serialization.PekkoSerialized;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ReplicatedEntity;
import org.apache.pekko.cluster.sharding.typed.ReplicatedEntityProvider;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.ReplicationId;
import org.apache.pekko.persistence.typed.crdt.LwwTime;
import org.apache.pekko.persistence.typed.crdt.ORSet;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplicatedEventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.ReplicatedEventSourcing;
import org.apache.pekko.persistence.typed.javadsl.ReplicationContext;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A user: one replicated event-sourced entity with one replica per region (docs/design.md, Model).
 *
 * <p>Single-writer commands (create, profile, payments, moves) are executed only by the replica
 * that currently owns the user; any other replica answers {@link NotOwner} and the caller forwards.
 * CRDT commands (points, devices) are accepted by every replica, because their events merge
 * whatever the order. The state and its merge rules are {@link UserState}.
 *
 * <p>Commands, replies and events are nested here and must keep their names: their class names are
 * the Jackson manifests the journals hold (events) and other nodes read (commands and replies).
 */
public final class User
    extends ReplicatedEventSourcedBehavior<User.Command, User.Event, UserState> {

  public static final String ENTITY_TYPE = "User";
  public static final Set<String> PROFILE_FIELDS = Set.of("displayName", "email", "locale");

  // ---------------------------------------------------------------- commands

  public sealed interface Command extends CborSerializable {}

  /** Create the user with its home region; executed by the home region's replica only. */
  public record Create(
      String homeRegion,
      ActorRef<Reply> replyTo,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request,
      @JsonInclude(JsonInclude.Include.NON_NULL) String cohort,
      @JsonInclude(JsonInclude.Include.NON_NULL) String scheduledOwner)
      implements Command {
    public Create(String homeRegion, ActorRef<Reply> replyTo) {
      this(homeRegion, replyTo, null);
    }

    public Create(String homeRegion, ActorRef<Reply> replyTo, RequestKey request) {
      this(homeRegion, replyTo, request, null, null);
    }
  }

  /**
   * Join {@code cohort} (a follow-the-sun cohort, docs/follow-the-sun.md), or leave it ({@code
   * null}); owner only. {@code scheduledOwner}: the region the cohort's schedule gives the cohort
   * now, when it is live and not this one: the user moves there in the same journal write, so it is
   * never owned against its schedule for longer than the write. Null: no move.
   */
  public record SetCohort(
      String cohort,
      String scheduledOwner,
      ActorRef<Reply> replyTo,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Command {}

  /**
   * A scheduled hand-off: if the user is still in {@code cohort}, its home and ownership go to
   * {@code toRegion} (reason {@code schedule}); owner only. {@code requestedAt}: the boundary the
   * hand-off belongs to (ms), so the ownership history shows how long after it the user moved.
   */
  public record FollowSchedule(
      String cohort, String toRegion, long requestedAt, ActorRef<Reply> replyTo)
      implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** Set some profile fields (names from {@link #PROFILE_FIELDS}); owner only. */
  public record UpdateProfile(
      Map<String, String> changes,
      ActorRef<Reply> replyTo,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Command {
    public UpdateProfile(Map<String, String> changes, ActorRef<Reply> replyTo) {
      this(changes, replyTo, null);
    }
  }

  /** Add to (or, negative, take from) the loyalty points; any replica. */
  public record AdjustPoints(
      long delta,
      ActorRef<Reply> replyTo,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Command {
    public AdjustPoints(long delta, ActorRef<Reply> replyTo) {
      this(delta, replyTo, null);
    }
  }

  public record AddDevice(
      String deviceId,
      ActorRef<Reply> replyTo,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Command {
    public AddDevice(String deviceId, ActorRef<Reply> replyTo) {
      this(deviceId, replyTo, null);
    }
  }

  public record RemoveDevice(
      String deviceId,
      ActorRef<Reply> replyTo,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Command {
    public RemoveDevice(String deviceId, ActorRef<Reply> replyTo) {
      this(deviceId, replyTo, null);
    }
  }

  /** A credit or debit with a client-chosen id; owner only; the same id twice is applied once. */
  public record RecordPayment(
      String paymentId, PaymentKind kind, BigDecimal amount, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetPayment(String paymentId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Planned move: the user's home and ownership go to {@code toRegion}; owner only. {@code
   * requestedAt}: when the move was asked for (ms; null when not known), so the ownership history
   * can say how long it took.
   */
  public record MoveHome(
      String toRegion,
      ActorRef<Reply> replyTo,
      Long requestedAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Command {
    public MoveHome(String toRegion, ActorRef<Reply> replyTo) {
      this(toRegion, replyTo, null, null);
    }

    public MoveHome(String toRegion, ActorRef<Reply> replyTo, Long requestedAt) {
      this(toRegion, replyTo, requestedAt, null);
    }
  }

  /**
   * Ownership goes back to the home region (after that region returned); owner only. {@code
   * requestedAt}: when the home region was declared up again (ms; null when not known).
   */
  public record HandBack(ActorRef<Reply> replyTo, Long requestedAt) implements Command {
    public HandBack(ActorRef<Reply> replyTo) {
      this(replyTo, null);
    }
  }

  /**
   * Failover: this replica takes ownership from {@code fromRegion}, which was declared down. It is
   * a no-op when the owner is no longer {@code fromRegion} (someone else moved the user meanwhile).
   */
  public record SeizeOwnership(
      String fromRegion, String reason, ActorRef<Reply> replyTo, Long requestedAt)
      implements Command {
    /** {@code requestedAt} unknown: the history shows no duration for this seizure. */
    public SeizeOwnership(String fromRegion, String reason, ActorRef<Reply> replyTo) {
      this(fromRegion, reason, replyTo, null);
    }
  }

  /** Answers once this replica has applied an ownership change of at least {@code epoch}. */
  public record AwaitEpoch(long epoch, ActorRef<Reply> replyTo) implements Command {}

  /** Answers once this replica has applied payment {@code paymentId}. */
  public record AwaitPayment(String paymentId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Answers with the user once this replica has applied at least {@code events} events of region
   * {@code origin} (its {@code version[origin]}): a read that waits for a write made elsewhere, so
   * a client sees a write's arrival without polling (the bench's replication-lag probe).
   */
  public record AwaitVersion(String origin, long events, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Sharding's stop message for a replica (passivation, rebalance, the active-entity limit): as a
   * command it waits for a journal write in flight, so nothing being persisted is cut off.
   */
  enum Stop implements Command {
    INSTANCE
  }

  /** Sent by the replica to itself when it sees a negative balance that is not flagged yet. */
  enum FlagOverdraft implements Command {
    INSTANCE
  }

  /**
   * Another region's replica persisted an event: read its journal now. Handled as it arrives (also
   * while persisting or recovering) by {@link #create}'s interceptor, never by the command handler.
   */
  public record ReplicationHint(Hint hint) implements Command {}

  /**
   * Sent by the replica to itself after an event that may satisfy a waiter or end the catch-up. As
   * a command it is stashed while a journal write is in flight, so it is handled only once the
   * event that triggered it is stored: an answer from here is an answer about durable state.
   */
  enum Recheck implements Command {
    INSTANCE
  }

  /**
   * The first read of {@code origin}'s journal after recovery delivered {@code events} of its
   * events (-1: gave up waiting).
   */
  record CaughtUp(String origin, long events) implements Command {}

  // ---------------------------------------------------------------- replies

  public sealed interface Reply extends CborSerializable {}

  public record Accepted(View user) implements Reply {}

  /** This replica is not the owner; send the command to {@code owner}'s replica. */
  public record NotOwner(String owner, long epoch) implements Reply {}

  public record Rejected(Reason reason, String message) implements Reply {}

  public record PaymentFound(String paymentId, Payment payment) implements Reply {}

  /**
   * {@code NOT_DECLARED_DOWN}: a seizure refused because this replica's node does not see the old
   * owner's region declared down.
   */
  public enum Reason {
    UNKNOWN_USER,
    USER_EXISTS,
    INVALID,
    INSUFFICIENT_FUNDS,
    PAYMENT_CONFLICT,
    UNKNOWN_PAYMENT,
    NOT_DECLARED_DOWN,
    /** A new device for a user that has {@link UserSettings.Limits#maxDevices} already. */
    TOO_MANY_DEVICES,
    /** A new payment for a user that has {@link UserSettings.Limits#maxPayments} already. */
    TOO_MANY_PAYMENTS,
    /** A write's Idempotency-Key was used before for a different request to this user. */
    IDEMPOTENCY_KEY_REUSED
  }

  /** A payment as replicas record it and a {@link PaymentFound} reply carries it. */
  public record Payment(PaymentKind kind, BigDecimal amount, String acceptedBy, long epoch)
      implements CborSerializable {
    BigDecimal signedAmount() {
      return kind == PaymentKind.CREDIT ? amount : amount.negate();
    }
  }

  /** What a replica answers about a user: plain values, no CRDT internals. */
  public record View(
      String userId,
      String homeRegion,
      String owner,
      long epoch,
      Map<String, String> profile,
      long points,
      List<String> devices,
      BigDecimal balance,
      boolean overdraftFlagged,
      Map<String, Long> version,
      @JsonInclude(JsonInclude.Include.NON_NULL) String cohort)
      implements CborSerializable {
    public View(
        String userId,
        String homeRegion,
        String owner,
        long epoch,
        Map<String, String> profile,
        long points,
        List<String> devices,
        BigDecimal balance,
        boolean overdraftFlagged,
        Map<String, Long> version) {
      this(
          userId,
          homeRegion,
          owner,
          epoch,
          profile,
          points,
          devices,
          balance,
          overdraftFlagged,
          version,
          null);
    }
  }

  public enum PaymentKind {
    CREDIT,
    DEBIT
  }

  // ---------------------------------------------------------------- events

  /**
   * Every event carries the wall-clock millis at which its origin replica decided it ({@code at}).
   */
  public sealed interface Event extends CborSerializable {
    long at();
  }

  /**
   * Every write event carries the write's {@link RequestKey} when it was sent with an
   * Idempotency-Key ({@code request}; null otherwise, and not written, so events without one keep
   * their bytes).
   */
  public record UserCreated(
      String userId,
      String homeRegion,
      long at,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request,
      @JsonInclude(JsonInclude.Include.NON_NULL) String cohort)
      implements Event {
    public UserCreated(String userId, String homeRegion, long at, RequestKey request) {
      this(userId, homeRegion, at, request, null);
    }

    public UserCreated(String userId, String homeRegion, long at) {
      this(userId, homeRegion, at, null, null);
    }
  }

  /** LWW: each field carries the event's {@code (timestamp, origin)} as its {@link LwwTime}. */
  public record ProfileUpdated(
      Map<String, String> fields,
      long timestamp,
      String origin,
      long at,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Event {
    public ProfileUpdated(Map<String, String> fields, long timestamp, String origin, long at) {
      this(fields, timestamp, origin, at, null);
    }
  }

  /** With a {@code request}, counted once per key ({@link IdempotencyKeys}). */
  public record PointsAdjusted(
      long delta, long at, @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Event {
    public PointsAdjusted(long delta, long at) {
      this(delta, at, null);
    }
  }

  /**
   * Persisted before devices changed one at a time: the replica's whole device set after the
   * change, as a Pekko ORSet operation. Never written any more; journals hold it, so it stays
   * readable and is applied to {@link UserState#legacyDevices}.
   */
  public record DevicesChanged(
      String deviceId,
      boolean added,
      @JsonSerialize(using = PekkoSerialized.Writer.class)
          @JsonDeserialize(using = PekkoSerialized.Reader.class)
          ORSet.DeltaOp operation,
      long at)
      implements Event {}

  /**
   * Replica {@code origin} added a device; {@code counter} is the event's number among origin's own
   * events, so origin's adds grow in its order ({@link UserState.DeviceClock}). One device per
   * event, whatever the number of devices (the whole set it carried before could exceed Artery's
   * frame size).
   */
  public record DeviceAdded(
      String deviceId,
      String origin,
      long counter,
      long at,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Event {
    public DeviceAdded(String deviceId, String origin, long counter, long at) {
      this(deviceId, origin, counter, at, null);
    }
  }

  /**
   * A device removed: the adds of it that the removing replica had seen ({@code observed}: adder ->
   * the newest number of its adds, see {@link UserState.DeviceClock}) no longer count; an add it
   * had not seen still does, so a concurrent re-add wins.
   */
  public record DeviceRemoved(
      String deviceId,
      Map<String, Long> observed,
      long at,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Event {
    public DeviceRemoved(String deviceId, Map<String, Long> observed, long at) {
      this(deviceId, observed, at, null);
    }
  }

  public record PaymentRecorded(
      String paymentId, PaymentKind kind, BigDecimal amount, String acceptedBy, long epoch, long at)
      implements Event {}

  /**
   * {@code reason} ({@link OwnershipHistory.Reason#wireName}) and {@code requestedAt} (when the
   * change was asked for, ms) are null in events persisted before they existed (the history then
   * infers the reason).
   */
  public record OwnershipTransferred(
      String from,
      String to,
      String home,
      long epoch,
      long at,
      String reason,
      Long requestedAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Event {
    public OwnershipTransferred(String from, String to, String home, long epoch, long at) {
      this(from, to, home, epoch, at, null, null, null);
    }

    public OwnershipTransferred(
        String from, String to, String home, long epoch, long at, String reason, Long requestedAt) {
      this(from, to, home, epoch, at, reason, requestedAt, null);
    }
  }

  /** {@code home}: the home the seizing replica knew; a seizure does not move the home. */
  public record OwnershipSeized(
      String from, String to, String home, long epoch, String reason, long at, Long requestedAt)
      implements Event {
    /**
     * {@code requestedAt}: when the old owner's region was declared down (ms), as the seizing node
     * saw it; null in seizures persisted before it existed.
     */
    public OwnershipSeized(
        String from, String to, String home, long epoch, String reason, long at) {
      this(from, to, home, epoch, reason, at, null);
    }
  }

  public record OverdraftFlagged(BigDecimal balance, String detectedBy, long at) implements Event {}

  /**
   * The user joined {@code cohort}, or left its cohort ({@code cohort} null); {@code timestamp} and
   * {@code origin} order it against other cohort writes (last writer wins, as a profile field).
   */
  public record CohortChanged(
      String cohort,
      long timestamp,
      String origin,
      long at,
      @JsonInclude(JsonInclude.Include.NON_NULL) RequestKey request)
      implements Event {}

  // ---------------------------------------------------------------- wiring

  /** A replica outside sharding (tests, tools): an empty replica stays until it is stopped. */
  public static Behavior<Command> create(ReplicationId replicationId, UserSettings settings) {
    return create(replicationId, settings, null);
  }

  /**
   * A replica run by sharding: once it has answered that its user does not exist, it asks {@code
   * shard} to passivate it, so an unknown id costs one short-lived replica (null: never).
   */
  static Behavior<Command> create(
      ReplicationId replicationId,
      UserSettings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    Behavior<Command> replica =
        Behaviors.setup(
            context ->
                ReplicatedEventSourcing.perReplicaJournalConfig(
                    replicationId,
                    settings.journals().queryPlugins(settings.regions()),
                    replication -> new User(context, replication, settings, shard)));
    return Behaviors.intercept(HintInterceptor::new, replica);
  }

  /** Hands hints to this node's replication streams at once, past the replica's stash. */
  private static final class HintInterceptor extends BehaviorInterceptor<Command, Command> {
    HintInterceptor() {
      super(Command.class);
    }

    @Override
    public Behavior<Command> aroundReceive(
        TypedActorContext<Command> context, Command message, ReceiveTarget<Command> target) {
      if (message instanceof ReplicationHint hint) {
        ReplicationHints.get(context.asJava().getSystem()).deliver(hint.hint());
        return Behaviors.same();
      }
      return target.apply(context, message);
    }
  }

  /**
   * One replica per configured region, each in its own data center. Pekko's direct replication is
   * off: on Pekko 1.x it can drop an event for good (docs/decisions.md); the journal is the only
   * data path, woken by hints (io.meridian.replication).
   */
  public static ReplicatedEntityProvider<Command> provider(UserSettings settings) {
    // createPerDataCenter (ReplicatedEntityProvider.scala:114-125 at v1.2.1) with the entity's
    // shard handed to the replica (for passivation) and Stop as the stop message.
    return ReplicatedEntityProvider.create(
            Command.class,
            ENTITY_TYPE,
            settings.regions().replicaIds(),
            (EntityTypeKey<Command> typeKey, ReplicaId replicaId) ->
                ReplicatedEntity.create(
                    replicaId,
                    Entity.of(
                            typeKey,
                            entity ->
                                create(
                                    ReplicationId.fromString(entity.getEntityId()),
                                    settings,
                                    entity.getShard()))
                        .withDataCenter(replicaId.id())
                        .withStopMessage(Stop.INSTANCE)))
        .withDirectReplication(false);
  }

  // ---------------------------------------------------------------- behaviour

  private final ActorContext<Command> context;
  private final UserSettings settings;
  private final String self;
  private final Metrics metrics;

  /** Where to ask for passivation (sharding); null outside sharding. */
  private final ActorRef<ClusterSharding.ShardCommand> shard;

  /** Passivation was asked for: ask once. */
  private boolean passivating;

  /** Asks waiting for a condition on the state; transient, answered when an event makes it true. */
  private final List<Waiter> waiters = new ArrayList<>();

  /** A {@link Recheck} is on its way. */
  private boolean recheckSent;

  /**
   * While the replica catches up after recovery: per other region, how many of its events the state
   * must hold before commands are answered (null: not known yet; -1: gave up waiting). Null when
   * caught up.
   */
  private Map<String, Long> catchUpTargets;

  /** {@code paymentId} null: answer with the user; else with that payment. */
  private record Waiter(
      Predicate<UserState> condition,
      ActorRef<Reply> replyTo,
      String paymentId,
      long deadlineNanos) {}

  private static final Duration MAX_WAIT = Duration.ofSeconds(60);

  /**
   * A failed persist or recovery (journal unavailable) restarts the replica after a back-off
   * instead of stopping it, so it serves again once Cassandra is back; commands arriving meanwhile
   * are stashed.
   */
  private static final org.apache.pekko.actor.typed.BackoffSupervisorStrategy ON_PERSIST_FAILURE =
      org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(
          Duration.ofSeconds(1), Duration.ofSeconds(5), 0.2);

  private User(
      ActorContext<Command> context,
      ReplicationContext replication,
      UserSettings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(replication, java.util.Optional.of(ON_PERSIST_FAILURE));
    this.context = context;
    this.settings = settings;
    this.self = replication.replicaId().id();
    this.metrics = Metrics.get(context.getSystem());
    this.shard = shard;
  }

  @Override
  public String journalPluginId() {
    return settings.journals().journalFor(self);
  }

  @Override
  public String snapshotPluginId() {
    return settings.journals().snapshotFor(self);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.snapshotEvery() > 0
        ? RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2)
        : RetentionCriteria.disabled();
  }

  @Override
  public UserState emptyState() {
    return UserState.empty(getReplicationContext().entityId(), getReplicationContext().replicaId());
  }

  @Override
  public SignalHandler<UserState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              if (state.shouldFlagOverdraftAt(self)) context.getSelf().tell(FlagOverdraft.INSTANCE);
              startCatchUp(state);
            })
        .build();
  }

  /**
   * A replica that starts answers only once it has what the other regions' journals held when it
   * started: it asks this node's replication streams (started right after this signal, Pekko's
   * ReplayingEvents.scala:292-306) for the number of each region's events their first read
   * delivered, and stashes commands until its state holds them, or until the catch-up timeout
   * (another region's journal unreadable must not make this region unavailable).
   */
  private void startCatchUp(UserState recovered) {
    if (settings.catchUpTimeout().isZero()) return;
    catchUpTargets = new HashMap<>();
    var hints = ReplicationHints.get(context.getSystem());
    for (String region : settings.regions().names()) {
      if (region.equals(self)) continue;
      catchUpTargets.put(region, null);
      long before = recovered.version().getOrDefault(region, 0L);
      String persistenceId =
          ReplicationId.apply(ENTITY_TYPE, recovered.userId(), new ReplicaId(region))
              .persistenceId()
              .id();
      ActorRef<Command> replica = context.getSelf();
      hints
          .awaitFirstRead(persistenceId, settings.catchUpTimeout())
          .whenComplete(
              (events, timedOut) ->
                  replica.tell(new CaughtUp(region, timedOut == null ? before + events : -1)));
    }
    // A single-region deployment has no other journal to wait for (it stashed every command).
    if (catchUpTargets.isEmpty()) catchUpTargets = null;
  }

  private boolean caughtUp(UserState state) {
    if (catchUpTargets == null) return true;
    for (var target : catchUpTargets.entrySet()) {
      Long needed = target.getValue();
      if (needed == null) return false;
      if (needed >= 0 && state.version().getOrDefault(target.getKey(), 0L) < needed) return false;
    }
    catchUpTargets = null;
    return true;
  }

  @Override
  public CommandHandler<Command, Event, UserState> commandHandler() {
    CommandHandler<Command, Event, UserState> byState = handlersByState();
    return (state, command) -> {
      if (command instanceof CaughtUp caught) return onCaughtUp(state, caught);
      if (command instanceof Recheck) return onRecheck(state);
      if (catchUpTargets != null) return Effect().stash();
      return byState.apply(state, command);
    };
  }

  /**
   * The commands, by what this replica knows of the user: nothing (yet), that it owns the user, or
   * that another region does. A command goes to the first partition that matches the state and has
   * a handler for it; waits answer in every state, so they come first.
   */
  private CommandHandler<Command, Event, UserState> handlersByState() {
    var builder = newCommandHandlerBuilder();
    builder
        .forAnyState()
        .onCommand(Stop.class, () -> Effect().stop())
        .onCommand(AwaitEpoch.class, this::onAwaitEpoch)
        .onCommand(AwaitPayment.class, this::onAwaitPayment)
        .onCommand(AwaitVersion.class, this::onAwaitVersion);

    // Not created here: created elsewhere a moment ago, or not at all. Only the home region's
    // replica creates.
    builder
        .forState(state -> !state.created())
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, this::onGetUnknown)
        .onCommand(UpdateProfile.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(AdjustPoints.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(AddDevice.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(RemoveDevice.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(RecordPayment.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(GetPayment.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(MoveHome.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(HandBack.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(SetCohort.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(FollowSchedule.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(SeizeOwnership.class, (state, cmd) -> replyUnknownUser(cmd.replyTo(), state))
        .onCommand(FlagOverdraft.class, () -> Effect().none());

    // Owned here: the single-writer commands execute.
    builder
        .forState(state -> state.isOwnedBy(self))
        .onCommand(UpdateProfile.class, this::onUpdateProfile)
        .onCommand(RecordPayment.class, this::onRecordPayment)
        .onCommand(MoveHome.class, this::onMoveHome)
        .onCommand(HandBack.class, this::onHandBack)
        .onCommand(SetCohort.class, this::onSetCohort)
        .onCommand(FollowSchedule.class, this::onFollowSchedule)
        .onCommand(
            SeizeOwnership.class,
            (state, cmd) -> replyAccepted(cmd.replyTo(), state)) // already the owner
        .onCommand(FlagOverdraft.class, this::onFlagOverdraft);

    // Owned by another region: single-writer commands are answered with the owner, for the caller
    // to
    // forward; a seizure from that owner executes here, if this node sees the owner's region down.
    builder
        .forState(state -> state.created() && !state.isOwnedBy(self))
        .onCommand(UpdateProfile.class, (state, cmd) -> replyNotOwner(cmd.replyTo(), state))
        .onCommand(RecordPayment.class, (state, cmd) -> replyNotOwner(cmd.replyTo(), state))
        .onCommand(MoveHome.class, (state, cmd) -> replyNotOwner(cmd.replyTo(), state))
        .onCommand(HandBack.class, (state, cmd) -> replyNotOwner(cmd.replyTo(), state))
        .onCommand(SetCohort.class, (state, cmd) -> replyNotOwner(cmd.replyTo(), state))
        .onCommand(FollowSchedule.class, (state, cmd) -> replyNotOwner(cmd.replyTo(), state))
        .onCommand(SeizeOwnership.class, this::onSeize)
        .onCommand(
            FlagOverdraft.class,
            () -> Effect().none()); // only the owner flags (UserState.shouldFlagOverdraftAt)

    // Created, whoever owns it: reads and CRDT writes, which every replica accepts.
    builder
        .forState(UserState::created)
        .onCommand(Create.class, this::onCreateExisting)
        .onCommand(Get.class, (state, cmd) -> replyAccepted(cmd.replyTo(), state))
        .onCommand(AdjustPoints.class, this::onAdjustPoints)
        .onCommand(AddDevice.class, this::onAddDevice)
        .onCommand(RemoveDevice.class, this::onRemoveDevice)
        .onCommand(GetPayment.class, this::onGetPayment);
    return builder.build();
  }

  // ---------------------------------------------------------------- a user not created here

  private Effect<Event, UserState> onCreate(UserState state, Create cmd) {
    if (!settings.regions().contains(cmd.homeRegion()))
      return replyWhileEmpty(
          cmd.replyTo(), new Rejected(Reason.INVALID, "unknown region " + cmd.homeRegion()));
    if (!cmd.homeRegion().equals(self))
      return replyWhileEmpty(cmd.replyTo(), new NotOwner(cmd.homeRegion(), 0));
    var created = new UserCreated(state.userId(), self, now(), cmd.request(), cmd.cohort());
    if (cmd.cohort() == null || !movesOnSchedule(cmd.scheduledOwner()))
      return persistAndReply(created, cmd.replyTo());
    // Created where it was asked, and moved to the region its cohort's schedule gives it now in
    // the same atomic journal write.
    return persistAllAndReply(
        List.of(created, scheduledMove(2, cmd.scheduledOwner(), null)), cmd.replyTo());
  }

  private Effect<Event, UserState> onGetUnknown(UserState state, Get cmd) {
    // It may have been created elsewhere a moment ago and its hint lost. Under sharding this
    // replica passivates now, and the next command starts one that reads the other regions'
    // journals before it answers (catch-up); a replica outside sharding stays, so it reads them
    // now, for the next read to see it.
    if (shard == null) pokeOtherRegions(state);
    return replyUnknownUser(cmd.replyTo(), state);
  }

  // ---------------------------------------------------------------- owned here

  private Effect<Event, UserState> onUpdateProfile(UserState state, UpdateProfile cmd) {
    Effect<Event, UserState> repeated = repeated(state, cmd.request(), cmd.replyTo());
    if (repeated != null) return repeated;
    if (cmd.changes().isEmpty() || !PROFILE_FIELDS.containsAll(cmd.changes().keySet())) {
      return Effect()
          .reply(
              cmd.replyTo(), new Rejected(Reason.INVALID, "profile fields are " + PROFILE_FIELDS));
    }
    // Newer than every field we have seen, even if this node's clock is behind the previous
    // writer's.
    LwwTime time =
        state
            .newestProfileTime(getReplicationContext().replicaId())
            .increase(now(), getReplicationContext().replicaId());
    return persistAndReply(
        new ProfileUpdated(Map.copyOf(cmd.changes()), time.timestamp(), self, now(), cmd.request()),
        cmd.replyTo());
  }

  private Effect<Event, UserState> onRecordPayment(UserState state, RecordPayment cmd) {
    if (cmd.amount() == null || cmd.amount().signum() <= 0 || cmd.amount().scale() > 2) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(Reason.INVALID, "amount must be positive with at most 2 decimals"));
    }
    Payment existing = state.wallet().payments().get(cmd.paymentId());
    if (existing != null) {
      boolean same = existing.kind == cmd.kind() && existing.amount.compareTo(cmd.amount()) == 0;
      return same
          ? replyAccepted(cmd.replyTo(), state) // a retry: applied once
          : Effect()
              .reply(
                  cmd.replyTo(),
                  new Rejected(
                      Reason.PAYMENT_CONFLICT,
                      "payment " + cmd.paymentId() + " exists with another kind or amount"));
    }
    int max = settings.limits().maxPayments();
    if (state.wallet().payments().size() >= max) {
      // A cap, not a window: every payment id stays in the state, or a retry of an old one would be
      // applied twice and a concurrent owner's record of it could not be merged
      // (docs/decisions.md).
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(
                  Reason.TOO_MANY_PAYMENTS,
                  "user "
                      + state.userId()
                      + " has "
                      + max
                      + " payments, the most a user's history holds; payment "
                      + cmd.paymentId()
                      + " was not recorded"));
    }
    if (cmd.kind() == PaymentKind.DEBIT && state.wallet().balance().compareTo(cmd.amount()) < 0) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(
                  Reason.INSUFFICIENT_FUNDS,
                  "balance " + state.wallet().balance() + " is less than " + cmd.amount()));
    }
    var event =
        new PaymentRecorded(
            cmd.paymentId(), cmd.kind(), cmd.amount().setScale(2), self, state.epoch(), now());
    return persistAndReply(event, cmd.replyTo());
  }

  private Effect<Event, UserState> onMoveHome(UserState state, MoveHome cmd) {
    Effect<Event, UserState> repeated = repeated(state, cmd.request(), cmd.replyTo());
    if (repeated != null) return repeated;
    if (!settings.regions().contains(cmd.toRegion()))
      return replyUnknownRegion(cmd.replyTo(), cmd.toRegion());
    if (cmd.toRegion().equals(self) && cmd.toRegion().equals(state.ownership().home()))
      return replyAccepted(cmd.replyTo(), state);
    var event =
        new OwnershipTransferred(
            self,
            cmd.toRegion(),
            cmd.toRegion(),
            state.epoch() + 1,
            now(),
            OwnershipHistory.Reason.PLANNED_MOVE.wireName(),
            cmd.requestedAt(),
            cmd.request());
    return persistAndReply(event, cmd.replyTo());
  }

  private Effect<Event, UserState> onHandBack(UserState state, HandBack cmd) {
    String home = state.ownership().home();
    if (home.equals(self)) return replyAccepted(cmd.replyTo(), state);
    return persistAndReply(
        new OwnershipTransferred(
            self,
            home,
            home,
            state.epoch() + 1,
            now(),
            OwnershipHistory.Reason.HANDED_BACK.wireName(),
            cmd.requestedAt()),
        cmd.replyTo());
  }

  private Effect<Event, UserState> onSetCohort(UserState state, SetCohort cmd) {
    Effect<Event, UserState> repeated = repeated(state, cmd.request(), cmd.replyTo());
    if (repeated != null) return repeated;
    boolean moves = cmd.cohort() != null && movesOnSchedule(cmd.scheduledOwner());
    if (java.util.Objects.equals(cmd.cohort(), state.cohortName()) && !moves)
      return replyAccepted(cmd.replyTo(), state);
    LwwTime time =
        state
            .cohortTime(getReplicationContext().replicaId())
            .increase(now(), getReplicationContext().replicaId());
    var changed = new CohortChanged(cmd.cohort(), time.timestamp(), self, now(), cmd.request());
    if (!moves) return persistAndReply(changed, cmd.replyTo());
    return persistAllAndReply(
        List.of(changed, scheduledMove(state.epoch() + 1, cmd.scheduledOwner(), null)),
        cmd.replyTo());
  }

  private Effect<Event, UserState> onFollowSchedule(UserState state, FollowSchedule cmd) {
    // Left the cohort meanwhile, or already there, or a region this node does not know: no move.
    if (!cmd.cohort().equals(state.cohortName()) || !movesOnSchedule(cmd.toRegion()))
      return replyAccepted(cmd.replyTo(), state);
    return persistAndReply(
        scheduledMove(state.epoch() + 1, cmd.toRegion(), cmd.requestedAt()), cmd.replyTo());
  }

  private boolean movesOnSchedule(String toRegion) {
    return toRegion != null && !toRegion.equals(self) && settings.regions().contains(toRegion);
  }

  private OwnershipTransferred scheduledMove(long epoch, String toRegion, Long requestedAt) {
    return new OwnershipTransferred(
        self,
        toRegion,
        toRegion,
        epoch,
        now(),
        OwnershipHistory.Reason.SCHEDULE.wireName(),
        requestedAt);
  }

  private Effect<Event, UserState> onFlagOverdraft(UserState state, FlagOverdraft cmd) {
    if (!state.needsOverdraftFlag()) return Effect().none();
    context
        .getLog()
        .warn(
            "overdraft user={} region={} epoch={} balance={}",
            state.userId(),
            self,
            state.epoch(),
            state.wallet().balance());
    return Effect().persist(new OverdraftFlagged(state.wallet().balance(), self, now()));
  }

  // ---------------------------------------------------------------- owned by another region

  /** A no-op unless the user is still {@code fromRegion}'s: someone else moved it meanwhile. */
  private Effect<Event, UserState> onSeize(UserState state, SeizeOwnership cmd) {
    if (!cmd.fromRegion().equals(state.owner())) return replyAccepted(cmd.replyTo(), state);
    if (!settings.declaredDownHere().test(cmd.fromRegion())) {
      context
          .getLog()
          .info(
              "seizure refused user={} region={} epoch={} from={}: not declared down here",
              state.userId(),
              self,
              state.epoch(),
              cmd.fromRegion());
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(
                  Reason.NOT_DECLARED_DOWN,
                  "region " + cmd.fromRegion() + " is not declared down in region " + self));
    }
    var event =
        new OwnershipSeized(
            state.owner(),
            self,
            state.ownership().home(),
            state.epoch() + 1,
            cmd.reason(),
            now(),
            cmd.requestedAt());
    return persistAndReply(event, cmd.replyTo());
  }

  // ---------------------------------------------------------------- created, whoever owns it

  private Effect<Event, UserState> onCreateExisting(UserState state, Create cmd) {
    Effect<Event, UserState> repeated = repeated(state, cmd.request(), cmd.replyTo());
    if (repeated != null) return repeated;
    if (!settings.regions().contains(cmd.homeRegion()))
      return replyUnknownRegion(cmd.replyTo(), cmd.homeRegion());
    return Effect()
        .reply(
            cmd.replyTo(),
            new Rejected(Reason.USER_EXISTS, "user " + state.userId() + " already exists"));
  }

  private Effect<Event, UserState> onAdjustPoints(UserState state, AdjustPoints cmd) {
    Effect<Event, UserState> repeated = repeated(state, cmd.request(), cmd.replyTo());
    if (repeated != null) return repeated;
    if (cmd.delta() == 0)
      return Effect().reply(cmd.replyTo(), new Rejected(Reason.INVALID, "delta must not be 0"));
    return persistAndReply(new PointsAdjusted(cmd.delta(), now(), cmd.request()), cmd.replyTo());
  }

  private Effect<Event, UserState> onAddDevice(UserState state, AddDevice cmd) {
    Effect<Event, UserState> repeated = repeated(state, cmd.request(), cmd.replyTo());
    if (repeated != null) return repeated;
    int max = settings.limits().maxDevices();
    if (!state.hasDevice(cmd.deviceId()) && state.deviceIds().size() >= max) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(
                  Reason.TOO_MANY_DEVICES,
                  "user "
                      + state.userId()
                      + " has "
                      + max
                      + " devices, the most allowed; remove one before adding "
                      + cmd.deviceId()));
    }
    // Always persisted, even when present: a re-add is a new add, so it wins over a concurrent
    // remove.
    return persistAndReply(
        new DeviceAdded(cmd.deviceId(), self, state.nextDeviceAdd(self), now(), cmd.request()),
        cmd.replyTo());
  }

  private Effect<Event, UserState> onRemoveDevice(UserState state, RemoveDevice cmd) {
    Effect<Event, UserState> repeated = repeated(state, cmd.request(), cmd.replyTo());
    if (repeated != null) return repeated;
    if (!state.hasDevice(cmd.deviceId())) return replyAccepted(cmd.replyTo(), state);
    return persistAndReply(
        new DeviceRemoved(cmd.deviceId(), state.addsOfDevice(cmd.deviceId()), now(), cmd.request()),
        cmd.replyTo());
  }

  private Effect<Event, UserState> onGetPayment(UserState state, GetPayment cmd) {
    Payment payment = state.wallet().payments().get(cmd.paymentId());
    return Effect()
        .reply(
            cmd.replyTo(),
            payment == null
                ? new Rejected(
                    Reason.UNKNOWN_PAYMENT,
                    "no payment " + cmd.paymentId() + " seen by region " + self)
                : new PaymentFound(cmd.paymentId(), payment));
  }

  // ---------------------------------------------------------------- any state: waits, catch-up

  private Effect<Event, UserState> onAwaitEpoch(UserState state, AwaitEpoch cmd) {
    return awaitOr(state, s -> s.epoch() >= cmd.epoch(), cmd.replyTo(), null);
  }

  private Effect<Event, UserState> onAwaitPayment(UserState state, AwaitPayment cmd) {
    return awaitOr(
        state,
        s -> s.wallet().payments().containsKey(cmd.paymentId()),
        cmd.replyTo(),
        cmd.paymentId());
  }

  private Effect<Event, UserState> onAwaitVersion(UserState state, AwaitVersion cmd) {
    return awaitOr(
        state,
        s -> s.version().getOrDefault(cmd.origin(), 0L) >= cmd.events(),
        cmd.replyTo(),
        null);
  }

  private Effect<Event, UserState> awaitOr(
      UserState state, Predicate<UserState> condition, ActorRef<Reply> replyTo, String paymentId) {
    if (condition.test(state)) return Effect().reply(replyTo, answerFor(state, paymentId));
    waiters.add(new Waiter(condition, replyTo, paymentId, System.nanoTime() + MAX_WAIT.toNanos()));
    // Someone waits for an event this replica has not seen: read the other regions' journals now
    // rather than trust that its hint arrived (it is lost if it was sent during a partition).
    pokeOtherRegions(state);
    return Effect().none();
  }

  private static Reply answerFor(UserState state, String paymentId) {
    return paymentId == null
        ? new Accepted(state.view())
        : new PaymentFound(paymentId, state.wallet().payments().get(paymentId));
  }

  private Effect<Event, UserState> onCaughtUp(UserState state, CaughtUp caught) {
    if (catchUpTargets == null) return Effect().none();
    catchUpTargets.put(caught.origin(), caught.events());
    if (caught.events() < 0) {
      context
          .getLog()
          .info(
              "catch-up user={} region={} gave up waiting for the first read of {}",
              state.userId(),
              self,
              caught.origin());
    }
    return caughtUp(state) ? Effect().unstashAll() : Effect().none();
  }

  /** Answers the waiters the stored state satisfies, and ends the catch-up once it holds enough. */
  private Effect<Event, UserState> onRecheck(UserState state) {
    recheckSent = false;
    long nowNanos = System.nanoTime();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.condition.test(state)) {
        waiter.replyTo.tell(answerFor(state, waiter.paymentId));
        it.remove();
      } else if (nowNanos > waiter.deadlineNanos) {
        it.remove(); // the asker has timed out long ago
      }
    }
    if (catchUpTargets != null && caughtUp(state)) return Effect().unstashAll();
    return Effect().none();
  }

  // ---------------------------------------------------------------- replies and helpers

  private void pokeOtherRegions(UserState state) {
    var hints = ReplicationHints.get(context.getSystem());
    for (String region : settings.regions().names()) {
      if (!region.equals(self))
        hints.poke(
            ReplicationId.apply(ENTITY_TYPE, state.userId(), new ReplicaId(region))
                .persistenceId()
                .id());
    }
  }

  private long now() {
    return getReplicationContext().currentTimeMillis();
  }

  private Effect<Event, UserState> replyAccepted(ActorRef<Reply> replyTo, UserState state) {
    return Effect().reply(replyTo, new Accepted(state.view()));
  }

  private Effect<Event, UserState> replyUnknownUser(ActorRef<Reply> replyTo, UserState state) {
    return replyWhileEmpty(
        replyTo,
        new Rejected(
            Reason.UNKNOWN_USER,
            "user " + state.userId() + " does not exist (or has not replicated here yet)"));
  }

  /**
   * An answer of a replica that knows no user: it then asks sharding to passivate it, unless
   * someone waits for an event here. So an id that does not exist costs one replica in this region
   * for one answer, never a replica that lives (and reads the other regions' journals) for the
   * passivation timeout; a command that follows starts a replica that reads them before it answers.
   */
  private Effect<Event, UserState> replyWhileEmpty(ActorRef<Reply> replyTo, Reply reply) {
    return Effect().none().thenRun(this::passivateIfEmpty).thenReply(replyTo, state -> reply);
  }

  private void passivateIfEmpty(UserState state) {
    if (shard == null || passivating || state.created() || !waiters.isEmpty()) return;
    passivating = true;
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
  }

  private Effect<Event, UserState> replyNotOwner(ActorRef<Reply> replyTo, UserState state) {
    return Effect().reply(replyTo, new NotOwner(state.owner(), state.epoch()));
  }

  private Effect<Event, UserState> replyUnknownRegion(ActorRef<Reply> replyTo, String region) {
    return Effect().reply(replyTo, new Rejected(Reason.INVALID, "unknown region " + region));
  }

  /**
   * A write whose Idempotency-Key this replica has seen (docs/api.md, "Idempotency-Key"): with the
   * same request, the first outcome (the user as it is now, which includes that write) and nothing
   * persisted; with another request, a refusal. Null: the key is new (or there is none), execute.
   */
  private Effect<Event, UserState> repeated(
      UserState state, RequestKey request, ActorRef<Reply> replyTo) {
    if (request == null) return null;
    IdempotencyKeys.Use use = state.idempotencyKeys().get(request.key());
    if (use == null) return null;
    if (use.digest().equals(request.digest())) return replyAccepted(replyTo, state);
    return Effect()
        .reply(
            replyTo,
            new Rejected(
                Reason.IDEMPOTENCY_KEY_REUSED,
                "Idempotency-Key "
                    + request.key()
                    + " was used for another request to user "
                    + state.userId()
                    + "; send a new key with a new request"));
  }

  private Effect<Event, UserState> persistAndReply(Event event, ActorRef<Reply> replyTo) {
    return Effect().persist(event).thenReply(replyTo, updated -> new Accepted(updated.view()));
  }

  /** Several events in one atomic journal write; the answer once all are stored. */
  private Effect<Event, UserState> persistAllAndReply(List<Event> events, ActorRef<Reply> replyTo) {
    return Effect().persist(events).thenReply(replyTo, updated -> new Accepted(updated.view()));
  }

  @Override
  public EventHandler<UserState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent((UserState state, Event event) -> apply(state, event));
  }

  private UserState apply(UserState state, Event event) {
    UserState updated =
        state.apply(event, settings.regions()).counted(getReplicationContext().origin().id());
    if (!getReplicationContext().recoveryRunning()) afterApply(state, updated, event);
    return updated;
  }

  /**
   * Side effects of a live (not recovering) event: log ownership changes, answer waiters, flag
   * overdrafts.
   */
  private void afterApply(UserState before, UserState after, Event event) {
    String origin = getReplicationContext().origin().id();
    if (origin.equals(self)) metrics.eventPersisted(event.getClass().getSimpleName());
    else metrics.replicationLag(origin, System.currentTimeMillis() - event.at());
    if (before.epoch() != after.epoch()
        || !java.util.Objects.equals(before.owner(), after.owner())) {
      OwnershipHistory.Change change =
          OwnershipHistory.changeOf(
              event, before.ownership() == null ? null : before.ownership().home());
      String reason = change == null ? event.getClass().getSimpleName() : change.reason();
      metrics.ownershipChanged(reason);
      String cause =
          event instanceof OwnershipSeized seized
              ? "seized from " + seized.from() + ": " + seized.reason()
              : event.getClass().getSimpleName();
      context
          .getLog()
          .info(
              "ownership user={} region={} owner={} home={} epoch={} cause={} reason={} from={}"
                  + " decidedBy={} tookMs={}",
              after.userId(),
              self,
              after.owner(),
              after.ownership().home(),
              after.epoch(),
              cause,
              reason,
              change == null ? null : change.from(),
              change == null ? null : change.decidedBy(),
              change == null ? null : change.tookMillis());
      if (change != null)
        context
            .getSystem()
            .eventStream()
            .tell(
                new org.apache.pekko.actor.typed.eventstream.EventStream.Publish<>(
                    new OwnershipHistory.Applied(after.userId(), self, after.owner(), change)));
    }
    if (event instanceof OverdraftFlagged) metrics.overdraftFlagged();
    if (after.shouldFlagOverdraftAt(self) && !before.shouldFlagOverdraftAt(self))
      context.getSelf().tell(FlagOverdraft.INSTANCE);
    // Never answer a waiter from here: this handler runs before the event's journal write
    // (docs/design.md, Persistence).
    if ((!waiters.isEmpty() || catchUpTargets != null) && !recheckSent) {
      recheckSent = true;
      context.getSelf().tell(Recheck.INSTANCE);
    }
  }
}
