package io.meridian.tools.bench;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.meridian.serialization.CborSerializable;
import io.meridian.serialization.PekkoSerialized;
import io.meridian.user.User;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.ORSet;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The single-region baseline: a plain {@link EventSourcedBehavior} that persists the same event
 * classes as {@link User} for the same operations (same serializer, same snapshot interval), with
 * no replication, no ownership and no HTTP. What Meridian adds on top is what the ratio measures.
 */
final class BenchUser extends EventSourcedBehavior<BenchUser.Command, User.Event, BenchUser.State> {
  static final String JOURNAL = "meridian-bench-cassandra.journal";
  static final String SNAPSHOT = "meridian-bench-cassandra.snapshot";
  private static final ReplicaId SELF = new ReplicaId("bench");

  sealed interface Command {}

  record Create(ActorRef<Reply> replyTo) implements Command {}

  record Execute(Workload.Op op, ActorRef<Reply> replyTo) implements Command {}

  /**
   * {@code refused}: a debit larger than the balance, answered without persisting (as Meridian's
   * 409).
   */
  record Reply(boolean refused) {}

  public record State(
      boolean created,
      Map<String, String> profile,
      long points,
      @JsonSerialize(using = PekkoSerialized.Writer.class)
          @JsonDeserialize(using = PekkoSerialized.Reader.class)
          ORSet<String> devices,
      BigDecimal balance,
      Map<String, User.Payment> payments)
      implements CborSerializable {}

  private final String userId;
  private final int snapshotEvery;

  private BenchUser(PersistenceId persistenceId, String userId, int snapshotEvery) {
    super(persistenceId);
    this.userId = userId;
    this.snapshotEvery = snapshotEvery;
  }

  static Behavior<Command> create(String userId, int snapshotEvery) {
    return new BenchUser(PersistenceId.of("BenchUser", userId), userId, snapshotEvery);
  }

  @Override
  public String journalPluginId() {
    return JOURNAL;
  }

  @Override
  public String snapshotPluginId() {
    return SNAPSHOT;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return snapshotEvery > 0
        ? RetentionCriteria.snapshotEvery(snapshotEvery, 2)
        : RetentionCriteria.disabled();
  }

  @Override
  public State emptyState() {
    return new State(false, Map.of(), 0, ORSet.empty(SELF), BigDecimal.ZERO.setScale(2), Map.of());
  }

  @Override
  public CommandHandler<Command, User.Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(
            Create.class,
            (state, cmd) ->
                state.created()
                    ? Effect().reply(cmd.replyTo(), new Reply(false))
                    : Effect()
                        .persist(new User.UserCreated(userId, "bench", now()))
                        .thenReply(cmd.replyTo(), s -> new Reply(false)))
        .onCommand(Execute.class, this::onExecute)
        .build();
  }

  private Effect<User.Event, State> onExecute(State state, Execute cmd) {
    Workload.Op op = cmd.op();
    User.Event event =
        switch (op.kind()) {
          case READ -> null;
          case PROFILE ->
              new User.ProfileUpdated(
                  Map.of("displayName", op.displayName()), now(), SELF.id(), now());
          case POINTS -> new User.PointsAdjusted(op.pointsDelta(), now());
          case DEVICE -> {
            // The same whole-set operation User persists (User.deviceChange).
            ORSet.DeltaOp delta =
                op.addDevice()
                    ? state.devices().add(op.deviceId())
                    : state.devices().remove(op.deviceId());
            yield new User.DevicesChanged(
                op.deviceId(),
                op.addDevice(),
                new ORSet.FullStateDeltaOp<>(state.devices().applyOperation(delta)),
                now());
          }
          case PAYMENT -> {
            User.PaymentKind kind = op.credit() ? User.PaymentKind.CREDIT : User.PaymentKind.DEBIT;
            if (kind == User.PaymentKind.DEBIT && state.balance().compareTo(op.amount()) < 0)
              yield null;
            yield new User.PaymentRecorded(
                userId + "-p" + op.seq(), kind, op.amount(), SELF.id(), 1, now());
          }
        };
    if (event == null)
      return Effect().reply(cmd.replyTo(), new Reply(op.kind() == Workload.Kind.PAYMENT));
    return Effect().persist(event).thenReply(cmd.replyTo(), s -> new Reply(false));
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  @Override
  public EventHandler<State, User.Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(BenchUser::apply);
  }

  private static State apply(State state, User.Event event) {
    if (event instanceof User.UserCreated)
      return new State(
          true,
          state.profile(),
          state.points(),
          state.devices(),
          state.balance(),
          state.payments());
    if (event instanceof User.ProfileUpdated e) {
      var profile = new HashMap<>(state.profile());
      profile.putAll(e.fields());
      return new State(
          state.created(),
          Map.copyOf(profile),
          state.points(),
          state.devices(),
          state.balance(),
          state.payments());
    }
    if (event instanceof User.PointsAdjusted e)
      return new State(
          state.created(),
          state.profile(),
          state.points() + e.delta(),
          state.devices(),
          state.balance(),
          state.payments());
    if (event instanceof User.DevicesChanged e)
      return new State(
          state.created(),
          state.profile(),
          state.points(),
          state.devices().applyOperation(e.operation()),
          state.balance(),
          state.payments());
    if (event instanceof User.PaymentRecorded e) {
      var payments = new HashMap<>(state.payments());
      payments.put(
          e.paymentId(), new User.Payment(e.kind(), e.amount(), e.acceptedBy(), e.epoch()));
      BigDecimal balance =
          e.kind() == User.PaymentKind.CREDIT
              ? state.balance().add(e.amount())
              : state.balance().subtract(e.amount());
      return new State(
          state.created(),
          state.profile(),
          state.points(),
          state.devices(),
          balance,
          Map.copyOf(payments));
    }
    return state;
  }
}
