package io.meridian.tools.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.cassandra.RegionJournals;
import io.meridian.cluster.Node;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.topology.Regions;
import io.meridian.user.User;
import io.meridian.user.UserSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.ReplicationId;
import org.apache.pekko.persistence.typed.internal.ReplicatedEventMetadata;
import org.apache.pekko.persistence.typed.internal.VersionVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code ./meridian bench recovery}: how long a replica takes to recover without snapshots (they
 * stay off, docs/decisions.md), for users with 1k, 10k and 100k events in their region's journal.
 *
 * <p>The events are written straight into the journal plugin (batches of single-event atomic
 * writes, each with the metadata Replicated Event Sourcing writes), which is what a replica would
 * have persisted, only faster to set up; then a {@link User} replica is started and timed until it
 * answers its first {@code Get}, several times per size. Runs its own Cassandra unless given one.
 */
@Command(
    name = "recovery",
    mixinStandardHelpOptions = true,
    description = "Recovery time of a replica without snapshots, for users with many events.")
public final class RecoveryBench implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");

  @Option(
      names = "--events",
      split = ",",
      defaultValue = "1000,10000,100000",
      description = "Events per user (default: ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(
      names = "--repeat",
      defaultValue = "5",
      description = "Recoveries per size (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--cassandra",
      description = "An existing Cassandra, host:port (default: start one).")
  String cassandra;

  @Option(
      names = "--out",
      description = "The JSON file (default: target/bench/recovery-<millis>.json).")
  Path out;

  @Override
  public Integer call() throws Exception {
    CassandraLauncher launcher = null;
    String contactPoint = cassandra;
    if (contactPoint == null) {
      launcher =
          new CassandraLauncher(
                  Files.createTempDirectory("meridian-recovery-bench-"),
                  CassandraLauncher.Options.defaults().withThrowAwayData(true))
              .start();
      contactPoint = launcher.contactPoint();
    }
    try {
      return run(contactPoint);
    } finally {
      if (launcher != null) launcher.stop();
      if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)
        context.stop();
    }
  }

  private int run(String contactPoint) throws Exception {
    Config loaded =
        ConfigFactory.parseString(
                String.join(
                    "\n",
                    "pekko.actor.provider = local",
                    "pekko.loglevel = WARNING",
                    "pekko.coordinated-shutdown.exit-jvm = off",
                    "meridian.region = us",
                    "meridian.cassandra.keyspace-prefix = \"meridian_recovery_\"",
                    "meridian.cassandra.contact-points = []"))
            .withFallback(ConfigFactory.load())
            .resolve();
    Regions regions = Regions.fromConfig(loaded.getConfig("meridian"));
    Config config = RegionJournals.withRegionJournals(loaded, regions, Optional.of(contactPoint));
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), "meridian-recovery-bench", config);
    var settings =
        UserSettings.withoutDirectory(
            regions,
            Node.userJournals(),
            0,
            config.getDuration("meridian.replication.catch-up-timeout"));
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      String run = Long.toString(System.currentTimeMillis(), 36);
      // Every region's journal must exist, as in a running system: a replica that starts reads the
      // other regions' journals before it answers, and a missing keyspace would make it wait for
      // its catch-up timeout instead.
      for (String region : regions.names()) write(system, "rec-schema-" + run, region, 1);
      for (int size : sizes) {
        String userId = "rec-" + size + "-" + run;
        long written = write(system, userId, "us", size);
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < repeat; i++) millis.add(recover(system, settings, userId, size));
        millis.sort(Double::compare);
        double median = millis.get(millis.size() / 2);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("events", size);
        f.put("writeMillis", written);
        f.put("recoveryMillis", millis);
        f.put("medianMillis", Report.round(median));
        f.put("eventsPerSecond", Report.round(size / (median / 1000.0)));
        figures.put(Integer.toString(size), f);
        log.info(
            "recovery of a user with {} events: median {} ms over {} runs ({} events/s); all {}",
            size,
            Report.round(median),
            repeat,
            Report.round(size / (median / 1000.0)),
            millis);
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    Path file =
        out != null
            ? out
            : Path.of("target", "bench", "recovery-" + System.currentTimeMillis() + ".json");
    Report.writeJson(file, figures);
    log.info("figures in {}", file);
    return 0;
  }

  /**
   * Writes {@code size} events of origin {@code region} into its journal, as the replica would
   * have; returns the millis taken.
   */
  private static long write(ActorSystem<?> system, String userId, String region, int size)
      throws Exception {
    long start = System.nanoTime();
    String persistenceId =
        ReplicationId.apply(User.ENTITY_TYPE, userId, new ReplicaId(region)).persistenceId().id();
    ActorRef journal =
        Persistence.get(system.classicSystem())
            .journalFor(
                String.format(RegionJournals.JOURNAL_PLUGIN_ID, region), ConfigFactory.empty());
    int batch = 500;
    for (long from = 1; from <= size; from += batch) {
      List<org.apache.pekko.persistence.PersistentEnvelope> writes = new ArrayList<>();
      for (long seq = from; seq < from + batch && seq <= size; seq++) {
        Object event =
            seq == 1
                ? new User.UserCreated(userId, region, System.currentTimeMillis())
                : new User.PointsAdjusted(1, System.currentTimeMillis());
        var meta =
            new ReplicatedEventMetadata(
                new ReplicaId(region), seq, VersionVector.empty().updated(region, seq), false);
        PersistentRepr repr =
            PersistentRepr.apply(
                    event, seq, persistenceId, "", false, ActorRef.noSender(), "recovery-bench")
                .withMetadata(meta);
        writes.add(AtomicWrite.apply(repr));
      }
      var done = new CompletableFuture<Void>();
      ActorRef replyTo =
          ((org.apache.pekko.actor.ExtendedActorSystem) system.classicSystem())
              .systemActorOf(
                  org.apache.pekko.actor.Props.create(
                      WriteWaiter.class, () -> new WriteWaiter(done)),
                  "recovery-bench-writer-" + region + "-" + userId + "-" + from);
      journal.tell(
          new JournalProtocol.WriteMessages(
              CollectionConverters.asScala(writes).toSeq(), replyTo, 1),
          replyTo);
      done.get(120, TimeUnit.SECONDS);
      system.classicSystem().stop(replyTo);
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** Collects the journal's answer to one WriteMessages. */
  static final class WriteWaiter extends AbstractActor {
    private final CompletableFuture<Void> done;

    WriteWaiter(CompletableFuture<Void> done) {
      this.done = done;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(JournalProtocol.WriteMessagesSuccessful$.class, ok -> done.complete(null))
          .match(
              JournalProtocol.WriteMessagesFailed.class,
              failed -> done.completeExceptionally(failed.cause()))
          .matchAny(other -> {})
          .build();
    }
  }

  /**
   * Starts a replica of {@code userId} in us and times it until its first answer; checks it
   * recovered every event.
   */
  private static double recover(
      ActorSystem<?> system, UserSettings settings, String userId, int size) throws Exception {
    long start = System.nanoTime();
    var replica =
        system.systemActorOf(
            User.create(
                ReplicationId.apply(User.ENTITY_TYPE, userId, new ReplicaId("us")), settings),
            "recover-" + userId + "-" + start,
            org.apache.pekko.actor.typed.Props.empty());
    User.Reply reply =
        AskPattern.<User.Command, User.Reply>ask(
                replica, User.Get::new, Duration.ofMinutes(5), system.scheduler())
            .toCompletableFuture()
            .get(5, TimeUnit.MINUTES);
    double millis = (System.nanoTime() - start) / 1e6;
    if (!(reply instanceof User.Accepted accepted) || accepted.user().points() != size - 1) {
      throw new IllegalStateException("replica of " + userId + " recovered wrongly: " + reply);
    }
    org.apache.pekko.pattern.Patterns.gracefulStop(
            org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(replica), Duration.ofSeconds(30))
        .toCompletableFuture()
        .get(40, TimeUnit.SECONDS);
    return millis;
  }
}
