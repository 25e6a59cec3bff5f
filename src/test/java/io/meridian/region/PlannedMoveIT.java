package io.meridian.region;

import static io.meridian.region.FailoverClient.TIMINGS;
import static io.meridian.region.FailoverClient.header;
import static io.meridian.region.FailoverClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Planned moves (docs/design.md, Ownership; {@code POST /v1/users/{id}/move}) under a stream of
 * concurrent writes: the new owner takes over only after it has applied the transfer, and so every
 * earlier event of the old owner, so no acknowledged write is lost.
 *
 * <p>With Pekko's direct replication on, this test failed in 3 of 4 runs: Pekko 1.2.1 can drop a
 * replicated event when events of one origin are stashed behind an accepted directly replicated
 * event (docs/decisions.md, "Replication: the journal is the only data path"). Meridian replicates
 * through the journals only, and this test is one of the proofs that nothing is lost.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
class PlannedMoveIT {
  private static ThreeRegions regions;
  private static FailoverClient client;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions = ThreeRegions.start(cassandra, "it_move_", FailoverClient.FAST_FAILOVER);
    client = new FailoverClient(regions);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  @Test
  void movesUnderConcurrentWritesLoseNoAcknowledgedWrite() {
    client.createUser("mv-1", "us");
    var before = client.patchProfile("us", "mv-1", "{\"email\":\"mv-1@example.org\"}");
    assertEquals(200, before.statusCode(), before.body());

    AtomicBoolean writing = new AtomicBoolean(true);
    // Points from every region, round robin: CRDT writes, accepted by whichever replica gets them.
    AtomicLong acknowledgedPoints = new AtomicLong();
    AtomicInteger pointsRefused = new AtomicInteger();
    var points =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; writing.get(); i++) {
                long delta = 1 + i % 5;
                var response = client.addPoints(ThreeRegions.REGIONS.get(i % 3), "mv-1", delta);
                if (response.statusCode() == 200) acknowledgedPoints.addAndGet(delta);
                else pointsRefused.incrementAndGet();
              }
            });
    // Profile writes one after another through eu, which forwards them to the owner of the moment.
    AtomicInteger lastAcknowledgedName = new AtomicInteger();
    AtomicInteger namesAcknowledged = new AtomicInteger();
    AtomicInteger namesRefused = new AtomicInteger();
    var profile =
        CompletableFuture.runAsync(
            () -> {
              for (int n = 1; writing.get(); n++) {
                var response =
                    client.patchProfile("eu", "mv-1", "{\"displayName\":\"w-" + n + "\"}");
                if (response.statusCode() == 200) {
                  lastAcknowledgedName.set(n);
                  namesAcknowledged.incrementAndGet();
                } else {
                  assertEquals(503, response.statusCode(), response.body());
                  namesRefused.incrementAndGet();
                }
              }
            });

    awaitAcknowledged(namesAcknowledged, 5);
    long toApMillis = move("eu", "ap", 2);
    awaitAcknowledged(namesAcknowledged, namesAcknowledged.get() + 5);
    long toEuMillis = move("us", "eu", 3);
    awaitAcknowledged(namesAcknowledged, namesAcknowledged.get() + 5);
    writing.set(false);
    CompletableFuture.allOf(points, profile).orTimeout(60, TimeUnit.SECONDS).join();
    TIMINGS.info(
        "MOVE us→ap={} ms, ap→eu={} ms under writes: {} profile writes acknowledged, {} refused (503) while moving; points acknowledged {} ({} refused)",
        toApMillis,
        toEuMillis,
        namesAcknowledged.get(),
        namesRefused.get(),
        acknowledgedPoints.get(),
        pointsRefused.get());

    client.awaitConverged(List.of("mv-1"));
    for (String region : ThreeRegions.REGIONS) {
      JsonNode user = client.user(region, "mv-1");
      assertEquals("eu", user.get("owner").asText(), region + ": " + user);
      assertEquals("eu", user.get("homeRegion").asText(), region + ": " + user);
      assertEquals(3, user.get("epoch").asLong(), region + ": " + user);
      assertEquals(
          acknowledgedPoints.get(),
          user.get("points").asLong(),
          "points = sum of acknowledged deltas, in " + region);
      assertEquals(
          "mv-1@example.org",
          user.at("/profile/email").asText(),
          "the write acknowledged before the moves, in " + region);
      // Sequential writes: the last acknowledged one, or a later one whose answer was lost, wins.
      int finalName = Integer.parseInt(user.at("/profile/displayName").asText().substring(2));
      assertTrue(
          finalName >= lastAcknowledgedName.get(),
          "w-"
              + finalName
              + " in "
              + region
              + ", last acknowledged w-"
              + lastAcknowledgedName.get());
    }
  }

  /** Moves mv-1 (request sent to {@code via}); the 200 means the new owner has taken over. */
  private static long move(String via, String to, long epoch) {
    long start = System.nanoTime();
    var moved = regions.send(via, "POST", "/v1/users/mv-1/move", "{\"toRegion\":\"" + to + "\"}");
    long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertEquals(200, moved.statusCode(), moved.body());
    assertEquals(to, header(moved, "X-Meridian-Owner"));
    assertEquals(epoch, json(moved).get("epoch").asLong(), moved.body());
    // The new owner's own replica already says so: it applied the transfer before the 200.
    JsonNode atNewOwner = client.user(to, "mv-1");
    assertEquals(to, atNewOwner.get("owner").asText(), atNewOwner.toString());
    assertEquals(epoch, atNewOwner.get("epoch").asLong(), atNewOwner.toString());
    return millis;
  }

  private static void awaitAcknowledged(AtomicInteger acknowledged, int atLeast) {
    long deadline = System.currentTimeMillis() + 20_000;
    while (acknowledged.get() < atLeast) {
      assertTrue(
          System.currentTimeMillis() < deadline,
          "profile writes stopped being acknowledged at " + acknowledged.get());
      FailoverClient.pause(20);
    }
  }
}
