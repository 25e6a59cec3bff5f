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
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An operator declares ap down with the admin endpoint (docs/design.md, Regions): us, ap's
 * successor, seizes ap's users in the background (reads show the new owner without any write), ap's
 * members are downed; ap comes back and stays down until the operator declares it up, which hands
 * its users back.
 *
 * <p>This class runs with auto-hand-back off. The journals are the only replication path, so ap's
 * returning replicas recover their old claims (owner ap, epoch 1) from ap's own journal: the case
 * in which a returning region must not act on them.
 *
 * <p>One scenario in steps that share the cluster, in order.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminDownIT {
  private static final List<String> AP_USERS = List.of("adm-1", "adm-2", "adm-3", "adm-4", "adm-5");
  private static final Duration SWEEP_BOUND = Duration.ofSeconds(10);

  private static ThreeRegions regions;
  private static FailoverClient client;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions =
        ThreeRegions.start(
            cassandra,
            "it_admin_",
            FailoverClient.FAST_FAILOVER
                + """
        meridian.failover.auto-hand-back = off
        """);
    client = new FailoverClient(regions);
    for (String userId : AP_USERS) {
      client.createUser(userId, "ap");
      assertEquals(
          200,
          client
              .patchProfile("ap", userId, "{\"email\":\"" + userId + "@example.org\"}")
              .statusCode());
    }
    client.awaitConverged(AP_USERS);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  @Test
  @Order(1)
  void adminEndpointNeedsTheAdminToken() {
    var noToken = regions.sendWithoutCredential("us", "POST", "/v1/admin/regions/ap/down", null);
    assertEquals(401, noToken.statusCode(), noToken.body());
    var wrongToken =
        regions.send(
            "us",
            "POST",
            "/v1/admin/regions/ap/down",
            null,
            "Authorization",
            "Bearer not-the-token");
    assertEquals(401, wrongToken.statusCode(), wrongToken.body());
    var withoutAdminScope = regions.send("us", "POST", "/v1/admin/regions/ap/down", null);
    assertEquals(403, withoutAdminScope.statusCode(), withoutAdminScope.body());
    assertEquals(RegionControl.Status.up, client.declared("us", "ap").status());
    assertEquals("ap", client.user("us", "adm-1").get("owner").asText());
  }

  @Test
  @Order(2)
  void declaredDownRegionsUsersAreOwnedByTheSuccessorWithoutAnyWrite() {
    var declared = client.admin("eu", "ap", "down");
    assertEquals(200, declared.statusCode(), declared.body());
    assertEquals("down", json(declared).get("status").asText(), declared.body());
    long downAt = client.declared("eu", "ap").at();

    // Only reads from here on: the eager sweep in us seizes every ap user by itself.
    Set<String> seized = new HashSet<>();
    long firstSeizedAt = 0;
    long deadline = System.currentTimeMillis() + SWEEP_BOUND.toMillis() + 10_000;
    while (seized.size() < AP_USERS.size() && System.currentTimeMillis() < deadline) {
      for (String userId : AP_USERS) {
        if (!seized.contains(userId)
            && "us".equals(client.user("us", userId).get("owner").asText())) {
          seized.add(userId);
          if (firstSeizedAt == 0) firstSeizedAt = System.currentTimeMillis();
        }
      }
      FailoverClient.pause(50);
    }
    long allSeizedAt = System.currentTimeMillis();
    assertEquals(Set.copyOf(AP_USERS), seized, "not seized by the sweep");
    TIMINGS.info(
        "SWEEP declared-down→first user owned by us={} ms, →all {} users={} ms (reads only, no writes)",
        firstSeizedAt - downAt,
        AP_USERS.size(),
        allSeizedAt - downAt);
    assertTrue(
        allSeizedAt - downAt <= SWEEP_BOUND.toMillis(),
        "sweep took " + (allSeizedAt - downAt) + " ms");

    for (String userId : AP_USERS) {
      JsonNode user = client.user("us", userId);
      assertEquals(2, user.get("epoch").asLong(), user.toString());
      assertEquals("ap", user.get("homeRegion").asText(), user.toString());
      assertEquals(userId + "@example.org", user.at("/profile/email").asText(), user.toString());
      eventually(
          CONVERGE, () -> assertEquals("us", client.user("eu", userId).get("owner").asText()));
    }
    // Declaring ap down downed its members: the ap incarnation learns it and stops.
    assertTrue(
        client.terminatesWithin("ap", Duration.ofSeconds(30)),
        "ap kept running after it was declared down");
  }

  @Test
  @Order(3)
  void returningRegionStaysDownUntilDeclaredUpAndDoesNotActAsOwnerMeanwhile() {
    assertEquals(
        RegionControl.Status.down,
        client.declared("us", "ap").status(),
        "needs ap declared down by the previous step");
    regions.restart("ap");
    regions.awaitReady("ap", Duration.ofSeconds(60));
    assertEquals(
        RegionControl.Status.down, client.declared("ap", "ap").status(), "ap's own directory");

    // ap's replica of adm-1 starts now and recovers owner ap, epoch 1 from ap's journal; the write
    // is still executed by us, the owner.
    var write = client.patchProfile("ap", "adm-1", "{\"displayName\":\"while-ap-down\"}");
    assertEquals(200, write.statusCode(), write.body());
    assertEquals("us", header(write, "X-Meridian-Owner"), write.body());
    assertEquals(2, json(write).get("epoch").asLong(), write.body());
    // No new user can get a home region that is down.
    var create =
        regions.send("ap", "POST", "/v1/users", "{\"userId\":\"adm-new\",\"homeRegion\":\"ap\"}");
    assertEquals(503, create.statusCode(), create.body());
    assertEquals("region_unavailable", json(create).get("error").asText());
    // Without auto-hand-back ap stays down while it is back.
    FailoverClient.pause(3_000); // longer than return-grace: nothing may declare ap up by itself
    assertEquals(RegionControl.Status.down, client.declared("us", "ap").status());
  }

  @Test
  @Order(4)
  void declaringItUpAgainHandsItsUsersBack() {
    // While ap is down, us moves one of its users to eu: ap's journal still says ap owns it.
    var moved = regions.send("us", "POST", "/v1/users/adm-5/move", "{\"toRegion\":\"eu\"}");
    assertEquals(200, moved.statusCode(), moved.body());

    var declared = client.admin("us", "ap", "up");
    assertEquals(200, declared.statusCode(), declared.body());
    long upAt = client.declared("us", "ap").at();
    eventually(
        CONVERGE,
        () -> assertEquals(RegionControl.Status.up, client.declared("ap", "ap").status()));

    // ap is up; its replica of adm-5 starts with this write and recovers the old claim (ap, epoch
    // 1). It must not execute: eu owns adm-5 since the move (epoch 3).
    var movedAway = client.patchProfile("ap", "adm-5", "{\"locale\":\"es\"}");
    assertEquals(200, movedAway.statusCode(), movedAway.body());
    assertEquals("eu", header(movedAway, "X-Meridian-Owner"), movedAway.body());
    assertEquals(3, json(movedAway).get("epoch").asLong(), movedAway.body());

    List<String> handedBack = AP_USERS.subList(0, 4);
    for (String userId : handedBack) {
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
    TIMINGS.info(
        "HAND-BACK operator declared ap up→{} users owned by ap in every region={} ms",
        handedBack.size(),
        System.currentTimeMillis() - upAt);

    var inAp = client.patchProfile("ap", "adm-1", "{\"locale\":\"pt\"}");
    assertEquals(200, inAp.statusCode(), inAp.body());
    assertEquals("ap", header(inAp, "X-Meridian-Owner"));
    assertEquals(
        "while-ap-down",
        json(inAp).at("/profile/displayName").asText(),
        "what us wrote while ap was down");
    client.awaitConverged(AP_USERS);
  }
}
