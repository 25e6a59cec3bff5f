package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static io.meridian.region.FailoverClient.CONVERGE;
import static io.meridian.region.FailoverClient.TIMINGS;
import static io.meridian.region.FailoverClient.header;
import static io.meridian.region.FailoverClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Loss of a whole region (docs/design.md, Regions and Guarantees 4): eu's actor system is
 * terminated without leaving, the other two regions auto-down it, us (eu's successor) takes over
 * eu's users, and when eu comes back as a new incarnation it is declared up again and gets its
 * users back.
 *
 * <p>One scenario in two steps that share the cluster: the return needs the loss before it.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RegionLossIT {
  private static final List<String> EU_USERS = List.of("loss-1", "loss-2", "loss-3", "loss-4");
  private static final Duration KILL_TO_WRITE_BOUND = Duration.ofSeconds(30);
  private static final Duration DOWN_TO_WRITE_BOUND = Duration.ofSeconds(10);

  private static ThreeRegions regions;
  private static FailoverClient client;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions = ThreeRegions.start(cassandra, "it_loss_", FailoverClient.FAST_FAILOVER);
    client = new FailoverClient(regions);
    for (String userId : EU_USERS) {
      client.createUser(userId, "eu");
      assertEquals(
          200,
          client
              .patchProfile("eu", userId, "{\"email\":\"" + userId + "@example.org\"}")
              .statusCode());
      assertEquals(200, client.addPoints("eu", userId, 10).statusCode());
      assertEquals(200, client.addDevice("ap", userId, "phone").statusCode());
    }
    client.awaitConverged(EU_USERS);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  @Test
  @Order(1)
  void killedRegionIsDeclaredDownAndItsUsersAreWrittenInTheSuccessor() {
    long killedAt = System.currentTimeMillis();
    regions.kill("eu");

    // A stream of profile writes for an eu user, sent to us every 200 ms without waiting: the first
    // 200 tells when failover let a single-writer write through (resolution: one pacing step).
    AtomicLong firstWriteAt = new AtomicLong();
    AtomicReference<HttpResponse<String>> firstWrite = new AtomicReference<>();
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    List<CompletableFuture<?>> attempts = new ArrayList<>();
    for (int attempt = 1; firstWrite.get() == null; attempt++) {
      assertTrue(
          System.currentTimeMillis() - killedAt < KILL_TO_WRITE_BOUND.toMillis() + 10_000,
          "no write succeeded after the kill");
      String name = "after-" + attempt;
      attempts.add(
          client
              .sendAsync(
                  "us", "PATCH", "/v1/users/loss-1/profile", "{\"displayName\":\"" + name + "\"}")
              .thenAccept(
                  response -> {
                    if (response.statusCode() != 200) return;
                    acknowledged.add(name);
                    if (firstWriteAt.compareAndSet(0, System.currentTimeMillis()))
                      firstWrite.set(response);
                  })
              .exceptionally(failure -> null)); // no answer: not acknowledged
      FailoverClient.pause(200);
    }
    CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new))
        .orTimeout(40, TimeUnit.SECONDS)
        .join();

    RegionDirectory.RegionRecord down = client.declared("us", "eu");
    assertEquals(RegionControl.Status.down, down.status(), "us's directory: " + down);
    long killToWrite = firstWriteAt.get() - killedAt;
    long downToWrite = firstWriteAt.get() - down.at();
    TIMINGS.info(
        "FAILOVER kill→declared-down={} ms, kill→write={} ms, down→write={} ms (auto-down-after 3s)",
        down.at() - killedAt,
        killToWrite,
        downToWrite);
    assertTrue(killToWrite <= KILL_TO_WRITE_BOUND.toMillis(), "kill→write " + killToWrite + " ms");
    assertTrue(downToWrite <= DOWN_TO_WRITE_BOUND.toMillis(), "down→write " + downToWrite + " ms");

    // The write was executed by us as the new owner, on top of everything eu had replicated.
    JsonNode written = json(firstWrite.get());
    assertEquals("us", header(firstWrite.get(), "X-Meridian-Owner"));
    assertEquals("us", written.get("owner").asText());
    assertEquals("eu", written.get("homeRegion").asText());
    assertEquals(2, written.get("epoch").asLong());
    assertEquals("loss-1@example.org", written.at("/profile/email").asText());
    assertEquals(10, written.get("points").asLong());
    assertTrue(acknowledged.contains(written.at("/profile/displayName").asText()));

    // The eager sweep seized the others without any write: reads in us and ap show the new owner.
    for (String userId : EU_USERS) {
      for (String region : List.of("us", "ap")) {
        eventually(
            CONVERGE,
            () -> {
              JsonNode user = client.user(region, userId);
              assertEquals("us", user.get("owner").asText(), region + ": " + user);
              assertEquals(2, user.get("epoch").asLong(), region + ": " + user);
            });
      }
    }
    // A write sent to ap for another eu user is forwarded to us, which owns it now.
    var viaAp = client.patchProfile("ap", "loss-2", "{\"locale\":\"de\"}");
    assertEquals(200, viaAp.statusCode(), viaAp.body());
    assertEquals("us", header(viaAp, "X-Meridian-Owner"));
    assertEquals("de", json(viaAp).at("/profile/locale").asText());

    assertEquals(
        "down",
        FailoverClient.regionStatus(json(regions.send("ap", "GET", "/v1/regions", null)), "eu"));
  }

  @Test
  @Order(2)
  void returningRegionIsDeclaredUpAndTakesItsUsersBack() {
    assertEquals(
        RegionControl.Status.down,
        client.declared("us", "eu").status(),
        "needs the loss of eu from the first step");
    long downEpoch = client.declared("us", "eu").epoch();
    // While eu is away, us moves one of eu's users to ap: eu's journal still says eu owns it (epoch
    // 1).
    var moved = regions.send("us", "POST", "/v1/users/loss-4/move", "{\"toRegion\":\"ap\"}");
    assertEquals(200, moved.statusCode(), moved.body());
    assertEquals(3, json(moved).get("epoch").asLong(), moved.body());

    long restartedAt = System.currentTimeMillis();
    regions.restart("eu");
    regions.awaitReady("eu", Duration.ofSeconds(60));

    // A write sent to eu on its way back is never executed by eu's replica under its old claim
    // (epoch 1): it is executed by us (declared down or not yet handed back) or by eu at epoch 3.
    var early = client.patchProfile("eu", "loss-3", "{\"locale\":\"fr\"}");
    assertEquals(200, early.statusCode(), early.body());
    assertTrue(
        json(early).get("epoch").asLong() >= 2,
        "eu accepted a single-writer write under its old claim: " + early.body());

    eventually(
        CONVERGE,
        () -> {
          assertEquals(RegionControl.Status.up, client.declared("us", "eu").status());
          assertEquals(RegionControl.Status.up, client.declared("eu", "eu").status());
        });
    long declaredUpAt = client.declared("us", "eu").at();
    assertTrue(client.declared("us", "eu").epoch() > downEpoch);

    // eu is up again, and its replica of loss-4 (not running since the restart) recovers the old
    // claim from eu's journal; the write still goes to ap, which owns loss-4 since the move.
    var movedAway = client.patchProfile("eu", "loss-4", "{\"locale\":\"it\"}");
    assertEquals(200, movedAway.statusCode(), movedAway.body());
    assertEquals("ap", header(movedAway, "X-Meridian-Owner"), movedAway.body());
    assertEquals(3, json(movedAway).get("epoch").asLong(), movedAway.body());

    List<String> handedBack = EU_USERS.subList(0, 3);
    AtomicLong handedBackAt = new AtomicLong();
    for (String userId : handedBack) {
      for (String region : ThreeRegions.REGIONS) {
        eventually(
            CONVERGE,
            () -> {
              JsonNode user = client.user(region, userId);
              assertEquals("eu", user.get("owner").asText(), region + ": " + user);
              assertEquals(3, user.get("epoch").asLong(), region + ": " + user);
            });
      }
      handedBackAt.set(System.currentTimeMillis());
    }
    TIMINGS.info(
        "HAND-BACK restart→declared-up={} ms, declared-up→{} users owned by eu everywhere={} ms (return-grace 2s)",
        declaredUpAt - restartedAt,
        handedBack.size(),
        handedBackAt.get() - declaredUpAt);

    // eu is the owner again: it executes writes itself, including ones sent to another region.
    var inEu = client.patchProfile("eu", "loss-1", "{\"displayName\":\"home-again\"}");
    assertEquals(200, inEu.statusCode(), inEu.body());
    assertEquals("eu", header(inEu, "X-Meridian-Owner"));
    var viaUs = client.patchProfile("us", "loss-2", "{\"displayName\":\"home-again\"}");
    assertEquals(200, viaUs.statusCode(), viaUs.body());
    assertEquals("eu", header(viaUs, "X-Meridian-Owner"));
    // What us wrote for loss-2 while eu was away reached eu (caught up), and all replicas agree.
    assertEquals("de", json(viaUs).at("/profile/locale").asText());
    client.awaitConverged(EU_USERS);
    for (String region : ThreeRegions.REGIONS) {
      JsonNode user = client.user(region, "loss-4");
      assertEquals("ap", user.get("owner").asText(), region + ": " + user);
      assertEquals("it", user.at("/profile/locale").asText(), region + ": " + user);
    }
  }
}
