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
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A network partition (Artery test-mode blackhole) between ap and the two other regions
 * (docs/design.md, Regions, and Guarantees 2 and 3): the cut-off side refuses single-writer writes
 * but keeps serving reads and CRDT writes and never downs the majority; the majority downs ap and
 * takes over its users; after healing, ap comes back, every write made on either side is
 * everywhere, and each user has one owner again.
 *
 * <p>One scenario in three steps that share the cluster, in order.
 *
 * <p>The regions share one Cassandra here, and the blackhole cuts only Pekko remoting: what ap
 * persists during the partition can reach the others through the journal query streams before ap
 * returns. A real lost region takes its storage with it; then those events arrive after its return,
 * through the same streams. Either way they merge by the same rules, which is what is asserted.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartitionIT {
  private static final List<String> USERS = List.of("part-ap-1", "part-ap-2", "part-us-1");
  private static final Duration NOTICE = Duration.ofSeconds(30);

  private static ThreeRegions regions;
  private static FailoverClient client;
  private static long isolatedAt;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions = ThreeRegions.start(cassandra, "it_partition_", FailoverClient.FAST_FAILOVER);
    client = new FailoverClient(regions);
    client.createUser("part-ap-1", "ap");
    client.createUser("part-ap-2", "ap");
    client.createUser("part-us-1", "us");
    for (String userId : USERS) {
      assertEquals(
          200,
          client
              .patchProfile("eu", userId, "{\"email\":\"" + userId + "@example.org\"}")
              .statusCode());
      assertEquals(200, client.addPoints("eu", userId, 10).statusCode());
    }
    client.awaitConverged(USERS);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  private static void assertRefused(HttpResponse<String> response, String error) {
    assertEquals(503, response.statusCode(), response.body());
    assertEquals(error, json(response).get("error").asText(), response.body());
  }

  private static void assertServedByAp(HttpResponse<String> response) {
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("ap", header(response, "X-Meridian-Served-By"));
  }

  @Test
  @Order(1)
  void cutOffRegionRefusesSingleWriterWritesButServesReadsAndCrdtWrites() {
    regions.isolate("ap");
    isolatedAt = System.currentTimeMillis();
    // Until its failure detector notices (seconds), ap still owns its users and executes their
    // writes: a write of the lost region that cannot replicate over the cluster now.
    var early =
        client.patchProfile("ap", "part-ap-1", "{\"displayName\":\"Ap Early\",\"locale\":\"fr\"}");
    assertEquals(200, early.statusCode(), early.body());
    assertEquals("ap", header(early, "X-Meridian-Owner"));

    eventually(
        NOTICE,
        () ->
            assertTrue(
                !regions.node("ap").regionService().hasOwnershipQuorum(),
                "ap still confirms ownership"));
    TIMINGS.info(
        "PARTITION isolate→ap refuses single-writer writes={} ms",
        System.currentTimeMillis() - isolatedAt);

    // Every single-writer command is refused on the cut-off side, whoever owns the user, and leaves
    // no trace (checked after the partition: no replica has the refused email).
    assertRefused(
        client.patchProfile("ap", "part-ap-1", "{\"email\":\"refused@example.org\"}"),
        "ownership_unconfirmed");
    assertRefused(
        client.patchProfile("ap", "part-us-1", "{\"email\":\"refused@example.org\"}"),
        "ownership_unconfirmed");
    assertRefused(
        regions.send("ap", "POST", "/v1/users/part-ap-2/move", "{\"toRegion\":\"ap\"}"),
        "ownership_unconfirmed");
    assertRefused(
        regions.send("ap", "POST", "/v1/users", "{\"userId\":\"part-new\",\"homeRegion\":\"ap\"}"),
        "ownership_unconfirmed");

    // Reads are served from ap's replicas.
    var read = client.read("ap", "part-ap-1");
    assertServedByAp(read);
    assertEquals("Ap Early", json(read).at("/profile/displayName").asText());
    assertServedByAp(client.read("ap", "part-us-1"));

    // CRDT writes are accepted by any replica, so ap takes them (they merge whatever the order).
    assertServedByAp(client.addPoints("ap", "part-ap-1", 7));
    assertServedByAp(client.addPoints("ap", "part-us-1", 3));
    assertServedByAp(client.addDevice("ap", "part-ap-2", "tablet-ap"));
    assertServedByAp(client.addDevice("ap", "part-us-1", "watch-ap"));

    // The cut-off region cannot declare the majority down, neither by hand nor automatically.
    assertRefused(client.admin("ap", "us", "down"), "no_quorum");
    for (String other : List.of("us", "eu"))
      assertEquals(
          RegionControl.Status.up, client.declared("ap", other).status(), "ap's directory");
  }

  @Test
  @Order(2)
  void majorityDownsTheCutOffRegionAndTakesOverItsUsers() {
    assertTrue(isolatedAt > 0, "needs the partition of the first step");
    eventually(
        NOTICE,
        () -> assertEquals(RegionControl.Status.down, client.declared("us", "ap").status()));
    // eu learns the change from Distributed Data a moment later; until then it answers 503
    // region_unavailable.
    eventually(
        NOTICE,
        () -> assertEquals(RegionControl.Status.down, client.declared("eu", "ap").status()));
    TIMINGS.info(
        "PARTITION isolate→majority declared ap down={} ms (auto-down-after 3s)",
        client.declared("us", "ap").at() - isolatedAt);

    // ap's users are owned by its successor us now; eu forwards there.
    var later = client.patchProfile("eu", "part-ap-1", "{\"locale\":\"de\"}");
    assertEquals(200, later.statusCode(), later.body());
    assertEquals("us", header(later, "X-Meridian-Owner"));
    assertEquals(2, json(later).get("epoch").asLong());
    assertEquals(200, client.addPoints("us", "part-ap-1", 5).statusCode());
    assertEquals(200, client.addDevice("us", "part-ap-2", "laptop-us").statusCode());
    var usUser = client.patchProfile("eu", "part-us-1", "{\"displayName\":\"Us During\"}");
    assertEquals(200, usUser.statusCode(), usUser.body());
    assertEquals("us", header(usUser, "X-Meridian-Owner"));

    // Meanwhile ap still refuses, and has declared nobody down.
    assertRefused(
        client.patchProfile("ap", "part-ap-2", "{\"email\":\"refused@example.org\"}"),
        "ownership_unconfirmed");
    for (String other : List.of("us", "eu"))
      assertEquals(
          RegionControl.Status.up, client.declared("ap", other).status(), "ap's directory");
  }

  @Test
  @Order(3)
  void afterHealingEveryWriteIsEverywhereAndEachUserHasOneOwner() {
    assertEquals(
        RegionControl.Status.down,
        client.declared("us", "ap").status(),
        "needs ap declared down by the second step");
    long healedAt = System.currentTimeMillis();
    regions.heal("ap");
    // The old ap incarnation was downed and removed: once it hears from the others it stops itself,
    // and until then it never regains quorum (the others quarantined it), so it never acts as
    // owner.
    RegionService oldAp = regions.node("ap").regionService();
    boolean regainedQuorum = false;
    long deadline = healedAt + 30_000;
    while (!client.terminatesWithin("ap", Duration.ofMillis(20))
        && System.currentTimeMillis() < deadline) {
      regainedQuorum |= oldAp.hasOwnershipQuorum();
    }
    boolean stoppedItself = client.terminatesWithin("ap", Duration.ZERO);
    TIMINGS.info(
        "PARTITION heal→ap incarnation stopped itself: {} ({} ms)",
        stoppedItself,
        System.currentTimeMillis() - healedAt);
    assertTrue(stoppedItself, "the downed ap incarnation kept running after the partition healed");
    assertTrue(
        !regainedQuorum, "the downed ap incarnation confirmed ownership again before it stopped");
    regions.restart("ap");
    regions.awaitReady("ap", Duration.ofSeconds(60));
    eventually(
        CONVERGE,
        () -> assertEquals(RegionControl.Status.up, client.declared("us", "ap").status()));
    TIMINGS.info(
        "PARTITION heal→ap declared up again={} ms (return-grace 2s)",
        client.declared("us", "ap").at() - healedAt);

    // ap's users are handed back to ap; every replica has every write, merged by the rules.
    for (String userId : List.of("part-ap-1", "part-ap-2")) {
      for (String region : ThreeRegions.REGIONS) {
        eventually(
            CONVERGE,
            () -> {
              JsonNode user = client.user(region, userId);
              assertEquals("ap", user.get("owner").asText(), region + ": " + user);
              assertEquals(3, user.get("epoch").asLong(), region + ": " + user);
            });
      }
    }
    client.awaitConverged(USERS);
    for (String region : ThreeRegions.REGIONS) {
      JsonNode apUser = client.user(region, "part-ap-1");
      assertEquals(
          "Ap Early",
          apUser.at("/profile/displayName").asText(),
          "ap's early write, made before it noticed the cut: " + apUser);
      assertEquals(
          "de",
          apUser.at("/profile/locale").asText(),
          "us's later write of the same field wins: " + apUser);
      for (String userId : USERS)
        assertEquals(
            userId + "@example.org",
            client.user(region, userId).at("/profile/email").asText(),
            "a refused write left a trace");
      assertEquals(10 + 7 + 5, apUser.get("points").asLong(), "points from both sides: " + apUser);
      assertEquals(
          "[\"laptop-us\",\"tablet-ap\"]",
          client.user(region, "part-ap-2").get("devices").toString());
      JsonNode usUser = client.user(region, "part-us-1");
      assertEquals(10 + 3, usUser.get("points").asLong(), usUser.toString());
      assertEquals("[\"watch-ap\"]", usUser.get("devices").toString());
      assertEquals("Us During", usUser.at("/profile/displayName").asText());
      assertEquals("us", usUser.get("owner").asText());
      assertEquals(1, usUser.get("epoch").asLong());
    }

    // One owner per user: a single-writer write sent to any region is executed by the same region.
    for (String userId : USERS) {
      String expectedOwner = userId.startsWith("part-ap") ? "ap" : "us";
      for (String region : ThreeRegions.REGIONS) {
        // A node whose directory has not yet learned that its own region is up again routes through
        // the successor, which refuses to seize from a region it sees up: a retryable 503 for a
        // moment.
        var write =
            client.untilNot503(
                () -> client.patchProfile(region, userId, "{\"locale\":\"" + region + "\"}"),
                CONVERGE);
        assertEquals(200, write.statusCode(), write.body());
        assertEquals(
            expectedOwner, header(write, "X-Meridian-Owner"), userId + " written via " + region);
        assertEquals(
            expectedOwner.equals("ap") ? 3 : 1, json(write).get("epoch").asLong(), write.body());
      }
    }
    client.awaitConverged(USERS);
  }
}
