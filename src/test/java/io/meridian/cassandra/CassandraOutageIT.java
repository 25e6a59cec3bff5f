package io.meridian.cassandra;

import static io.meridian.cassandra.CassandraTestSupport.ASK_TIMEOUT;
import static io.meridian.cassandra.CassandraTestSupport.REPLY_TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.user.User;
import io.meridian.user.UserSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cassandra goes away under a running replica and comes back on the same data: commands fail within
 * the ask timeout meanwhile, and the same replica (same actor, same JVM) serves again afterwards.
 * Uses its own Cassandra, since it stops it.
 */
@ExtendWith(LogCapturingExtension.class)
class CassandraOutageIT {

  private static final Logger log = LoggerFactory.getLogger(CassandraOutageIT.class);

  private static final String REGION = "us";
  private static final Duration RECOVERY = Duration.ofSeconds(90);

  private Path dataDir;
  private CassandraLauncher cassandra;
  private ActorTestKit testKit;

  @BeforeEach
  void start() throws Exception {
    dataDir = CassandraExtension.newDataDir("cassandra-outage-");
    // Restarted on the same folder: the schema must be durable, so no throw-away mode.
    cassandra =
        new CassandraLauncher(
                dataDir, CassandraLauncher.Options.defaults().withThrowAwayData(false))
            .start();
    Config config =
        CassandraTestSupport.config(cassandra, "meridian.cassandra.keyspace-prefix = \"outage_\"");
    testKit = ActorTestKit.create("CassandraOutageIT", config);
    CassandraTestSupport.awaitSchema(testKit.system(), CassandraTestSupport.regions(config));
  }

  @AfterEach
  void stop() {
    try {
      if (testKit != null) testKit.shutdownTestKit();
    } finally {
      try {
        if (cassandra != null)
          cassandra.kill(); // its data is deleted next: no graceful drain needed
      } finally {
        CassandraExtension.deleteRecursively(dataDir);
      }
    }
  }

  private CompletionStage<User.Reply> ask(
      ActorRef<User.Command> replica,
      Function<ActorRef<User.Reply>, User.Command> command,
      Duration timeout) {
    return AskPattern.ask(replica, command::apply, timeout, testKit.system().scheduler());
  }

  private User.View accepted(
      ActorRef<User.Command> replica, Function<ActorRef<User.Reply>, User.Command> command)
      throws Exception {
    User.Reply reply =
        ask(replica, command, REPLY_TIMEOUT)
            .toCompletableFuture()
            .get(REPLY_TIMEOUT.toSeconds() + 1, TimeUnit.SECONDS);
    return assertInstanceOf(User.Accepted.class, reply, () -> "reply " + reply).user();
  }

  @Test
  void aReplicaFailsFastWhileCassandraIsDownAndServesAgainOnceItIsBack() throws Exception {
    UserSettings settings = CassandraTestSupport.settings(testKit.system().settings().config());
    String userId = CassandraTestSupport.newUserId("outage");
    ActorRef<User.Command> replica =
        testKit.spawn(User.create(CassandraTestSupport.replicationId(userId, REGION), settings));
    accepted(replica, replyTo -> new User.Create(REGION, replyTo));
    accepted(replica, replyTo -> new User.AdjustPoints(10, replyTo));

    cassandra.stop();

    long asked = System.nanoTime();
    var duringOutage =
        ask(replica, replyTo -> new User.AdjustPoints(1, replyTo), ASK_TIMEOUT)
            .toCompletableFuture();
    ExecutionException failure =
        assertThrows(
            ExecutionException.class,
            () -> duringOutage.get(ASK_TIMEOUT.toMillis() + 3000, TimeUnit.MILLISECONDS),
            "no hang: the ask ends");
    long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
    assertInstanceOf(
        TimeoutException.class,
        failure.getCause(),
        "the caller sees the ask time out, not an answer");
    assertTrue(
        failedAfterMs <= ASK_TIMEOUT.toMillis() + 2000, "failed after " + failedAfterMs + " ms");
    log.info(
        "during the outage the ask failed after {} ms ({})",
        failedAfterMs,
        failure.getCause().getClass().getSimpleName());

    cassandra.start();
    long restarted = System.nanoTime();

    // The same actor (restarted with back-off by its persist-failure supervision) answers again,
    // with the state it had before the outage: the write during the outage never reached Cassandra.
    // Short asks: one that arrives while a recovery attempt fails can be dropped with that attempt.
    TestProbe<Object> probe = testKit.createTestProbe();
    User.View recovered =
        probe.awaitAssert(
            RECOVERY,
            Duration.ofMillis(200),
            () -> {
              try {
                User.Reply reply =
                    ask(replica, User.Get::new, Duration.ofSeconds(2))
                        .toCompletableFuture()
                        .get(3, TimeUnit.SECONDS);
                return assertInstanceOf(User.Accepted.class, reply, () -> "reply " + reply).user();
              } catch (Exception e) {
                throw new AssertionError("not serving yet: " + e, e);
              }
            });
    log.info(
        "replica answered again {} ms after Cassandra was ready again",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted));
    assertEquals(10, recovered.points());

    assertEquals(
        15,
        accepted(replica, replyTo -> new User.AdjustPoints(5, replyTo)).points(),
        "writes work again");
  }
}
