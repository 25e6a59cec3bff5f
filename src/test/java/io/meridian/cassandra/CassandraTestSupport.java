package io.meridian.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.cluster.Node;
import io.meridian.replication.HintPublisher;
import io.meridian.replication.ReplicationHints;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.topology.Regions;
import io.meridian.user.User;
import io.meridian.user.UserSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.ReplicationId;

/** Configuration and helpers shared by the Cassandra integration tests. */
final class CassandraTestSupport {
  private CassandraTestSupport() {}

  /**
   * The application's ask timeout (meridian.http.ask-timeout); the outage test asserts against it.
   */
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

  /**
   * How long the other tests wait for a reply. Generous: they test outcomes, not latency, and the
   * 2-core machine they run on is often shared with other builds.
   */
  static final Duration REPLY_TIMEOUT = Duration.ofSeconds(20);

  private static final AtomicInteger ids = new AtomicInteger();

  /**
   * The application's configuration with {@code overrides} on top, a local actor system, and the
   * per-region Cassandra plugins pointing at {@code cassandra}.
   */
  static Config config(CassandraLauncher cassandra, String overrides) {
    Config loaded =
        ConfigFactory.parseString(overrides)
            .withFallback(
                ConfigFactory.parseString(
                    """
                    pekko.actor.provider = local
                    pekko.coordinated-shutdown.exit-jvm = off
                    pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                    meridian.cassandra.contact-points = []
                    """))
            .withFallback(ConfigFactory.load())
            .resolve();
    return RegionJournals.withRegionJournals(
        loaded, regions(loaded), Optional.of(cassandra.contactPoint()));
  }

  static Regions regions(Config config) {
    return Regions.fromConfig(config.getConfig("meridian"));
  }

  /**
   * As the application builds them: per-region Cassandra plugins, snapshot interval and catch-up
   * from config.
   */
  static UserSettings settings(Config config) {
    return UserSettings.withoutDirectory(
        regions(config),
        Node.userJournals(),
        config.getInt("meridian.user.snapshot-every"),
        config.getDuration("meridian.replication.catch-up-timeout"));
  }

  /**
   * Hints as a node sends them, for replicas that all live in this one actor system: every
   * persisted event wakes the other replicas' streams here (a node sends them over the cluster
   * instead).
   */
  static void startHints(ActorSystem<?> system, Regions regions) {
    system.systemActorOf(
        HintPublisher.create(
            regions.names(),
            region -> false,
            (region, origin, hint) -> ReplicationHints.get(system).deliver(hint)),
        "replication-hints",
        org.apache.pekko.actor.typed.Props.empty());
  }

  /** A user id no other test (or earlier run against the same keyspaces) uses. */
  static String newUserId(String prefix) {
    return prefix
        + "-"
        + ProcessHandle.current().pid()
        + "-"
        + System.currentTimeMillis()
        + "-"
        + ids.incrementAndGet();
  }

  static ReplicationId replicationId(String userId, String region) {
    return new ReplicationId(User.ENTITY_TYPE, userId, new ReplicaId(region));
  }

  /**
   * Waits until every region's keyspaces and tables exist (the plugin creates them when its session
   * starts), so that the first command of a test does not pay for the DDL (~2–3 s per region here).
   */
  static void awaitSchema(ActorSystem<?> system, Regions regions) throws Exception {
    for (String region : regions.names()) {
      // Any statement waits for the session, and the session for its keyspace and table creation.
      readJournal(system, region)
          .session()
          .selectOne("SELECT release_version FROM system.local")
          .toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
    }
  }

  private static CassandraReadJournal readJournal(ActorSystem<?> system, String region) {
    return PersistenceQuery.get(system)
        .getReadJournalFor(
            CassandraReadJournal.class, RegionJournals.pluginPath(region) + ".query");
  }

  /** Runs CQL through the region's own plugin session (same driver settings as the journal). */
  static List<Row> select(ActorSystem<?> system, String region, String cql, Object... values)
      throws Exception {
    return readJournal(system, region)
        .session()
        .selectAll(cql, values)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  static void execute(ActorSystem<?> system, String region, String cql, Object... values)
      throws Exception {
    readJournal(system, region)
        .session()
        .executeWrite(cql, values)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
