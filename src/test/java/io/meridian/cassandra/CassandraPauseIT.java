package io.meridian.cassandra;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.user.User;
import io.meridian.user.UserSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cassandra freezes (SIGSTOP) for N seconds under a steady stream of writes, then resumes
 * (SIGCONT): the writes fail for at most N + 2 s in all (issue 12), not for tens of seconds after
 * it is back. Uses its own Cassandra, since it freezes it.
 */
@ExtendWith(LogCapturingExtension.class)
class CassandraPauseIT {
  private static final Logger log = LoggerFactory.getLogger(CassandraPauseIT.class);
  private static final String REGION = "us";
  private static final Duration PAUSE = Duration.ofSeconds(8);

  /** The client's patience per write, like an HTTP client's. */
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(2);

  private Path dataDir;
  private CassandraLauncher cassandra;
  private ActorTestKit testKit;

  @BeforeEach
  void start() throws Exception {
    dataDir = CassandraExtension.newDataDir("cassandra-pause-");
    cassandra =
        new CassandraLauncher(dataDir, CassandraLauncher.Options.defaults().withThrowAwayData(true))
            .start();
    Config config =
        CassandraTestSupport.config(cassandra, "meridian.cassandra.keyspace-prefix = \"pause_\"");
    testKit = ActorTestKit.create("CassandraPauseIT", config);
    CassandraTestSupport.awaitSchema(testKit.system(), CassandraTestSupport.regions(config));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (cassandra != null) signal("CONT", cassandra.pid()); // never leave it frozen
      if (testKit != null) testKit.shutdownTestKit();
    } finally {
      try {
        if (cassandra != null) cassandra.kill();
      } finally {
        CassandraExtension.deleteRecursively(dataDir);
      }
    }
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertTrue(
        kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + pid);
  }

  private record Write(long startMillis, long endMillis, boolean ok) {}

  private Write write(ActorRef<User.Command> replica, long origin) {
    long start = System.currentTimeMillis();
    boolean ok;
    try {
      User.Reply reply =
          AskPattern.<User.Command, User.Reply>ask(
                  replica,
                  replyTo -> new User.AdjustPoints(1, replyTo),
                  WRITE_TIMEOUT,
                  testKit.system().scheduler())
              .toCompletableFuture()
              .get(WRITE_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
      ok = reply instanceof User.Accepted;
    } catch (Exception e) {
      ok = false;
    }
    return new Write(start - origin, System.currentTimeMillis() - origin, ok);
  }

  @Test
  void aFrozenCassandraCostsAtMostItsPausePlusTwoSecondsOfFailedWrites() throws Exception {
    UserSettings settings = CassandraTestSupport.settings(testKit.system().settings().config());
    String userId = CassandraTestSupport.newUserId("pause");
    ActorRef<User.Command> replica =
        testKit.spawn(User.create(CassandraTestSupport.replicationId(userId, REGION), settings));
    var created =
        AskPattern.<User.Command, User.Reply>ask(
                replica,
                replyTo -> new User.Create(REGION, replyTo),
                Duration.ofSeconds(20),
                testKit.system().scheduler())
            .toCompletableFuture()
            .get(25, TimeUnit.SECONDS);
    assertInstanceOf(User.Accepted.class, created);

    long origin = System.currentTimeMillis();
    List<Write> writes = new ArrayList<>();
    long pausedAt = -1;
    long resumedAt = -1;
    // Writes one after another (each with a 2 s timeout) for 3 s, then through the pause, then
    // until
    // 20 s after the resume; the pause itself is the fault being injected, not a synchronisation.
    while (true) {
      long now = System.currentTimeMillis() - origin;
      if (pausedAt < 0 && now >= 3_000) {
        signal("STOP", cassandra.pid());
        pausedAt = System.currentTimeMillis() - origin;
      }
      if (pausedAt >= 0 && resumedAt < 0 && now >= pausedAt + PAUSE.toMillis()) {
        signal("CONT", cassandra.pid());
        resumedAt = System.currentTimeMillis() - origin;
      }
      if (resumedAt >= 0 && now >= resumedAt + 20_000) break;
      writes.add(write(replica, origin));
    }
    final long resumed = resumedAt;
    final long paused = pausedAt;
    long firstFailure =
        writes.stream().filter(w -> !w.ok()).mapToLong(Write::startMillis).min().orElse(paused);
    long lastFailure =
        writes.stream().filter(w -> !w.ok()).mapToLong(Write::endMillis).max().orElse(paused);
    long failedWindow = lastFailure - firstFailure;
    long firstOkAfterResume =
        writes.stream()
            .filter(w -> w.ok() && w.startMillis() >= resumed)
            .mapToLong(Write::endMillis)
            .min()
            .orElse(-1);
    log.info(
        "PAUSE cassandra frozen {} ms: writes failed from {} to {} ms ({} ms, {} of {} writes); first write ok {} ms after the resume",
        resumedAt - pausedAt,
        firstFailure,
        lastFailure,
        failedWindow,
        writes.stream().filter(w -> !w.ok()).count(),
        writes.size(),
        firstOkAfterResume < 0 ? -1 : firstOkAfterResume - resumedAt);
    assertTrue(firstOkAfterResume >= 0, "writes work again after the resume");
    assertTrue(
        failedWindow <= PAUSE.toMillis() + 2_000,
        "failed for " + failedWindow + " ms around a " + PAUSE.toMillis() + " ms pause");
    assertTrue(
        writes.stream().filter(w -> w.startMillis() > resumed + 2_000).allMatch(Write::ok),
        "every write from 2 s after the resume succeeds");
  }
}
