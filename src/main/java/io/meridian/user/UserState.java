package io.meridian.user;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
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
 * @param legacyDevices the devices as the {@code DevicesChanged} events persisted before devices
 *     changed one at a time made them (an ORSet; stored as {@code devices}, its old name); only
 *     those events change it
 * @param version how many events of each origin this replica has applied (to tell when a starting
 *     replica has caught up with the other regions' journals)
 * @param deviceClocks per device id, the adds and removals of {@code DeviceAdded} and {@code
 *     DeviceRemoved} events ({@link DeviceClock}); a device is present if either part has it
 */
public record UserState(
    String userId,
    boolean created,
    Ownership ownership,
    Map<String, LwwField> profile,
    @JsonSerialize(using = PekkoSerialized.Writer.class)
        @JsonDeserialize(using = PekkoSerialized.Reader.class)
        Counter points,
    @JsonProperty("devices")
        @JsonSerialize(using = PekkoSerialized.Writer.class)
        @JsonDeserialize(using = PekkoSerialized.Reader.class)
        ORSet<String> legacyDevices,
    Wallet wallet,
    Map<String, Long> version,
    Map<String, DeviceClock> deviceClocks,
    IdempotencyKeys idempotencyKeys,
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        LwwField cohort)
    implements CborSerializable {

  /** A state without Idempotency-Keys (tests, and states stored before they existed). */
  public UserState(
      String userId,
      boolean created,
      Ownership ownership,
      Map<String, LwwField> profile,
      Counter points,
      ORSet<String> legacyDevices,
      Wallet wallet,
      Map<String, Long> version,
      Map<String, DeviceClock> deviceClocks) {
    this(
        userId,
        created,
        ownership,
        profile,
        points,
        legacyDevices,
        wallet,
        version,
        deviceClocks,
        IdempotencyKeys.EMPTY,
        null);
  }

  /** A state stored before {@code deviceClocks} existed reads with none. */
  public UserState {
    deviceClocks = deviceClocks == null ? Map.of() : deviceClocks;
    idempotencyKeys = idempotencyKeys == null ? IdempotencyKeys.EMPTY : idempotencyKeys;
  }

  /**
   * Which adds of one device count, as an add-wins rule: each replica numbers its adds in its own
   * order (see {@link #nextDeviceAdd}), {@code added} keeps the highest number seen per adder, and
   * {@code removed} the highest number per adder that some removal had seen. The device is present
   * while some adder has an add that no removal saw. Both maps merge by maximum, so the order in
   * which the regions' events arrive does not matter, and a removal that arrives before the add it
   * removed still removes it (the failure of Pekko's ORSet deltas without causal delivery,
   * docs/decisions.md).
   *
   * <p>A clock whose every add was removed by a removal that had seen exactly those adds is {@link
   * #settled} and forgotten, so removed devices leave nothing behind: a later add of an adder has a
   * higher number (each origin's events arrive in its order), so it counts as it would have.
   *
   * <p>Keys of {@code removed} that start with {@link #LEGACY} stand for the ORSet dots of {@code
   * legacyDevices} (a removal made after devices changed one at a time removes a device added
   * before).
   */
  public record DeviceClock(Map<String, Long> added, Map<String, Long> removed)
      implements CborSerializable {
    static final String LEGACY = "orset:";
    static final DeviceClock EMPTY = new DeviceClock(Map.of(), Map.of());

    DeviceClock withAdd(String origin, long counter) {
      return new DeviceClock(maxMerged(added, Map.of(origin, counter)), removed);
    }

    DeviceClock withRemoval(Map<String, Long> observed) {
      return new DeviceClock(added, maxMerged(removed, observed));
    }

    /** Every add seen was removed, by removals that had seen exactly the adds that arrived here. */
    boolean settled() {
      return added.equals(removed);
    }

    /** Some add in {@code adds} (adder -> newest number) was seen by no removal. */
    boolean hasUnremoved(Map<String, Long> adds) {
      for (var add : adds.entrySet())
        if (add.getValue() > removed.getOrDefault(add.getKey(), 0L)) return true;
      return false;
    }

    private static Map<String, Long> maxMerged(Map<String, Long> a, Map<String, Long> b) {
      var merged = new TreeMap<>(a);
      b.forEach((key, value) -> merged.merge(key, value, Math::max));
      return Map.copyOf(merged);
    }
  }

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
        userId,
        false,
        null,
        Map.of(),
        Counter.empty(),
        ORSet.empty(self),
        Wallet.EMPTY,
        Map.of(),
        Map.of(),
        IdempotencyKeys.EMPTY,
        null);
  }

  // ---------------------------------------------------------------- the merge rules

  /**
   * This state with {@code event} applied: pure, so the property tests drive exactly what every
   * replica applies.
   */
  UserState apply(User.Event event, Regions regions) {
    RequestKey request = requestOf(event);
    if (request == null) return applyWrite(event, regions);
    if (event instanceof User.PointsAdjusted e) {
      // Counted once per key, whichever region's event of it arrives first (IdempotencyKeys).
      IdempotencyKeys.Applied applied =
          idempotencyKeys.apply(
              request.key(), new IdempotencyKeys.Use(request.digest(), e.at(), e.delta()));
      UserState counted = applied.pointsDelta() == 0 ? this : withPoints(applied.pointsDelta());
      return counted.withIdempotencyKeys(applied.keys());
    }
    UserState updated = applyWrite(event, regions);
    return updated.withIdempotencyKeys(
        updated
            .idempotencyKeys
            .apply(request.key(), new IdempotencyKeys.Use(request.digest(), event.at(), 0))
            .keys());
  }

  /** The Idempotency-Key a write event was sent with, or null. */
  private static RequestKey requestOf(User.Event event) {
    if (event instanceof User.PointsAdjusted e) return e.request();
    if (event instanceof User.ProfileUpdated e) return e.request();
    if (event instanceof User.DeviceAdded e) return e.request();
    if (event instanceof User.DeviceRemoved e) return e.request();
    if (event instanceof User.UserCreated e) return e.request();
    if (event instanceof User.OwnershipTransferred e) return e.request();
    if (event instanceof User.CohortChanged e) return e.request();
    return null;
  }

  UserState withIdempotencyKeys(IdempotencyKeys keys) {
    return with(next -> next.idempotencyKeys = keys);
  }

  /** {@code event} applied by the merge rules, without its Idempotency-Key. */
  private UserState applyWrite(User.Event event, Regions regions) {
    if (event instanceof User.UserCreated e) {
      UserState created = asCreated(new Ownership(e.homeRegion(), e.homeRegion(), 1), regions);
      return e.cohort() == null
          ? created
          : created.withCohort(e.cohort(), new LwwTime(e.at(), new ReplicaId(e.homeRegion())));
    }
    if (event instanceof User.CohortChanged e)
      return withCohort(e.cohort(), new LwwTime(e.timestamp(), new ReplicaId(e.origin())));
    if (event instanceof User.ProfileUpdated e)
      return withProfile(e.fields(), new LwwTime(e.timestamp(), new ReplicaId(e.origin())));
    if (event instanceof User.PointsAdjusted e) return withPoints(e.delta());
    if (event instanceof User.DevicesChanged e) return withLegacyDevices(e.operation());
    if (event instanceof User.DeviceAdded e)
      return withDeviceClock(e.deviceId(), clockOf(e.deviceId()).withAdd(e.origin(), e.counter()));
    if (event instanceof User.DeviceRemoved e)
      return withDeviceClock(e.deviceId(), clockOf(e.deviceId()).withRemoval(e.observed()));
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
    return with(next -> next.version = Map.copyOf(counts));
  }

  UserState withOwnership(Ownership claim, Regions regions) {
    Ownership merged = claim.merge(ownership, regions);
    return with(next -> next.ownership = merged);
  }

  UserState asCreated(Ownership claim, Regions regions) {
    UserState withClaim = withOwnership(claim, regions);
    return with(
        next -> {
          next.created = true;
          next.ownership = withClaim.ownership;
        });
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
    return with(next -> next.profile = Map.copyOf(merged));
  }

  /**
   * The cohort register: last writer wins by the {@link LwwTime} of the write, like a profile
   * field; a {@code null} value (the user left its cohort) is a write like any other.
   */
  UserState withCohort(String name, LwwTime time) {
    if (cohort != null && !time.isAfter(cohort.time())) return this;
    return with(
        next -> next.cohort = new LwwField(name, time.timestamp(), time.originReplica().id()));
  }

  /** The follow-the-sun cohort the user belongs to, or null. */
  @JsonIgnore
  public String cohortName() {
    return cohort == null ? null : cohort.value();
  }

  /** The LWW time of the cohort register, so a new write from the owner is newer. */
  LwwTime cohortTime(ReplicaId self) {
    return cohort == null ? new LwwTime(Long.MIN_VALUE, self) : cohort.time();
  }

  UserState withPoints(long delta) {
    Counter updated = points.applyOperation(new Counter.Updated(BigInteger.valueOf(delta)));
    return with(next -> next.points = updated);
  }

  UserState withLegacyDevices(ORSet.DeltaOp operation) {
    return with(next -> next.legacyDevices = legacyDevices.applyOperation(operation));
  }

  UserState withDeviceClock(String deviceId, DeviceClock clock) {
    var clocks = new HashMap<>(deviceClocks);
    if (clock.settled()) clocks.remove(deviceId);
    else clocks.put(deviceId, clock);
    return with(next -> next.deviceClocks = Map.copyOf(clocks));
  }

  private DeviceClock clockOf(String deviceId) {
    return deviceClocks.getOrDefault(deviceId, DeviceClock.EMPTY);
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
    return with(next -> next.wallet = updated);
  }

  UserState withOverdraftFlag() {
    var updated = new Wallet(wallet.balance(), wallet.payments(), true);
    return with(next -> next.wallet = updated);
  }

  /**
   * A copy with some parts changed: {@code change} sets the parts that differ. Every merge rule
   * below returns one, so adding a part to the state touches the constructor and this, not each
   * rule.
   */
  private UserState with(java.util.function.Consumer<Parts> change) {
    Parts next = new Parts(this);
    change.accept(next);
    return new UserState(
        userId,
        next.created,
        next.ownership,
        next.profile,
        next.points,
        next.legacyDevices,
        next.wallet,
        next.version,
        next.deviceClocks,
        next.idempotencyKeys,
        next.cohort);
  }

  /** The parts of a state being copied by {@link #with}. */
  private static final class Parts {
    boolean created;
    Ownership ownership;
    Map<String, LwwField> profile;
    Counter points;
    ORSet<String> legacyDevices;
    Wallet wallet;
    Map<String, Long> version;
    Map<String, DeviceClock> deviceClocks;
    IdempotencyKeys idempotencyKeys;
    LwwField cohort;

    Parts(UserState state) {
      created = state.created;
      ownership = state.ownership;
      profile = state.profile;
      points = state.points;
      legacyDevices = state.legacyDevices;
      wallet = state.wallet;
      version = state.version;
      deviceClocks = state.deviceClocks;
      idempotencyKeys = state.idempotencyKeys;
      cohort = state.cohort;
    }
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

  /**
   * The devices the user has: added one at a time and not removed since, or present in the legacy
   * set and not removed by a removal made since; sorted.
   */
  @JsonIgnore
  public List<String> deviceIds() {
    var ids = new java.util.TreeSet<String>(deviceClocks.keySet());
    ids.addAll(legacyDevices.getElements());
    List<String> present = new ArrayList<>();
    for (String id : ids) if (hasDevice(id)) present.add(id);
    return present;
  }

  boolean hasDevice(String deviceId) {
    DeviceClock clock = clockOf(deviceId);
    return clock.hasUnremoved(clock.added()) || clock.hasUnremoved(legacyDot(deviceId));
  }

  /**
   * What a removal of {@code deviceId} made by this replica now must cancel: every add of it this
   * replica has seen, one at a time and in the legacy set.
   */
  Map<String, Long> addsOfDevice(String deviceId) {
    var adds = new TreeMap<>(clockOf(deviceId).added());
    adds.putAll(legacyDot(deviceId));
    return Map.copyOf(adds);
  }

  /**
   * The number of the next device add by replica {@code origin}, asked of origin's own replica: the
   * number its next event will have among its own events ({@code version}, which a replica never
   * forgets, unlike a settled clock), so origin's adds of any device grow in origin's order; and
   * above every number of origin's this state holds.
   */
  long nextDeviceAdd(String origin) {
    long newest = version.getOrDefault(origin, 0L);
    for (DeviceClock clock : deviceClocks.values())
      newest =
          Math.max(
              newest,
              Math.max(
                  clock.added().getOrDefault(origin, 0L),
                  clock.removed().getOrDefault(origin, 0L)));
    return newest + 1;
  }

  /** The ORSet dot of a legacy device, its replica ids prefixed with {@link DeviceClock#LEGACY}. */
  private Map<String, Long> legacyDot(String deviceId) {
    var dot = legacyDevices.elementsMap().get(deviceId);
    if (dot.isEmpty()) return Map.of();
    var entries = new TreeMap<String, Long>();
    scala.jdk.javaapi.CollectionConverters.asJava(dot.get().versionsIterator())
        .forEachRemaining(
            entry -> {
              long counter = (Long) entry._2();
              if (counter > 0) entries.put(DeviceClock.LEGACY + entry._1(), counter);
            });
    return entries;
  }

  public User.View view() {
    var fields = new TreeMap<String, String>();
    profile.forEach((name, field) -> fields.put(name, field.value()));
    List<String> deviceIds = deviceIds();
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
        new TreeMap<>(version),
        cohortName());
  }
}
