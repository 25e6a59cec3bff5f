package io.meridian.cohort;

import io.meridian.metrics.Metrics;
import io.meridian.region.RegionService;
import io.meridian.region.Rehoming;
import io.meridian.user.User;
import io.meridian.user.UserGateway;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduled hand-off (docs/follow-the-sun.md): the region whose window has begun pulls its
 * cohorts' users to itself. On the region's leader node, every {@code meridian.cohorts.tick}, for
 * each cohort whose schedule gives this region the cohort now, a pass lists every user id from the
 * regions' journals, reads each from this region's replica, and asks the owner of each member that
 * is owned elsewhere to transfer it here ({@link User.FollowSchedule}, the planned-move protocol:
 * the old owner persists the transfer and refuses single-writer writes from then on; the answer
 * comes once this region's replica has applied it, and so every event before it).
 *
 * <p>Throttled ({@code hand-off-rate}, {@code hand-off-parallelism}); each user id once per pass,
 * so at most one move per user in flight. A pass stops as soon as the window is over or the
 * schedule changed. Passes repeat (after {@code retry-after}) until one finds every member here; a
 * region status change (a region down or back) starts them again, so members seized by a failover
 * or left behind while this region was down come here while the window lasts. The target region
 * down: nobody pulls, the cohort stays with its current owner (docs/decisions.md, "Follow the
 * sun").
 */
public final class HandOff {
  private static final Logger log = LoggerFactory.getLogger(HandOff.class);

  private final ActorSystem<?> system;
  private final CohortDirectory directory;
  private final RegionService regionService;
  private final UserGateway gateway;
  private final Function<String, String> persistenceIdsQueryOf;
  private final CohortClock clock;
  private final Metrics metrics;
  private final int rate;
  private final int parallelism;
  private final Duration retryAfter;

  /** Cohort name → the stint whose hand-off is done (so it is not run again). */
  private final Map<String, String> done = new ConcurrentHashMap<>();

  /** Cohort name → the pass running now. */
  private final Map<String, Pass> running = new ConcurrentHashMap<>();

  /** Cohort name → no pass before this (nanoTime), after a pass that left members behind. */
  private final Map<String, Long> notBefore = new ConcurrentHashMap<>();

  private HandOff(
      ActorSystem<?> system,
      CohortDirectory directory,
      RegionService regionService,
      UserGateway gateway,
      Function<String, String> persistenceIdsQueryOf) {
    this.system = system;
    this.directory = directory;
    this.regionService = regionService;
    this.gateway = gateway;
    this.persistenceIdsQueryOf = persistenceIdsQueryOf;
    this.clock = CohortClock.get(system);
    this.metrics = Metrics.get(system);
    var config = system.settings().config().getConfig("meridian.cohorts");
    this.rate = config.getInt("hand-off-rate");
    this.parallelism = config.getInt("hand-off-parallelism");
    this.retryAfter = config.getDuration("retry-after");
  }

  public static HandOff start(
      ActorSystem<?> system,
      CohortDirectory directory,
      RegionService regionService,
      UserGateway gateway,
      Function<String, String> persistenceIdsQueryOf) {
    var handOff = new HandOff(system, directory, regionService, gateway, persistenceIdsQueryOf);
    // Members seized by a failover, or left behind while this region was down: look again.
    regionService.addListener((region, before, after) -> handOff.done.clear());
    Duration tick = system.settings().config().getDuration("meridian.cohorts.tick");
    system.scheduler().scheduleAtFixedRate(tick, tick, handOff::tick, system.executionContext());
    return handOff;
  }

  /** One stint of a cohort at this region: what a pass works for, and when it must stop. */
  private record Stint(String cohort, long scheduleEpoch, CohortSchedule.Slot slot) {
    String id() {
      return cohort + "@" + slot.from() + "#" + scheduleEpoch;
    }
  }

  /** What every pass of one stint did together: the progress report sums them. */
  private static final class StintTotals {
    final String stintId;
    final long firstPassStartedAt = System.currentTimeMillis();
    int passes;
    final AtomicLong moved = new AtomicLong();
    final AtomicLong failed = new AtomicLong();

    StintTotals(String stintId) {
      this.stintId = stintId;
    }
  }

  private final class Pass {
    final Stint stint;
    final StintTotals totals;
    final long startedNanos = System.nanoTime();
    final AtomicLong scanned = new AtomicLong();
    final AtomicLong members = new AtomicLong();
    final AtomicLong moved = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final int number;

    Pass(Stint stint, StintTotals totals) {
      this.stint = stint;
      this.totals = totals;
      this.number = ++totals.passes;
    }

    CohortDirectory.HandOffProgress progress(Long finishedAt, String state) {
      return new CohortDirectory.HandOffProgress(
          stint.cohort(),
          regionService.ownRegion(),
          stint.slot().from().toEpochMilli(),
          stint.scheduleEpoch(),
          totals.firstPassStartedAt,
          finishedAt,
          number,
          scanned.get(),
          members.get(),
          totals.moved.get(),
          totals.failed.get(),
          state);
    }
  }

  /** Cohort name → the totals of its current stint's passes (a new stint starts new totals). */
  private final Map<String, StintTotals> totalsOf = new ConcurrentHashMap<>();

  private void tick() {
    try {
      Instant now = clock.now();
      for (CohortDirectory.Cohort cohort : directory.cohorts().values()) {
        Pass pass = running.get(cohort.name());
        if (pass != null) {
          directory.report(pass.progress(null, "running"));
          continue;
        }
        Stint stint = stintHere(cohort, now);
        if (stint == null || stint.id().equals(done.get(cohort.name()))) continue;
        Long wait = notBefore.get(cohort.name());
        if (wait != null && System.nanoTime() < wait) continue;
        if (!isRegionLeader() || regionService.isDeclaredDown(regionService.ownRegion())) continue;
        startPass(stint);
      }
    } catch (RuntimeException unexpected) {
      log.warn("hand-off tick in region={} failed", regionService.ownRegion(), unexpected);
    }
  }

  /** The stint of {@code cohort} this region holds at {@code now}, or null. */
  private Stint stintHere(CohortDirectory.Cohort cohort, Instant now) {
    CohortSchedule.Slot slot = cohort.schedule().currentStint(now);
    if (!slot.region().equals(regionService.ownRegion())) return null;
    return new Stint(cohort.name(), cohort.record().epoch(), slot);
  }

  /**
   * Whether {@code stint} is still this region's: the window lasts and the schedule is the same.
   */
  private boolean stillHere(Stint stint) {
    return directory
        .cohort(stint.cohort())
        .map(cohort -> stintHere(cohort, clock.now()))
        .map(now -> now.id().equals(stint.id()))
        .orElse(false);
  }

  private void startPass(Stint stint) {
    StintTotals totals =
        totalsOf.compute(
            stint.cohort(),
            (cohort, known) ->
                known != null && known.stintId.equals(stint.id())
                    ? known
                    : new StintTotals(stint.id()));
    Pass pass = new Pass(stint, totals);
    int number = pass.number;
    running.put(stint.cohort(), pass);
    String region = regionService.ownRegion();
    log.info(
        "hand-off started cohort={} region={} epoch={} boundary={} pass={}",
        stint.cohort(),
        region,
        stint.scheduleEpoch(),
        stint.slot().from(),
        number);
    directory.report(pass.progress(null, "running"));
    Set<String> seen = new HashSet<>();
    Source<String, NotUsed> userIds =
        Source.from(regionService.regions().names())
            .flatMapConcat(journal -> Rehoming.userIdsIn(system, persistenceIdsQueryOf, journal));
    // Reading a user from this region's replica is cheap and bounded by the parallelism; the
    // moves (a journal write in the owner's region and a read here) are what is throttled.
    userIds
        .filter(seen::add)
        .takeWhile(userId -> stillHere(stint))
        .mapAsyncUnordered(parallelism, userId -> memberElsewhere(pass, userId))
        .filter(userId -> !userId.isEmpty())
        .throttle(rate, Duration.ofSeconds(1))
        .takeWhile(userId -> stillHere(stint))
        .mapAsyncUnordered(parallelism, userId -> pull(pass, userId))
        .runWith(Sink.ignore(), system)
        .whenComplete((ignored, failure) -> finish(pass, failure));
  }

  /**
   * The user's id if this region's replica has it as a member of the pass's cohort owned by another
   * region; "" otherwise (also when the read fails: the next pass looks again).
   */
  private CompletionStage<String> memberElsewhere(Pass pass, String userId) {
    pass.scanned.incrementAndGet();
    return gateway
        .readLocal(userId)
        .thenApply(
            local -> {
              if (!(local.reply() instanceof User.Accepted accepted)
                  || !pass.stint.cohort().equals(accepted.user().cohort())) return "";
              pass.members.incrementAndGet();
              return regionService.ownRegion().equals(accepted.user().owner()) ? "" : userId;
            })
        .exceptionally(
            failure -> {
              pass.failed.incrementAndGet();
              pass.totals.failed.incrementAndGet();
              return "";
            });
  }

  /** One member owned elsewhere is asked over; completes whatever happens. */
  private CompletionStage<Void> pull(Pass pass, String userId) {
    String region = regionService.ownRegion();
    String cohort = pass.stint.cohort();
    long start = System.nanoTime();
    return gateway
        .followSchedule(userId, cohort, region, pass.stint.slot().from().toEpochMilli())
        .thenAccept(
            outcome -> {
              if (outcome.reply() instanceof User.Accepted moved
                  && region.equals(moved.user().owner())) {
                pass.moved.incrementAndGet();
                pass.totals.moved.incrementAndGet();
                metrics.cohortUserMoved(cohort, Duration.ofNanos(System.nanoTime() - start));
              } else if (!(outcome.reply() instanceof User.Accepted)) {
                pass.failed.incrementAndGet();
                pass.totals.failed.incrementAndGet();
              }
              // Accepted elsewhere: the user left the cohort meanwhile; nothing to do.
            })
        .exceptionally(
            failure -> {
              pass.failed.incrementAndGet();
              pass.totals.failed.incrementAndGet();
              log.debug("hand-off of user={} to region={} failed: {}", userId, region, failure);
              return null;
            });
  }

  private void finish(Pass pass, Throwable failure) {
    Stint stint = pass.stint;
    running.remove(stint.cohort());
    long tookMs = Duration.ofNanos(System.nanoTime() - pass.startedNanos).toMillis();
    boolean complete =
        failure == null && pass.failed.get() == 0 && pass.moved.get() == 0 && stillHere(stint);
    boolean cut = failure == null && !stillHere(stint);
    String state = complete ? "done" : cut ? "window-ended" : "retrying";
    if (complete) {
      done.put(stint.cohort(), stint.id());
      // A hand-off only if some pass of the stint moved someone; timed from the boundary, or from
      // the first pass when that came later (a schedule put or a node started in the window).
      if (pass.totals.moved.get() > 0)
        metrics.cohortHandOffDone(
            stint.cohort(),
            Duration.ofMillis(
                System.currentTimeMillis()
                    - Math.max(
                        stint.slot().from().toEpochMilli(), pass.totals.firstPassStartedAt)));
    } else if (!cut) {
      // Moved some (a second pass finds members that joined or replicated here meanwhile) or
      // failed some: again shortly.
      notBefore.put(
          stint.cohort(),
          System.nanoTime()
              + (pass.failed.get() > 0 || failure != null ? retryAfter.toNanos() : 0));
    }
    directory.report(pass.progress(System.currentTimeMillis(), state));
    log.info(
        "hand-off pass cohort={} region={} epoch={} boundary={} pass={} {}: {} users read, {}"
            + " members, {} moved here, {} failed, in {} ms",
        stint.cohort(),
        regionService.ownRegion(),
        stint.scheduleEpoch(),
        stint.slot().from(),
        pass.number,
        state,
        pass.scanned.get(),
        pass.members.get(),
        pass.moved.get(),
        pass.failed.get(),
        tookMs,
        failure);
  }

  private boolean isRegionLeader() {
    var cluster = Cluster.get(system);
    var leader = cluster.state().getLeader();
    return leader == null || leader.equals(cluster.selfMember().address());
  }
}
