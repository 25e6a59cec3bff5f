package io.meridian.cohort;

import com.typesafe.config.Config;
import io.meridian.serialization.CborSerializable;
import io.meridian.topology.Regions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cohorts' schedules as every region sees them: Pekko Distributed Data (an {@link LWWMap} whose
 * clock is the schedule's epoch, so a higher epoch wins and equal epochs are ordered by node, the
 * same on every node), seeded at start from {@code meridian.cohorts.schedules} with epoch 0 and
 * changed by {@code PUT /v1/admin/cohorts/{name}} with the next epoch, written to a majority of
 * nodes. A second map holds the progress of each cohort's running or last hand-off, written by the
 * node that runs it.
 *
 * <p>A schedule changed by the API lives as long as one node does: a restart of every node goes
 * back to the configuration (docs/decisions.md, "Follow the sun").
 */
public final class CohortDirectory {
  private static final Logger log = LoggerFactory.getLogger(CohortDirectory.class);

  /** A cohort's schedule as stored: the spec, its epoch, when and where it was set. */
  public record CohortRecord(CohortSchedule.Spec spec, long epoch, long at, String setBy)
      implements CborSerializable {}

  /**
   * A hand-off of a cohort to {@code toRegion} for the stint that starts at {@code boundary} (ms),
   * as the node running it last reported: users looked at, moved, already there, failed.
   */
  public record HandOffProgress(
      String cohort,
      String toRegion,
      long boundary,
      long scheduleEpoch,
      long startedAt,
      Long finishedAt,
      int passes,
      long scanned,
      long members,
      long moved,
      long failed,
      String state)
      implements CborSerializable {}

  /** A cohort: its stored record and the schedule it describes. */
  public record Cohort(String name, CohortRecord record, CohortSchedule schedule) {}

  static final Key<LWWMap<String, CohortRecord>> SCHEDULES =
      LWWMapKey.create("meridian-cohort-schedules");
  static final Key<LWWMap<String, HandOffProgress>> HAND_OFFS =
      LWWMapKey.create("meridian-cohort-hand-offs");

  /** The epoch decides, not the wall clock (see the class comment). */
  private static final LWWRegister.Clock<CohortRecord> BY_EPOCH =
      (currentTimestamp, record) -> record.epoch();

  private final ActorSystem<?> system;
  private final Regions regions;
  private final String ownRegion;
  private final Duration writeTimeout;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final AtomicReference<Map<String, Cohort>> cohorts = new AtomicReference<>(Map.of());
  private final AtomicReference<Map<String, HandOffProgress>> handOffs =
      new AtomicReference<>(Map.of());

  private CohortDirectory(ActorSystem<?> system, Regions regions, String ownRegion) {
    this.system = system;
    this.regions = regions;
    this.ownRegion = ownRegion;
    this.writeTimeout = system.settings().config().getDuration("meridian.cohorts.write-timeout");
    this.replicator = DistributedData.get(system).replicator();
    this.self = DistributedData.get(system).selfUniqueAddress();
  }

  /**
   * The schedules of {@code meridian.cohorts.schedules}, each validated: a schedule with a gap, an
   * overlap or an unknown region stops the node with the reason.
   */
  public static Map<String, CohortSchedule> configured(Config meridian, Regions regions) {
    Config schedules = meridian.getConfig("cohorts.schedules");
    Map<String, CohortSchedule> parsed = new TreeMap<>();
    for (String name : schedules.root().keySet()) {
      String text = schedules.getString(quoted(name));
      try {
        parsed.put(validName(name), CohortSchedule.parse(text, Set.copyOf(regions.names())));
      } catch (IllegalArgumentException invalid) {
        throw new IllegalArgumentException(
            "meridian.cohorts.schedules." + name + " = \"" + text + "\": " + invalid.getMessage(),
            invalid);
      }
    }
    return parsed;
  }

  private static String quoted(String name) {
    return "\"" + name.replace("\"", "\\\"") + "\"";
  }

  /** Cohort names: what a path segment and a user's field can carry. */
  public static String validName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}"))
      throw new IllegalArgumentException(
          "a cohort name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit: "
              + name);
    return name;
  }

  /**
   * Validates the configured schedules (throws on the first bad one), seeds them with epoch 0, and
   * keeps this node's view fresh every {@code meridian.cohorts.tick}.
   */
  public static CohortDirectory start(ActorSystem<?> system, Regions regions, String ownRegion) {
    Config meridian = system.settings().config().getConfig("meridian");
    Map<String, CohortSchedule> configured = configured(meridian, regions);
    var directory = new CohortDirectory(system, regions, ownRegion);
    long now = System.currentTimeMillis();
    Map<String, Cohort> seeded = new TreeMap<>();
    configured.forEach(
        (name, schedule) -> {
          var record = new CohortRecord(schedule.spec(), 0, now, "config of " + ownRegion);
          seeded.put(name, new Cohort(name, record, schedule));
          directory.write(name, record, Replicator.writeLocal());
        });
    // Known at once, before the first read of the replicated map answers: a create in a configured
    // cohort right after the start is not refused.
    directory.cohorts.set(Map.copyOf(seeded));
    directory.refresh();
    Duration tick = meridian.getDuration("cohorts.tick");
    system
        .scheduler()
        .scheduleAtFixedRate(tick, tick, directory::refresh, system.executionContext());
    return directory;
  }

  /** Every cohort this node knows, by name. */
  public Map<String, Cohort> cohorts() {
    return cohorts.get();
  }

  public Optional<Cohort> cohort(String name) {
    return Optional.ofNullable(cohorts.get().get(name));
  }

  public Optional<HandOffProgress> handOff(String name) {
    return Optional.ofNullable(handOffs.get().get(name));
  }

  public Regions regions() {
    return regions;
  }

  /**
   * Sets {@code name}'s schedule with the next epoch, written to a majority of nodes; fails with
   * the replicator's answer when that does not happen within {@code write-timeout}.
   */
  public CompletionStage<Cohort> put(String name, CohortSchedule schedule) {
    long epoch = cohort(name).map(c -> c.record().epoch() + 1).orElse(1L);
    var record = new CohortRecord(schedule.spec(), epoch, System.currentTimeMillis(), ownRegion);
    return write(name, record, new Replicator.WriteMajority(writeTimeout))
        .thenApply(
            written -> {
              var cohort = new Cohort(name, record, schedule);
              cohorts.updateAndGet(
                  known -> {
                    var updated = new TreeMap<>(known);
                    updated.merge(
                        name, cohort, (a, b) -> a.record().epoch() >= b.record().epoch() ? a : b);
                    return Map.copyOf(updated);
                  });
              log.info(
                  "cohort schedule cohort={} region={} epoch={} schedule={}",
                  name,
                  ownRegion,
                  epoch,
                  schedule.describe());
              return cohort;
            });
  }

  /** Publishes a hand-off's progress (locally; gossip spreads it). */
  public void report(HandOffProgress progress) {
    handOffs.updateAndGet(
        known -> {
          var updated = new TreeMap<>(known);
          updated.put(progress.cohort(), progress);
          return Map.copyOf(updated);
        });
    AskPattern.<Replicator.Command, Replicator.UpdateResponse<LWWMap<String, HandOffProgress>>>ask(
        replicator,
        replyTo ->
            new Replicator.Update<>(
                HAND_OFFS,
                LWWMap.create(),
                Replicator.writeLocal(),
                replyTo,
                current -> current.put(self, progress.cohort(), progress)),
        writeTimeout,
        system.scheduler());
  }

  private CompletionStage<Void> write(
      String name, CohortRecord record, Replicator.WriteConsistency consistency) {
    return AskPattern
        .<Replicator.Command, Replicator.UpdateResponse<LWWMap<String, CohortRecord>>>ask(
            replicator,
            replyTo ->
                new Replicator.Update<>(
                    SCHEDULES,
                    LWWMap.create(),
                    consistency,
                    replyTo,
                    current -> current.put(self, name, record, BY_EPOCH)),
            writeTimeout.plusSeconds(1),
            system.scheduler())
        .thenCompose(
            response ->
                response instanceof Replicator.UpdateSuccess
                    ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(
                        new IllegalStateException(
                            "the schedule of cohort "
                                + name
                                + " was not written to a majority of nodes in "
                                + writeTimeout.toMillis()
                                + " ms ("
                                + response.getClass().getSimpleName()
                                + ")")));
  }

  /** Re-reads both maps from this node's replicator (local reads: cheap, and never block). */
  private void refresh() {
    AskPattern.<Replicator.Command, Replicator.GetResponse<LWWMap<String, CohortRecord>>>ask(
            replicator,
            replyTo -> new Replicator.Get<>(SCHEDULES, Replicator.readLocal(), replyTo),
            writeTimeout,
            system.scheduler())
        .thenAccept(
            response -> {
              if (response instanceof Replicator.GetSuccess<LWWMap<String, CohortRecord>> found)
                cohorts.set(parse(found.get(SCHEDULES).getEntries()));
            });
    AskPattern.<Replicator.Command, Replicator.GetResponse<LWWMap<String, HandOffProgress>>>ask(
            replicator,
            replyTo -> new Replicator.Get<>(HAND_OFFS, Replicator.readLocal(), replyTo),
            writeTimeout,
            system.scheduler())
        .thenAccept(
            response -> {
              if (response instanceof Replicator.GetSuccess<LWWMap<String, HandOffProgress>> found)
                handOffs.set(Map.copyOf(found.get(HAND_OFFS).getEntries()));
            });
  }

  private Map<String, Cohort> parse(Map<String, CohortRecord> records) {
    Map<String, Cohort> parsed = new TreeMap<>();
    records.forEach(
        (name, record) -> {
          try {
            parsed.put(
                name,
                new Cohort(
                    name,
                    record,
                    CohortSchedule.fromSpec(record.spec(), Set.copyOf(regions.names()))));
          } catch (IllegalArgumentException invalid) {
            // Written by a node that knows other regions (a rolling change of regions): skip it.
            log.warn("cohort={} region={} schedule not usable here: {}", name, ownRegion, invalid);
          }
        });
    return Map.copyOf(parsed);
  }
}
