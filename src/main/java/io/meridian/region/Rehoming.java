package io.meridian.region;

import io.meridian.user.User;
import io.meridian.user.UserGateway;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eager half of re-homing (the lazy half is in {@link UserGateway}): when a region is declared
 * down, its successor seizes every user the down region owned, throttled, so reads show the new
 * owner soon; when it is declared up again, the users whose home it is are handed back.
 *
 * <p>The index of users is the journals' own persistence-id table ({@code all_persistence_ids}): a
 * user has a persistence id in every region whose replica persisted an event for it, so the union
 * over the regions' journals is every user. Seizing a user that the down region no longer owns is a
 * no-op in the entity. Runs on the leader node of the region only.
 */
public final class Rehoming implements RegionService.Listener {
  private static final Logger log = LoggerFactory.getLogger(Rehoming.class);

  private final ActorSystem<?> system;
  private final RegionService regionService;
  private final UserGateway gateway;
  private final Function<String, String> persistenceIdsQueryOf;
  private final int ratePerSecond;
  private final Function<String, java.util.Optional<String>> scheduledOwnerOfCohort;

  private Rehoming(
      ActorSystem<?> system,
      RegionService regionService,
      UserGateway gateway,
      Function<String, String> persistenceIdsQueryOf,
      int ratePerSecond,
      Function<String, java.util.Optional<String>> scheduledOwnerOfCohort) {
    this.scheduledOwnerOfCohort = scheduledOwnerOfCohort;
    this.system = system;
    this.regionService = regionService;
    this.gateway = gateway;
    this.persistenceIdsQueryOf = persistenceIdsQueryOf;
    this.ratePerSecond = ratePerSecond;
  }

  /**
   * @param persistenceIdsQueryOf the id of the query plugin that lists the persistence ids in a
   *     region's journal (given by the node's composition, which knows where the journals are)
   * @param scheduledOwnerOfCohort the region a follow-the-sun cohort's schedule gives the cohort
   *     now (empty: no schedule): a returning region gets back only the cohort users whose window
   *     it is in
   */
  public static void start(
      ActorSystem<?> system,
      RegionService regionService,
      UserGateway gateway,
      Function<String, String> persistenceIdsQueryOf,
      Function<String, java.util.Optional<String>> scheduledOwnerOfCohort) {
    int rate = system.settings().config().getInt("meridian.failover.sweep-rate");
    regionService.addListener(
        new Rehoming(
            system, regionService, gateway, persistenceIdsQueryOf, rate, scheduledOwnerOfCohort));
  }

  @Override
  public void regionChanged(
      String region, RegionDirectory.RegionRecord before, RegionDirectory.RegionRecord after) {
    if (!isRegionLeader() || region.equals(regionService.ownRegion())) return;
    if (after.status() == RegionControl.Status.down
        && regionService
            .successorOf(region)
            .filter(regionService.ownRegion()::equals)
            .isPresent()) {
      // Stops as soon as the region is declared up again: what it has not seized by then stays
      // home.
      sweep(
          "seize",
          region,
          regionService.regions().names(),
          userId -> seize(userId, region),
          () -> regionService.isDeclaredDown(region));
    } else if (before.status() == RegionControl.Status.down
        && after.status() == RegionControl.Status.up) {
      // A seizure that a node with a stale directory executed just after this pass read the user
      // would stay here for good: a second pass, a few seconds later, hands those back too.
      sweep(
              "hand-back",
              region,
              List.of(region),
              userId -> handBack(userId, region),
              () -> !regionService.isDeclaredDown(region))
          .thenCompose(first -> afterDelay(SECOND_HAND_BACK_PASS))
          .thenCompose(
              ignored ->
                  regionService.isDeclaredDown(region)
                      ? CompletableFuture.completedFuture(0)
                      : sweep(
                          "hand-back (second pass)",
                          region,
                          List.of(region),
                          userId -> handBack(userId, region),
                          () -> !regionService.isDeclaredDown(region)));
    }
  }

  static final Duration SECOND_HAND_BACK_PASS = Duration.ofSeconds(5);

  private CompletionStage<Void> afterDelay(Duration delay) {
    return org.apache.pekko.pattern.Patterns.after(
        delay,
        system.classicSystem().scheduler(),
        system.executionContext(),
        () -> CompletableFuture.<Void>completedFuture(null));
  }

  private boolean isRegionLeader() {
    var cluster = Cluster.get(system);
    var leader = cluster.state().getLeader();
    return leader == null || leader.equals(cluster.selfMember().address());
  }

  private CompletionStage<Boolean> seize(String userId, String from) {
    return gateway
        .askAt(
            userId,
            regionService.ownRegion(),
            replyTo ->
                new User.SeizeOwnership(
                    from,
                    "region " + from + " declared down",
                    replyTo,
                    regionService.declaredDownAt(from)))
        .thenApply(
            outcome ->
                outcome.reply() instanceof User.Accepted a
                    && regionService.ownRegion().equals(a.user().owner()));
  }

  private CompletionStage<Boolean> handBack(String userId, String home) {
    return gateway
        .askAt(userId, regionService.ownRegion(), User.Get::new)
        .thenCompose(
            outcome -> {
              if (outcome.reply() instanceof User.Accepted a
                  && home.equals(a.user().homeRegion())
                  && regionService.ownRegion().equals(a.user().owner())
                  && inItsWindow(a.user().cohort(), home)) {
                return gateway
                    .askAt(
                        userId,
                        regionService.ownRegion(),
                        replyTo -> new User.HandBack(replyTo, declaredUpAt(home)))
                    .thenApply(o -> o.reply() instanceof User.Accepted);
              }
              return CompletableFuture.completedFuture(false);
            });
  }

  /**
   * A user without a cohort goes home; one in a cohort only while the schedule gives the cohort to
   * its home now: a region that returns after its window has passed does not take the cohort back
   * (the region whose window it is takes it at its hand-off).
   */
  private boolean inItsWindow(String cohort, String home) {
    if (cohort == null) return true;
    return scheduledOwnerOfCohort.apply(cohort).map(home::equals).orElse(true);
  }

  /**
   * When {@code region} was declared up again, if it is up: a hand-back's duration counts from
   * there.
   */
  private Long declaredUpAt(String region) {
    RegionDirectory.RegionRecord record = regionService.recordOf(region);
    return record.status() == RegionControl.Status.up && record.epoch() > 0 ? record.at() : null;
  }

  /**
   * Applies {@code action} to every user id in {@code journals}, throttled, while {@code
   * stillWanted} holds; completes with the number changed.
   */
  private CompletionStage<Integer> sweep(
      String kind,
      String region,
      List<String> journals,
      java.util.function.Function<String, CompletionStage<Boolean>> action,
      java.util.function.BooleanSupplier stillWanted) {
    long start = System.nanoTime();
    Source<String, NotUsed> userIds = Source.from(journals).flatMapConcat(this::userIdsIn);
    Set<String> seen = new HashSet<>();
    return userIds
        .filter(seen::add)
        .throttle(ratePerSecond, Duration.ofSeconds(1))
        .takeWhile(userId -> stillWanted.getAsBoolean())
        .mapAsyncUnordered(
            4,
            userId ->
                action
                    .apply(userId)
                    .exceptionally(
                        failure -> {
                          log.warn(
                              "{} of user={} for region={} failed: {}",
                              kind,
                              userId,
                              region,
                              failure.toString());
                          return false;
                        }))
        .runWith(Sink.fold(0, (count, changed) -> changed ? count + 1 : count), system)
        .whenComplete(
            (count, failure) -> {
              long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
              if (failure != null)
                log.warn(
                    "{} sweep for region={} by region={} failed after {} ms",
                    kind,
                    region,
                    regionService.ownRegion(),
                    ms,
                    failure);
              else
                log.info(
                    "{} sweep for region={} by region={}: {} users changed owner in {} ms ({} ids"
                        + " read)",
                    kind,
                    region,
                    regionService.ownRegion(),
                    count,
                    ms,
                    seen.size());
            })
        .exceptionally(failure -> 0);
  }

  private Source<String, NotUsed> userIdsIn(String journalRegion) {
    return userIdsIn(system, persistenceIdsQueryOf, journalRegion);
  }

  /**
   * The user ids of every user whose replica in {@code journalRegion} persisted an event (each id
   * once per journal; the union over every region's journal is every user). Also the index of the
   * follow-the-sun hand-off.
   */
  public static Source<String, NotUsed> userIdsIn(
      ActorSystem<?> system, Function<String, String> persistenceIdsQueryOf, String journalRegion) {
    CurrentPersistenceIdsQuery journal =
        PersistenceQuery.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
            .getReadJournalFor(
                CurrentPersistenceIdsQuery.class, persistenceIdsQueryOf.apply(journalRegion));
    return journal
        .currentPersistenceIds()
        .filter(id -> id.startsWith(User.ENTITY_TYPE + "|"))
        .map(id -> id.substring(User.ENTITY_TYPE.length() + 1, id.lastIndexOf('|')))
        .recoverWithRetries(1, Throwable.class, Source::empty);
  }
}
