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
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Follow the sun (issue 17, docs/follow-the-sun.md): a cohort of 1,000 users travels us → eu → ap →
 * us across three boundaries of a controllable clock, under a continuous stream of writes from
 * every region. Every acknowledged write is in the final state in every region, and after each
 * boundary every member is owned by the region whose window it is, with the moves in its ownership
 * history as reason {@code schedule}.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
class FollowTheSunIT {
  static final int USERS = 1_000;
  static final String COHORT = "desk";

  /** Windows of the day (UTC); the test's clock starts in us's window. */
  static final String CONFIG =
      FailoverClient.FAST_FAILOVER
          + """
          meridian.cohorts.schedules.desk = "us 00:00-08:00 UTC, eu 08:00-16:00, ap 16:00-24:00"
          meridian.cohorts.tick = 200ms
          meridian.cohorts.hand-off-rate = 2000
          meridian.cohorts.hand-off-parallelism = 16
          meridian.cohorts.retry-after = 1s
          """;

  /**
   * Far from the real date: until the test sets this clock on a node, its hand-off reads the
   * schedule with the real clock and may mark a real stint done; a stint of the test's own dates is
   * then never the same one (it was, when this said 2026-12-01 and the build ran that morning).
   */
  static final Instant START = Instant.parse("2030-06-01T07:00:00Z");

  private static ThreeRegions regions;
  private static final ManualClock clock = new ManualClock(START);

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions = ThreeRegions.start(cassandra, "it_sun_", CONFIG);
    for (String region : ThreeRegions.REGIONS)
      CohortClock.get(regions.node(region).system()).set(clock);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  static String userId(int i) {
    return "sun-" + i;
  }

  /** What the writers were told: per user, the profile and points writes acknowledged or not. */
  static final class Ledger {
    final AtomicLongArray lastAcknowledgedName = new AtomicLongArray(USERS);
    final AtomicLongArray lastAttemptedName = new AtomicLongArray(USERS);
    final AtomicLongArray acknowledgedPoints = new AtomicLongArray(USERS);
    final AtomicLongArray uncertainPoints = new AtomicLongArray(USERS);
    final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    final AtomicLong acknowledged = new AtomicLong();

    void count(int status) {
      statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
      if (status == 200) acknowledged.incrementAndGet();
    }
  }

  @Test
  void aCohortOfAThousandUsersFollowsThreeBoundariesUnderWritesFromEveryRegion() throws Exception {
    createCohort();
    Ledger ledger = new Ledger();
    AtomicBoolean writing = new AtomicBoolean(true);
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      int writer = r;
      writers.add(CompletableFuture.runAsync(() -> write(writer, ledger, writing)));
    }
    try {
      String[][] boundaries = {
        {"2030-06-01T08:00:00Z", "eu"},
        {"2030-06-01T16:00:00Z", "ap"},
        {"2030-06-02T00:00:00Z", "us"}
      };
      for (String[] boundary : boundaries) {
        long acknowledgedBefore = ledger.acknowledged.get();
        Instant at = Instant.parse(boundary[0]);
        long start = System.nanoTime();
        clock.set(at);
        awaitEveryMemberOwnedBy(boundary[1], at);
        long tookMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
        System.err.printf(
            "boundary %s -> %s: every member owned there after %d ms; writes acknowledged meanwhile"
                + " %d; statuses so far %s%n",
            at,
            boundary[1],
            tookMs,
            ledger.acknowledged.get() - acknowledgedBefore,
            ledger.statuses);
        assertTrue(
            ledger.acknowledged.get() > acknowledgedBefore,
            "writes went on through the hand-off to " + boundary[1]);
      }
    } finally {
      writing.set(false);
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get();
    }
    for (var status : ledger.statuses.keySet())
      assertTrue(
          status == 200 || status == 503,
          "writes are acknowledged or refused as retryable, never anything else: "
              + ledger.statuses);
    awaitFinalStateHoldsEveryAcknowledgedWrite(ledger);
    everySampledHistoryFollowsTheSchedule();
  }

  /** Creates the cohort's users through all three regions, 32 at a time. */
  private static void createCohort() throws Exception {
    Semaphore inFlight = new Semaphore(32);
    List<CompletableFuture<Void>> creates = new ArrayList<>();
    for (int i = 0; i < USERS; i++) {
      String home = ThreeRegions.REGIONS.get(i % 3);
      String via = ThreeRegions.REGIONS.get((i + 1) % 3);
      String body =
          "{\"userId\":\"%s\",\"homeRegion\":\"%s\",\"cohort\":\"%s\"}"
              .formatted(userId(i), home, COHORT);
      inFlight.acquire();
      creates.add(
          CompletableFuture.runAsync(
                  () -> {
                    // A retry with the same key is the same create (a 503 while the cluster warms).
                    String key = "create-" + body.hashCode();
                    eventually(
                        Duration.ofSeconds(60),
                        () -> {
                          var created =
                              regions.send(via, "POST", "/v1/users", body, "Idempotency-Key", key);
                          assertEquals(201, created.statusCode(), created.body());
                          assertEquals(
                              "us",
                              ThreeRegions.json(created).get("owner").asText(),
                              "joined in us's window: moved there in the creating write");
                        });
                  })
              .whenComplete((ignored, failure) -> inFlight.release()));
    }
    CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).get();
  }

  /**
   * Writer {@code r} sends through region r: profile writes, one at a time per user, to the users i
   * with i % 3 == r (so each user's names are ordered), and keyed points writes to any user.
   */
  private static void write(int r, Ledger ledger, AtomicBoolean writing) {
    String region = ThreeRegions.REGIONS.get(r);
    var random = new SplittableRandom(r);
    long n = 0;
    while (writing.get()) {
      n++;
      int profileUser = 3 * random.nextInt(USERS / 3) + r;
      ledger.lastAttemptedName.accumulateAndGet(profileUser, n, Math::max);
      int status =
          status(
              regions.send(
                  region,
                  "PATCH",
                  "/v1/users/" + userId(profileUser) + "/profile",
                  "{\"displayName\":\"v" + n + "\"}"));
      ledger.count(status);
      if (status == 200) ledger.lastAcknowledgedName.accumulateAndGet(profileUser, n, Math::max);
      int pointsUser = random.nextInt(USERS);
      status =
          status(
              regions.send(
                  region,
                  "POST",
                  "/v1/users/" + userId(pointsUser) + "/points",
                  "{\"delta\":1}",
                  "Idempotency-Key",
                  "points-" + r + "-" + n));
      ledger.count(status);
      if (status == 200) ledger.acknowledgedPoints.incrementAndGet(pointsUser);
      else ledger.uncertainPoints.incrementAndGet(pointsUser);
    }
  }

  private static int status(HttpResponse<String> response) {
    return response.statusCode();
  }

  private static void awaitEveryMemberOwnedBy(String region, Instant boundary) {
    eventually(
        Duration.ofSeconds(180),
        () -> {
          JsonNode cohort =
              ThreeRegions.json(
                  regions.send(
                      region,
                      "GET",
                      "/v1/admin/cohorts/" + COHORT,
                      null,
                      "Authorization",
                      "Bearer " + FailoverClient.ADMIN_TOKEN));
          assertEquals(region, cohort.get("scheduledOwner").asText(), cohort.toString());
          JsonNode handOff = cohort.get("handOff");
          assertTrue(handOff != null && !handOff.isNull(), cohort.toString());
          assertEquals(
              boundary.toEpochMilli(), handOff.get("boundary").asLong(), handOff.toString());
          assertEquals("done", handOff.get("state").asText(), handOff.toString());
          assertEquals(USERS, handOff.get("members").asLong(), handOff.toString());
        });
    // The region's own reads agree: every member is owned there.
    List<String> elsewhere = new ArrayList<>();
    for (int i = 0; i < USERS; i++) {
      JsonNode user =
          ThreeRegions.json(regions.send(region, "GET", "/v1/users/" + userId(i), null));
      if (!region.equals(user.get("owner").asText()))
        elsewhere.add(userId(i) + "@" + user.get("owner"));
    }
    assertEquals(List.of(), elsewhere, "members not owned by " + region);
  }

  private static void awaitFinalStateHoldsEveryAcknowledgedWrite(Ledger ledger) {
    for (int i = 0; i < USERS; i++) {
      int user = i;
      eventually(
          Duration.ofSeconds(60),
          () -> {
            Map<String, String> documents = new TreeMap<>();
            for (String region : ThreeRegions.REGIONS) {
              JsonNode document =
                  ThreeRegions.json(regions.send(region, "GET", "/v1/users/" + userId(user), null));
              long points = document.get("points").asLong();
              long acknowledged = ledger.acknowledgedPoints.get(user);
              assertTrue(
                  points >= acknowledged
                      && points <= acknowledged + ledger.uncertainPoints.get(user),
                  userId(user)
                      + " at "
                      + region
                      + ": points "
                      + points
                      + ", acknowledged "
                      + acknowledged);
              long lastAcknowledged = ledger.lastAcknowledgedName.get(user);
              if (lastAcknowledged > 0) {
                long name =
                    Long.parseLong(
                        document.get("profile").get("displayName").asText().substring(1));
                assertTrue(
                    name >= lastAcknowledged && name <= ledger.lastAttemptedName.get(user),
                    userId(user)
                        + " at "
                        + region
                        + ": displayName v"
                        + name
                        + ", last acknowledged v"
                        + lastAcknowledged);
              }
              assertEquals(COHORT, document.get("cohort").asText());
              documents.put(region, document.toString());
            }
            assertEquals(1, Set(documents.values()).size(), "replicas agree: " + documents);
          });
    }
  }

  private static java.util.Set<String> Set(java.util.Collection<String> values) {
    return java.util.Set.copyOf(values);
  }

  /** Every 20th user: its scheduled moves are us (joining), eu, ap, us, in that order. */
  private static void everySampledHistoryFollowsTheSchedule() {
    for (int i = 0; i < USERS; i += 20) {
      JsonNode history =
          ThreeRegions.json(
              regions.send("eu", "GET", "/v1/users/" + userId(i) + "/ownership", null));
      List<String> scheduled = new ArrayList<>();
      for (JsonNode change : history.get("changes"))
        if (change.get("reason").asText().equals("schedule"))
          scheduled.add(change.get("to").asText());
      List<String> expected =
          ThreeRegions.REGIONS.get(i % 3).equals("us")
              ? List.of("eu", "ap", "us")
              : List.of("us", "eu", "ap", "us");
      assertEquals(expected, scheduled, userId(i) + ": " + history);
    }
  }
}
