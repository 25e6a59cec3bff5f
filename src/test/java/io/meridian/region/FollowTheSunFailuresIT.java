package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ThreeRegions;
import io.meridian.cohort.CohortClock;
import io.meridian.cohort.ManualClock;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Follow the sun when regions fail (issue 17 item 4), on one cluster whose clock only moves
 * forward: the region whose window begins is down (the cohort stays where it is, and goes there
 * when the region is back within its window); a region that returns after its window has passed
 * does not take the cohort back; the old owner dies in the middle of a hand-off (the usual seizure
 * completes it, and no acknowledged write is lost).
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FollowTheSunFailuresIT {
  static final int USERS = 60;
  static final String COHORT = "desk";

  static final String CONFIG =
      FailoverClient.FAST_FAILOVER
          + """
          meridian.cohorts.schedules.desk = "us 00:00-08:00 UTC, eu 08:00-16:00, ap 16:00-24:00"
          meridian.cohorts.tick = 200ms
          # slow, so that a hand-off is still running when its old owner is killed
          meridian.cohorts.hand-off-rate = 15
          meridian.cohorts.hand-off-parallelism = 2
          meridian.cohorts.retry-after = 1s
          """;

  private static ThreeRegions regions;
  private static FailoverClient client;

  /** Far from the real date (see FollowTheSunIT.START). */
  private static final ManualClock clock = new ManualClock(Instant.parse("2030-06-01T07:00:00Z"));

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions = ThreeRegions.start(cassandra, "it_sunfail_", CONFIG);
    client = new FailoverClient(regions);
    for (String region : ThreeRegions.REGIONS) useTestClock(region);
    for (int i = 0; i < USERS; i++) {
      int user = i;
      eventually(
          Duration.ofSeconds(60),
          () -> {
            var created =
                regions.send(
                    "eu",
                    "POST",
                    "/v1/users",
                    "{\"userId\":\"%s\",\"homeRegion\":\"eu\",\"cohort\":\"%s\"}"
                        .formatted(userId(user), COHORT),
                    "Idempotency-Key",
                    "create-" + user);
            assertEquals(201, created.statusCode(), created.body());
          });
    }
    awaitOwners("us", ThreeRegions.REGIONS);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  static String userId(int i) {
    return "fail-" + i;
  }

  private static void useTestClock(String region) {
    CohortClock.get(regions.node(region).system()).set(clock);
  }

  @Test
  @Order(1)
  void theRegionWhoseWindowBeginsIsDownSoTheCohortStaysAndGoesThereWhenItIsBack() {
    regions.kill("eu");
    awaitDeclared("eu", "down");
    clock.set(Instant.parse("2030-06-01T08:00:00Z")); // eu's window
    // Nobody pulls for a region that is down: for several hand-off ticks, every member stays.
    ThreeRegions.sleepMillis(3_000);
    assertEquals(Map.of("us", USERS), owners("us"), "the cohort stayed with its owner");

    regions.restart("eu");
    useTestClock("eu");
    regions.awaitReady("eu", Duration.ofSeconds(120));
    awaitOwners("eu", ThreeRegions.REGIONS);
    for (int i = 0; i < USERS; i += 10) assertEquals("eu", lastScheduledMove(i));
  }

  @Test
  @Order(2)
  void aRegionThatReturnsAfterItsWindowHasPassedDoesNotTakeTheCohortBack() {
    // eu owns the cohort in its window and dies: its failover successor (us) seizes the users;
    // their home stays eu.
    regions.kill("eu");
    awaitDeclared("eu", "down");
    awaitOwners("us", List.of("us", "ap"));
    // The clock jumps past eu's window into us's own: us already owns every member, so nothing
    // moves, and their home is still eu.
    clock.set(Instant.parse("2030-06-02T01:00:00Z"));
    regions.restart("eu");
    useTestClock("eu");
    regions.awaitReady("eu", Duration.ofSeconds(120));
    awaitDeclared("eu", "up");
    // The hand-back after eu's return makes two passes, the second 5 s after the first
    // (Rehoming.SECOND_HAND_BACK_PASS): watch past both. Without the schedule's say, the users
    // whose home is eu went back to eu within a second of the first.
    ThreeRegions.sleepMillis(8_000);
    assertEquals(Map.of("us", USERS), owners("us"), "us's window: the cohort stays with us");
    assertEquals(Map.of("us", USERS), owners("eu"));
    // Not even for a moment: us's own hand-off would pull a handed-back user straight back, so
    // the history is the proof that eu never took it.
    for (int i = 0; i < USERS; i++) {
      JsonNode history =
          ThreeRegions.json(
              regions.send("us", "GET", "/v1/users/" + userId(i) + "/ownership", null));
      for (JsonNode change : history.get("changes"))
        assertTrue(!change.get("reason").asText().equals("handed_back"), "handed back: " + history);
    }
  }

  @Test
  @Order(3)
  void theOldOwnerDiesInTheMiddleOfAHandOffAndTheSeizureCompletesIt() throws Exception {
    // Profile writes throughout, one at a time per user, through ap and eu.
    AtomicBoolean writing = new AtomicBoolean(true);
    Map<String, Long> lastAcknowledged = new java.util.concurrent.ConcurrentHashMap<>();
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (String via : List.of("ap", "eu")) {
      writers.add(
          CompletableFuture.runAsync(
              () -> {
                for (long n = 1; writing.get(); n++) {
                  String user = userId((int) (n % 10) + (via.equals("ap") ? 0 : 10));
                  var response =
                      regions.send(
                          via,
                          "PATCH",
                          "/v1/users/" + user + "/profile",
                          "{\"displayName\":\"v" + n + "\"}");
                  if (response.statusCode() == 200) lastAcknowledged.put(user, n);
                  else
                    assertEquals(
                        503, response.statusCode(), "refused as retryable: " + response.body());
                }
              }));
    }
    clock.set(Instant.parse("2030-06-02T16:00:00Z")); // ap's window: ap pulls from us
    eventually(
        Duration.ofSeconds(60),
        () -> assertTrue(handOff("ap").path("moved").asLong() >= 5, handOff("ap").toString()));
    int movedBeforeTheKill = owners("ap").getOrDefault("ap", 0);
    regions.kill("us");
    awaitOwners("ap", List.of("eu", "ap"));
    writing.set(false);
    CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get();
    assertTrue(movedBeforeTheKill < USERS, "us died in the middle: " + movedBeforeTheKill);

    // us's failover successor (eu) seized what us still owned, and ap took it over from there.
    var seizedThenScheduled = 0;
    for (int i = 0; i < USERS; i++) {
      JsonNode history =
          ThreeRegions.json(
              regions.send("ap", "GET", "/v1/users/" + userId(i) + "/ownership", null));
      JsonNode changes = history.get("changes");
      JsonNode last = changes.get(changes.size() - 1);
      assertEquals("schedule", last.get("reason").asText(), history.toString());
      assertEquals("ap", last.get("to").asText(), history.toString());
      JsonNode before = changes.get(changes.size() - 2);
      if (before.get("reason").asText().equals("seized_after_down")
          && before.get("to").asText().equals("eu")) seizedThenScheduled++;
    }
    assertTrue(seizedThenScheduled > 0, "some members were still us's when it died");
    System.err.printf(
        "moved before us was killed: %d; seized by eu and then moved by the schedule: %d%n",
        movedBeforeTheKill, seizedThenScheduled);
    for (var written : lastAcknowledged.entrySet()) {
      for (String region : List.of("eu", "ap")) {
        eventually(
            Duration.ofSeconds(30),
            () -> {
              long name =
                  Long.parseLong(
                      client
                          .user(region, written.getKey())
                          .get("profile")
                          .get("displayName")
                          .asText()
                          .substring(1));
              assertTrue(
                  name >= written.getValue(),
                  written.getKey()
                      + " at "
                      + region
                      + ": v"
                      + name
                      + " lost v"
                      + written.getValue());
            });
      }
    }
  }

  private static JsonNode handOff(String region) {
    return ThreeRegions.json(
            regions.send(
                region,
                "GET",
                "/v1/admin/cohorts/" + COHORT,
                null,
                "Authorization",
                "Bearer " + FailoverClient.ADMIN_TOKEN))
        .path("handOff");
  }

  /** How many members each region owns, as {@code via} reads them. */
  private static Map<String, Integer> owners(String via) {
    Map<String, Integer> owners = new TreeMap<>();
    for (int i = 0; i < USERS; i++)
      owners.merge(client.user(via, userId(i)).get("owner").asText(), 1, Integer::sum);
    return owners;
  }

  private static void awaitOwners(String owner, List<String> readers) {
    for (String via : readers)
      eventually(Duration.ofSeconds(120), () -> assertEquals(Map.of(owner, USERS), owners(via)));
  }

  private static void awaitDeclared(String region, String status) {
    for (String observer : regions.running())
      eventually(
          Duration.ofSeconds(60),
          () ->
              assertEquals(
                  status, client.declared(observer, region).status().name(), "at " + observer));
  }

  private static String lastScheduledMove(int i) {
    JsonNode history =
        ThreeRegions.json(regions.send("us", "GET", "/v1/users/" + userId(i) + "/ownership", null));
    String to = null;
    for (JsonNode change : history.get("changes"))
      if (change.get("reason").asText().equals("schedule")) to = change.get("to").asText();
    return to;
  }
}
