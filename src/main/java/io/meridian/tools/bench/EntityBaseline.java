package io.meridian.tools.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baseline (a): {@link BenchUser} entities in a local actor system of the bench's own, journaled by
 * pekko-persistence-cassandra into keyspace {@code meridian_bench} of the same Cassandra, driven
 * in-process (ask) with the same operation mix and concurrency as the HTTP run.
 */
final class EntityBaseline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");
  static final String KEYSPACE = "meridian_bench";

  private final ActorSystem<Void> system;
  private final List<ActorRef<BenchUser.Command>> users = new ArrayList<>();

  private EntityBaseline(ActorSystem<Void> system) {
    this.system = system;
  }

  static Config config(String contactPoint, String localDatacenter) {
    Config base =
        ConfigFactory.parseString(
                String.join(
                    "\n",
                    "pekko.actor.provider = local",
                    "pekko.loglevel = WARNING",
                    "pekko.coordinated-shutdown.exit-jvm = off",
                    "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off"))
            .withValue(
                "datastax-java-driver.basic.contact-points",
                ConfigValueFactory.fromIterable(List.of(contactPoint)))
            .withValue(
                "datastax-java-driver.basic.load-balancing-policy.local-datacenter",
                ConfigValueFactory.fromAnyRef(localDatacenter))
            .withFallback(ConfigFactory.load());
    Config plugin =
        ConfigFactory.parseString(
                String.join(
                    "\n",
                    "journal.keyspace = " + KEYSPACE,
                    "snapshot.keyspace = " + KEYSPACE + "_snapshot",
                    "journal.keyspace-autocreate = on",
                    "journal.tables-autocreate = on",
                    "snapshot.keyspace-autocreate = on",
                    "snapshot.tables-autocreate = on"))
            .withFallback(base.getConfig("pekko.persistence.cassandra"));
    return ConfigFactory.empty()
        .withValue("meridian-bench-cassandra", plugin.root())
        .withFallback(base);
  }

  /**
   * Starts the actor system and one entity per user, and creates the users (a persisted event each,
   * like Meridian's set-up).
   */
  static EntityBaseline start(
      String contactPoint,
      String localDatacenter,
      String runId,
      int userCount,
      int snapshotEvery,
      int concurrency)
      throws InterruptedException {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(), "meridian-bench", config(contactPoint, localDatacenter));
    EntityBaseline baseline = new EntityBaseline(system);
    for (int i = 0; i < userCount; i++) {
      baseline.users.add(
          system.systemActorOf(
              BenchUser.create(runId + "-u" + i, snapshotEvery), "bench-user-" + i, Props.empty()));
    }
    long start = System.nanoTime();
    // The first write creates keyspace and tables (DDL is slow on a busy machine): give it time
    // alone.
    baseline.ask(0, BenchUser.Create::new, Duration.ofSeconds(60)).toCompletableFuture().join();
    Semaphore permits = new Semaphore(concurrency);
    List<CompletableFuture<BenchUser.Reply>> created = new ArrayList<>();
    for (int i = 1; i < userCount; i++) {
      permits.acquire();
      created.add(
          baseline
              .ask(i, BenchUser.Create::new, Duration.ofSeconds(20))
              .toCompletableFuture()
              .whenComplete((r, f) -> permits.release()));
    }
    CompletableFuture.allOf(created.toArray(CompletableFuture[]::new))
        .orTimeout(120, TimeUnit.SECONDS)
        .join();
    log.info(
        "baseline entities: {} users created in keyspace {} in {} ms",
        userCount,
        KEYSPACE,
        (System.nanoTime() - start) / 1_000_000);
    return baseline;
  }

  private java.util.concurrent.CompletionStage<BenchUser.Reply> ask(
      int user,
      org.apache.pekko.japi.function.Function<ActorRef<BenchUser.Reply>, BenchUser.Command> command,
      Duration timeout) {
    return AskPattern.ask(users.get(user), command, timeout, system.scheduler());
  }

  LoadGenerator.Sender sender() {
    return op ->
        ask(
                op.user(),
                replyTo -> new BenchUser.Execute(op, replyTo),
                MeridianClient.REQUEST_TIMEOUT)
            .thenApply(
                reply ->
                    LoadGenerator.Outcome.ok(
                        reply.refused() ? "payment/refused" : op.kind().label()));
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("baseline actor system did not stop in 30 s: {}", e.toString());
    }
  }
}
