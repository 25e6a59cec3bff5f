package io.meridian.user;

import io.meridian.metrics.Metrics;
import io.meridian.topology.Regions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.ReplicatedSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.persistence.typed.ReplicaId;

/**
 * How a node reaches a user's replicas: the local one for reads and CRDT writes, the owner's for
 * single-writer commands. A command that reaches a replica which is not the owner comes back as
 * {@link User.NotOwner} and is sent on, over the cluster (the replicated sharding's entity refs for
 * the other data center), to the owner's replica; never over HTTP.
 *
 * <p>Whether a user exists is the local replica's answer: a replica that starts reads the other
 * regions' journals before it answers (catch-up), and one that knows no user passivates after
 * answering, so a user created elsewhere a moment ago is found here through the journals, and an
 * unknown id costs one short-lived replica in this region, never a replica in every region (it used
 * to ask every other region, starting a replica there that lived for the passivation timeout;
 * docs/decisions.md, "Bounded resources").
 *
 * <p>Routing consults region availability first: an ask into a data center whose members are gone
 * is buffered by the sharding proxy and would only fail at its timeout, so nothing is sent to a
 * region known to be unavailable; the caller gets {@link RegionUnavailable} at once.
 */
public final class UserGateway {

  /** The reply, which region's replica gave it, and whether it left this region. */
  public record Outcome(User.Reply reply, String answeredBy, boolean forwarded) {}

  /** A region is known to be unavailable, so nothing was sent to it. */
  public static final class RegionUnavailable extends RuntimeException {
    public RegionUnavailable(String region) {
      super("region " + region + " is unavailable");
    }
  }

  /** This region is cut off from a majority of regions, so it cannot confirm who owns the user. */
  public static final class OwnershipUnconfirmed extends RuntimeException {
    public OwnershipUnconfirmed(String region) {
      super(
          "region "
              + region
              + " is cut off from a majority of regions and cannot confirm ownership; single-writer writes are refused here");
    }
  }

  private static final int MAX_HOPS = 3;

  private final ReplicatedSharding<User.Command> sharding;
  private final Regions regions;
  private final String self;
  private final Duration askTimeout;
  private final RegionAvailability availability;
  private final Metrics metrics;
  private final OwnerCache owners;

  public UserGateway(
      ReplicatedSharding<User.Command> sharding,
      Regions regions,
      String self,
      Duration askTimeout,
      RegionAvailability availability,
      Metrics metrics) {
    this(sharding, regions, self, askTimeout, availability, metrics, OwnerCache.DEFAULT_CAPACITY);
  }

  UserGateway(
      ReplicatedSharding<User.Command> sharding,
      Regions regions,
      String self,
      Duration askTimeout,
      RegionAvailability availability,
      Metrics metrics,
      int ownerCacheCapacity) {
    this.owners = new OwnerCache(ownerCacheCapacity);
    this.sharding = sharding;
    this.regions = regions;
    this.self = self;
    this.askTimeout = askTimeout;
    this.availability = availability;
    this.metrics = metrics;
  }

  public String region() {
    return self;
  }

  public Regions regions() {
    return regions;
  }

  /** Create: executed by the home region's replica. */
  public CompletionStage<Outcome> create(String userId, String homeRegion) {
    return create(userId, homeRegion, null);
  }

  /** {@code request}: the create's Idempotency-Key, or null. */
  public CompletionStage<Outcome> create(String userId, String homeRegion, RequestKey request) {
    return create(userId, homeRegion, request, null, null);
  }

  /**
   * A create in follow-the-sun {@code cohort} (or none, null); {@code scheduledOwner}: the region
   * the cohort's schedule gives it now, where the user moves in the creating write (null: stays).
   */
  public CompletionStage<Outcome> create(
      String userId, String homeRegion, RequestKey request, String cohort, String scheduledOwner) {
    if (!availability.hasOwnershipQuorum())
      return CompletableFuture.failedFuture(new OwnershipUnconfirmed(self));
    // Also when this region itself is the declared-down home: a user owned by a region that is
    // down.
    if (availability.isDeclaredDown(homeRegion))
      return CompletableFuture.failedFuture(new RegionUnavailable(homeRegion));
    return timed(
        "create",
        ask(
            userId,
            homeRegion,
            replyTo -> new User.Create(homeRegion, replyTo, request, cohort, scheduledOwner)));
  }

  /** Join or leave a cohort: executed by the owner (see {@link User.SetCohort}). */
  public CompletionStage<Outcome> setCohort(
      String userId, String cohort, String scheduledOwner, RequestKey request) {
    return toOwner(
        userId,
        "set-cohort",
        replyTo -> new User.SetCohort(cohort, scheduledOwner, replyTo, request));
  }

  /**
   * A scheduled hand-off of one user (see {@link User.FollowSchedule}), answered once {@code
   * toRegion}'s replica has applied it: then the new owner has every event the old owner wrote
   * before the cut, and executes single-writer writes.
   */
  public CompletionStage<Outcome> followSchedule(
      String userId, String cohort, String toRegion, long requestedAt) {
    return toOwner(
            userId,
            "follow-schedule",
            replyTo -> new User.FollowSchedule(cohort, toRegion, requestedAt, replyTo))
        .thenCompose(
            outcome -> {
              if (outcome.reply() instanceof User.Accepted accepted
                  && toRegion.equals(accepted.user().owner())
                  && !outcome.answeredBy().equals(toRegion)) {
                long epoch = accepted.user().epoch();
                return askAt(userId, toRegion, replyTo -> new User.AwaitEpoch(epoch, replyTo));
              }
              return done(outcome);
            });
  }

  /** Read as this region sees it. */
  public CompletionStage<Outcome> readLocal(String userId) {
    return timed("get", ask(userId, self, User.Get::new));
  }

  /**
   * Read as this region sees it once it has applied {@code events} events of region {@code origin}
   * (a write made there); fails with the ask's timeout if that does not happen in time.
   */
  public CompletionStage<Outcome> readLocalOnceApplied(String userId, String origin, long events) {
    return timed(
        "get-wait", ask(userId, self, replyTo -> new User.AwaitVersion(origin, events, replyTo)));
  }

  /**
   * Read from the owner's replica, found through the local replica. A user the local replica does
   * not know is unknown: no other region is asked (see the class comment).
   */
  public CompletionStage<Outcome> readFromOwner(String userId) {
    CompletionStage<Outcome> result =
        ask(userId, self, User.Get::new)
            .thenCompose(
                local -> {
                  if (local.reply() instanceof User.Accepted accepted
                      && !self.equals(accepted.user().owner())) {
                    return askAt(userId, accepted.user().owner(), User.Get::new);
                  }
                  return done(local);
                });
    return timed("get-owner", result);
  }

  /** A CRDT write: any replica accepts it; the local one. */
  public CompletionStage<Outcome> anyReplica(
      String userId, String commandType, Function<ActorRef<User.Reply>, User.Command> command) {
    return timed(commandType, ask(userId, self, command));
  }

  /**
   * A single-writer command: executed by the owner's replica, wherever that is. Never by a replica
   * of a region declared down (its users were taken over; the region is on its way back): there the
   * owner is looked up and the command goes through the takeover path of {@link #viaOwner}.
   */
  public CompletionStage<Outcome> toOwner(
      String userId, String commandType, Function<ActorRef<User.Reply>, User.Command> command) {
    if (!availability.hasOwnershipQuorum())
      return CompletableFuture.failedFuture(new OwnershipUnconfirmed(self));
    if (availability.isDeclaredDown(self)) {
      CompletionStage<Outcome> result =
          ask(userId, self, User.Get::new)
              .thenCompose(
                  local ->
                      local.reply() instanceof User.Accepted accepted
                          ? viaOwner(userId, accepted.user().owner(), command, 1)
                          : done(local));
      return timed(commandType, result);
    }
    long since = owners.generation();
    // Straight to the owner this gateway last saw, if any (not while this region's own claims may
    // be stale: then the local replica is asked first, as below).
    Optional<String> cachedOwner =
        availability.ownClaimsMayBeStale()
            ? Optional.empty()
            : owners.ownerOf(userId).filter(owner -> !owner.equals(self));
    CompletionStage<Outcome> result =
        cachedOwner.isPresent()
            ? viaOwner(userId, cachedOwner.get(), command, 1)
                .thenCompose(
                    outcome ->
                        // The remembered owner does not know the user: nothing was executed; ask
                        // as without the cache.
                        isUnknownUser(outcome.reply())
                            ? throughLocal(userId, command)
                            : done(outcome))
            : throughLocal(userId, command);
    result =
        result.whenComplete(
            (outcome, failure) -> {
              if (outcome != null) owners.learn(userId, outcome.reply(), since);
              else owners.forget(userId);
              // Still "not the owner" after the hops: it met an ownership change in flight.
              if (outcome != null && outcome.reply() instanceof User.NotOwner)
                metrics.writeRefusedWhileOwnershipMoves();
            });
    return timed(commandType, result);
  }

  /** The single-writer path without the owner cache: the local replica, then the owner it names. */
  private CompletionStage<Outcome> throughLocal(
      String userId, Function<ActorRef<User.Reply>, User.Command> command) {
    CompletionStage<Void> claimChecked =
        availability.ownClaimsMayBeStale() ? catchUpOwnClaim(userId) : done(null);
    return claimChecked
        .thenCompose(ignored -> ask(userId, self, command))
        .thenCompose(
            local -> {
              if (local.reply() instanceof User.NotOwner notOwner)
                return viaOwner(userId, notOwner.owner(), command, 1);
              return done(local);
            });
  }

  /**
   * A region's status changed (declared down or up again): owners remembered before may have been
   * replaced by a seizure or a hand-back, so all are forgotten.
   */
  public void regionStatusChanged() {
    owners.clear();
  }

  /**
   * A planned move: the owner transfers home and ownership to {@code toRegion}, and the answer
   * comes only once {@code toRegion}'s replica has applied the transfer (and so every event before
   * it), so a client that reads there next sees the user as it was moved. A refusal comes back as
   * it is.
   */
  public CompletionStage<Outcome> moveHome(String userId, String toRegion) {
    return moveHome(userId, toRegion, null);
  }

  /** {@code request}: the move's Idempotency-Key, or null. */
  public CompletionStage<Outcome> moveHome(String userId, String toRegion, RequestKey request) {
    long requestedAt = System.currentTimeMillis();
    return toOwner(
            userId, "move", replyTo -> new User.MoveHome(toRegion, replyTo, requestedAt, request))
        .thenCompose(
            outcome -> {
              if (outcome.reply() instanceof User.Accepted accepted) {
                long epoch = accepted.user().epoch();
                return askAt(userId, toRegion, replyTo -> new User.AwaitEpoch(epoch, replyTo));
              }
              return done(outcome);
            });
  }

  /**
   * Ask the given region's replica directly (used by moves, hand-back and payment confirmation).
   */
  public CompletionStage<Outcome> askAt(
      String userId, String region, Function<ActorRef<User.Reply>, User.Command> command) {
    return ask(userId, region, command);
  }

  /**
   * After this region's return: if this replica claims the user, the newest epoch another region
   * knows is looked up, and the replica waits until it has applied that (an {@code OwnershipSeized}
   * or a move made while the region was away), so it never executes as an owner that was replaced.
   */
  private CompletionStage<Void> catchUpOwnClaim(String userId) {
    return ask(userId, self, User.Get::new)
        .thenCompose(
            local -> {
              if (!(local.reply() instanceof User.Accepted accepted)
                  || !self.equals(accepted.user().owner())) return done(null);
              return askOthers(userId)
                  .thenCompose(
                      answers -> {
                        if (answers.isEmpty())
                          return CompletableFuture.<Void>failedFuture(
                              new OwnershipUnconfirmed(self));
                        long newest =
                            answers.stream()
                                .filter(outcome -> outcome.reply() instanceof User.Accepted)
                                .mapToLong(
                                    outcome -> ((User.Accepted) outcome.reply()).user().epoch())
                                .max()
                                .orElse(0);
                        if (newest <= accepted.user().epoch()) return done(null);
                        return ask(userId, self, replyTo -> new User.AwaitEpoch(newest, replyTo))
                            .thenApply(caughtUp -> (Void) null);
                      });
            });
  }

  /** Where a single-writer command for a user owned by a given region goes from this node. */
  sealed interface Route {
    /** The owner's region serves: send it there. */
    record ToOwner(String region) implements Route {}

    /**
     * The owner's region is unavailable from here: its successor seizes the user, if it sees the
     * owner down, then executes.
     */
    record ViaSuccessor(String owner, String successor) implements Route {}

    /** Nobody can take over: the caller gets {@link RegionUnavailable}. */
    record Unavailable(String owner) implements Route {}
  }

  /**
   * The routing rule. The successor, not this node, decides whether the owner is down: a node that
   * has not yet learned of a down (an operator's, sent to another region) still routes to the
   * successor at once, and a node whose directory is stale the other way round cannot make the
   * successor take a user away. A region declared down is not sent to even when reachable (this
   * region itself, on its way back).
   */
  static Route route(String owner, RegionAvailability availability) {
    if (availability.isAvailable(owner) && !availability.isDeclaredDown(owner))
      return new Route.ToOwner(owner);
    return availability
        .takeoverFor(owner)
        .<Route>map(successor -> new Route.ViaSuccessor(owner, successor))
        .orElse(new Route.Unavailable(owner));
  }

  private CompletionStage<Outcome> viaOwner(
      String userId, String owner, Function<ActorRef<User.Reply>, User.Command> command, int hop) {
    Route route = route(owner, availability);
    CompletionStage<Outcome> sent;
    if (route instanceof Route.ToOwner to) {
      sent = ask(userId, to.region(), command);
    } else if (route instanceof Route.ViaSuccessor via) {
      sent =
          ask(
                  userId,
                  via.successor(),
                  replyTo ->
                      new User.SeizeOwnership(
                          owner,
                          "region " + owner + " declared down",
                          replyTo,
                          availability.declaredDownAt(owner)))
              .thenCompose(
                  seized ->
                      isRefusedSeizure(seized.reply())
                          ? CompletableFuture.<Outcome>failedFuture(
                              new RegionUnavailable(owner)) // nobody sees the owner down yet
                          : ask(userId, via.successor(), command));
    } else {
      sent = CompletableFuture.failedFuture(new RegionUnavailable(owner));
    }
    return sent.thenCompose(
        outcome -> {
          if (outcome.reply() instanceof User.NotOwner next && hop < MAX_HOPS)
            return viaOwner(userId, next.owner(), command, hop + 1);
          return done(outcome);
        });
  }

  private static boolean isRefusedSeizure(User.Reply reply) {
    return reply instanceof User.Rejected rejected
        && rejected.reason() == User.Reason.NOT_DECLARED_DOWN;
  }

  /** The answers of every other available region's replica to a read (failed asks left out). */
  private CompletionStage<List<Outcome>> askOthers(String userId) {
    List<CompletableFuture<Outcome>> asks = new ArrayList<>();
    for (String region : regions.names()) {
      if (region.equals(self) || !availability.isAvailable(region)) continue;
      asks.add(
          ask(userId, region, User.Get::new).toCompletableFuture().exceptionally(failure -> null));
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                asks.stream()
                    .map(CompletableFuture::join)
                    .filter(java.util.Objects::nonNull)
                    .toList());
  }

  private CompletionStage<Outcome> ask(
      String userId, String region, Function<ActorRef<User.Reply>, User.Command> command) {
    if (!availability.isAvailable(region))
      return CompletableFuture.failedFuture(new RegionUnavailable(region));
    Map<ReplicaId, EntityRef<User.Command>> refs = sharding.getEntityRefsFor(userId);
    EntityRef<User.Command> ref = refs.get(new ReplicaId(region));
    if (ref == null) return CompletableFuture.failedFuture(new RegionUnavailable(region));
    return ref.<User.Reply>ask(command::apply, askTimeout)
        .thenApply(reply -> new Outcome(reply, region, !region.equals(self)));
  }

  private static boolean isUnknownUser(User.Reply reply) {
    return reply instanceof User.Rejected rejected && rejected.reason() == User.Reason.UNKNOWN_USER;
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private CompletionStage<Outcome> timed(String commandType, CompletionStage<Outcome> result) {
    long start = System.nanoTime();
    return result.whenComplete(
        (outcome, failure) -> {
          if (outcome != null)
            metrics.command(
                commandType, outcome.forwarded(), Duration.ofNanos(System.nanoTime() - start));
          else metrics.commandFailed(commandType, failure);
        });
  }
}
