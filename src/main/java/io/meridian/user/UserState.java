package io.meridian.user;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.meridian.serialization.CborSerializable;
import io.meridian.serialization.PekkoSerialized;
import io.meridian.topology.Regions;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.Counter;
import org.apache.pekko.persistence.typed.crdt.LwwTime;
import org.apache.pekko.persistence.typed.crdt.ORSet;

/**
 * What one replica of a {@link User} knows, and the merge rules that every replica applies to every
 * event ({@link #apply}): each part has a rule that is commutative, associative and idempotent, so
 * replicas that have applied the same set of events are equal whatever the order
 * (UserMergePropertiesTest).
 *
 * <p>Not stored while snapshots stay off (docs/decisions.md); a snapshot written before this type
 * left {@code User} reads through {@link UserStateMigration}.
 *
 * @param version how many events of each origin this replica has applied (to tell when a starting
 *     replica has caught up with the other regions' journals)
 */
public record UserState(
    String userId,
    boolean created,
    Ownership ownership,
    Map<String, LwwField> profile,
    @JsonSerialize(using = PekkoSerialized.Writer.class)
        @JsonDeserialize(using = PekkoSerialized.Reader.class)
        Counter points,
    @JsonSerialize(using = PekkoSerialized.Writer.class)
        @JsonDeserialize(using = PekkoSerialized.Reader.class)
        ORSet<String> devices,
    Wallet wallet,
    Map<String, Long> version)
    implements CborSerializable {

  /**
   * The ownership register: highest epoch wins; equal epochs go to the owner ranked first, and two
   * claims of the same owner and epoch (a move and a seizure to the same region) to the home ranked
   * first, so the merge is a total order and every replica keeps the same claim.
   */
  public record Ownership(String home, String owner, long epoch) implements CborSerializable {
    Ownership merge(Ownership other, Regions regions) {
      if (other == null) return this;
      if (other.epoch != epoch) return other.epoch > epoch ? other : this;
      if (!other.owner.equals(owner))
        return regions.rank(other.owner) < regions.rank(owner) ? other : this;
      return regions.rank(other.home) < regions.rank(home) ? other : this;
    }
  }

  public record LwwField(String value, long timestamp, String origin) implements CborSerializable {
    LwwTime time() {
      return new LwwTime(timestamp, new ReplicaId(origin));
    }
  }

  public record Wallet(
      BigDecimal balance, Map<String, User.Payment> payments, boolean overdraftFlagged)
      implements CborSerializable {
    static final Wallet EMPTY = new Wallet(BigDecimal.ZERO.setScale(2), Map.of(), false);
  }

  /**
   * Which record of one payment id every replica keeps when two owners recorded it concurrently (a
   * retry at the new owner after a seizure, before the old owner's record arrived): the newer
   * owner's (higher epoch), then a fixed order of the other fields. The order, not arrival,
   * decides.
   */
  static final Comparator<User.Payment> PAYMENT_PRECEDENCE =
      Comparator.comparingLong(User.Payment::epoch)
          .thenComparing(User.Payment::acceptedBy)
          .thenComparing(User.Payment::kind)
          .thenComparing(User.Payment::amount);

  static UserState empty(String userId, ReplicaId self) {
    return new UserState(
        userId, false, null, Map.of(), Counter.empty(), ORSet.empty(self), Wallet.EMPTY, Map.of());
  }

  // ---------------------------------------------------------------- the merge rules

  /**
   * This state with {@code event} applied: pure, so the property tests drive exactly what every
   * replica applies.
   */
  UserState apply(User.Event event, Regions regions) {
    if (event instanceof User.UserCreated e)
      return asCreated(new Ownership(e.homeRegion(), e.homeRegion(), 1), regions);
    if (event instanceof User.ProfileUpdated e)
      return withProfile(e.fields(), new LwwTime(e.timestamp(), new ReplicaId(e.origin())));
    if (event instanceof User.PointsAdjusted e) return withPoints(e.delta());
    if (event instanceof User.DevicesChanged e) return withDevices(e.operation());
    if (event instanceof User.PaymentRecorded e)
      return withPayment(
          e.paymentId(), new User.Payment(e.kind(), e.amount(), e.acceptedBy(), e.epoch()));
    if (event instanceof User.OwnershipTransferred e)
      return withOwnership(new Ownership(e.home(), e.to(), e.epoch()), regions);
    if (event instanceof User.OwnershipSeized e) {
      // The claim must come from the event alone: a replica may apply a seizure before the events
      // it
      // followed (creation, an earlier move), and a home taken from the local state would then
      // differ
      // between replicas. Only seizures persisted before the event had a home fall back to the
      // state.
      String home = e.home() != null ? e.home() : ownership == null ? e.from() : ownership.home();
      return withOwnership(new Ownership(home, e.to(), e.epoch()), regions);
    }
    if (event instanceof User.OverdraftFlagged) return withOverdraftFlag();
    throw new IllegalStateException("unknown event " + event);
  }

  UserState counted(String origin) {
    var counts = new TreeMap<>(version);
    counts.merge(origin, 1L, Long::sum);
    return withVersion(counts);
  }

  UserState withVersion(Map<String, Long> counts) {
    return new UserState(
        userId, created, ownership, profile, points, devices, wallet, Map.copyOf(counts));
  }

  UserState withOwnership(Ownership claim, Regions regions) {
    Ownership merged = claim.merge(ownership, regions);
    return new UserState(userId, created, merged, profile, points, devices, wallet, version);
  }

  UserState asCreated(Ownership claim, Regions regions) {
    UserState withClaim = withOwnership(claim, regions);
    return new UserState(
        userId, true, withClaim.ownership, profile, points, devices, wallet, version);
  }

  UserState withProfile(Map<String, String> fields, LwwTime time) {
    var merged = new HashMap<>(profile);
    fields.forEach(
        (name, value) -> {
          LwwField current = merged.get(name);
          if (current == null || time.isAfter(current.time())) {
            merged.put(name, new LwwField(value, time.timestamp(), time.originReplica().id()));
          }
        });
    return new UserState(
        userId, created, ownership, Map.copyOf(merged), points, devices, wallet, version);
  }

  UserState withPoints(long delta) {
    Counter updated = points.applyOperation(new Counter.Updated(BigInteger.valueOf(delta)));
    return new UserState(userId, created, ownership, profile, updated, devices, wallet, version);
  }

  UserState withDevices(ORSet.DeltaOp operation) {
    return new UserState(
        userId,
        created,
        ownership,
        profile,
        points,
        devices.applyOperation(operation),
        wallet,
        version);
  }

  UserState withPayment(String paymentId, User.Payment payment) {
    User.Payment recorded = wallet.payments().get(paymentId);
    // Idempotent by payment id: counted once, and the same record kept everywhere whatever the
    // order.
    if (recorded != null && PAYMENT_PRECEDENCE.compare(payment, recorded) <= 0) return this;
    var payments = new HashMap<>(wallet.payments());
    payments.put(paymentId, payment);
    BigDecimal balance = wallet.balance().add(payment.signedAmount());
    if (recorded != null) balance = balance.subtract(recorded.signedAmount());
    var updated = new Wallet(balance, Map.copyOf(payments), wallet.overdraftFlagged());
    return new UserState(userId, created, ownership, profile, points, devices, updated, version);
  }

  UserState withOverdraftFlag() {
    var updated = new Wallet(wallet.balance(), wallet.payments(), true);
    return new UserState(userId, created, ownership, profile, points, devices, updated, version);
  }

  // ---------------------------------------------------------------- what the state says

  @JsonIgnore
  public String owner() {
    return ownership == null ? null : ownership.owner();
  }

  @JsonIgnore
  public long epoch() {
    return ownership == null ? 0 : ownership.epoch();
  }

  boolean isOwnedBy(String region) {
    return created && region.equals(owner());
  }

  /** The newest LWW time of any profile field, so a new write from the owner is newer than all. */
  LwwTime newestProfileTime(ReplicaId self) {
    LwwTime newest = new LwwTime(Long.MIN_VALUE, self);
    for (LwwField field : profile.values()) if (field.time().isAfter(newest)) newest = field.time();
    return newest;
  }

  boolean needsOverdraftFlag() {
    return created && !wallet.overdraftFlagged() && wallet.balance().signum() < 0;
  }

  /**
   * Only the owner flags. Events of different origins arrive in no causal order, so a non-owner can
   * see a debit before the credit it relied on (a balance that is negative only in transit). The
   * owner applied every earlier owner's payments before it took over, so a negative balance there
   * can only come from debits accepted by a concurrent owner: a real overdraft.
   */
  boolean shouldFlagOverdraftAt(String region) {
    return needsOverdraftFlag() && isOwnedBy(region);
  }

  public User.View view() {
    var fields = new TreeMap<String, String>();
    profile.forEach((name, field) -> fields.put(name, field.value()));
    List<String> deviceIds = new ArrayList<>(devices.getElements());
    deviceIds.sort(String::compareTo);
    return new User.View(
        userId,
        ownership == null ? null : ownership.home(),
        owner(),
        epoch(),
        fields,
        points.value().bigInteger().longValue(),
        deviceIds,
        wallet.balance(),
        wallet.overdraftFlagged(),
        new TreeMap<>(version));
  }
}
