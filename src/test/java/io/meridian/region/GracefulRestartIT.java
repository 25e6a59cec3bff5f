package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static io.meridian.region.FailoverClient.CONVERGE;
import static io.meridian.region.FailoverClient.TIMINGS;
import static io.meridian.region.FailoverClient.header;
import static io.meridian.region.FailoverClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.Node;
import io.meridian.cluster.ReadinessCheck;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Graceful shutdown (issue 15 item 5): a node told to stop turns unready first, keeps serving for
 * {@code meridian.http.shutdown.unready-delay}, answers what is in flight, and only then closes its
 * port and leaves the cluster; a region restarted that way under load costs clients that retry on
 * another region no failed request, and no acknowledged payment is lost or applied twice.
 *
 * <p>The stop is what SIGTERM runs (coordinated shutdown from its first phase); the restart is a
 * new incarnation on the same ports. eu has one node here, so its restart is a region's restart:
 * its users are seized by us while it is away and handed back when it returns.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GracefulRestartIT {
  private static final Duration UNREADY_DELAY = Duration.ofSeconds(4);
  private static final List<String> USERS =
      List.of("gr-us-1", "gr-us-2", "gr-eu-1", "gr-eu-2", "gr-ap-1", "gr-ap-2");

  private static ThreeRegions regions;
  private static FailoverClient client;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions =
        ThreeRegions.start(
            cassandra,
            "it_graceful_",
            FailoverClient.FAST_FAILOVER
                + "meridian.http.shutdown.unready-delay = "
                + UNREADY_DELAY.toMillis()
                + "ms\nmeridian.http.shutdown.drain-deadline = 5s\n");
    client = new FailoverClient(regions);
    for (String userId : USERS) client.createUser(userId, userId.split("-")[1]);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  @Test
  @Order(1)
  void stoppingNodeTurnsUnreadyFirstAnswersWhatIsInFlightThenClosesAndLeaves() throws Exception {
    Node eu = regions.node("eu");
    assertTrue(ready(eu), "eu is ready before it is stopped");
    long applied = client.user("eu", "gr-us-1").at("/version/us").asLong();
    // A read in flight at eu across the shutdown: it waits for the next event of us.
    CompletableFuture<HttpResponse<String>> inFlight =
        client.sendAsync("eu", "GET", "/v1/users/gr-us-1?waitForVersion=us:" + (applied + 1), null);

    long stopAt = System.nanoTime();
    CoordinatedShutdown.get(eu.system()).run(CoordinatedShutdown.jvmExitReason());
    eventually(Duration.ofSeconds(2), () -> assertFalse(ready(eu), "readiness turned false"));
    // Not ready, yet still serving: new requests are answered until the port closes.
    var whileUnready = regions.send("eu", "GET", "/v1/regions", null);
    assertEquals(200, whileUnready.statusCode(), whileUnready.body());
    assertTrue(
        System.nanoTime() - stopAt < UNREADY_DELAY.toNanos(), "checked within the unready delay");

    var written = client.patchProfile("us", "gr-us-1", "{\"displayName\":\"during-shutdown\"}");
    assertEquals(200, written.statusCode(), written.body());
    var answered = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(200, answered.statusCode(), "the request in flight: " + answered.body());
    assertEquals("eu", header(answered, "X-Meridian-Served-By"));
    assertEquals("during-shutdown", json(answered).at("/profile/displayName").asText());

    eventually(
        Duration.ofSeconds(30),
        () ->
            assertThrows(
                ConnectException.class,
                () ->
                    regions
                        .client()
                        .send(
                            regions.request("eu", "GET", "/v1/regions", null),
                            HttpResponse.BodyHandlers.ofString())));
    long closedAfter = System.nanoTime() - stopAt;
    assertTrue(
        closedAfter >= UNREADY_DELAY.toNanos(),
        "the port closed " + closedAfter / 1_000_000 + " ms after the stop, before the delay");
    assertTrue(
        client.terminatesWithin("eu", Duration.ofSeconds(60)), "eu's node stopped by itself");
    // It left: us sees no member of eu at all (a crashed node would stay, unreachable).
    eventually(
        CONVERGE,
        () ->
            assertFalse(
                StreamSupport.stream(
                        Cluster.get(regions.node("us").system()).state().getMembers().spliterator(),
                        false)
                    .anyMatch(m -> m.dataCenter().equals("eu")),
                "eu's node left the cluster"));
    TIMINGS.info(
        "GRACEFUL STOP port closed {} ms after the stop (unready-delay {} ms)",
        closedAfter / 1_000_000,
        UNREADY_DELAY.toMillis());

    regions.restart("eu");
    regions.awaitReady("eu", Duration.ofSeconds(120));
    eventually(
        CONVERGE,
        () -> assertEquals(RegionControl.Status.up, client.declared("us", "eu").status()));
  }

  @Test
  @Order(2)
  void regionRestartedUnderLoadFailsNoRequestOfClientsThatRetryElsewhere() throws Exception {
    Map<String, AtomicLong> credited = new ConcurrentHashMap<>();
    USERS.forEach(u -> credited.put(u, new AtomicLong()));
    RetryingLoad.Mix mix =
        (worker, sequence) -> {
          String userId = USERS.get((int) ((worker * 7 + sequence) % USERS.size()));
          return switch ((int) (sequence % 3)) {
            case 0 -> new RetryingLoad.Operation("GET", "/v1/users/" + userId, null, r -> {});
            case 1 ->
                new RetryingLoad.Operation(
                    "PATCH",
                    "/v1/users/" + userId + "/profile",
                    "{\"displayName\":\"w" + worker + "-" + sequence + "\"}",
                    r -> {});
            default ->
                new RetryingLoad.Operation(
                    "POST",
                    "/v1/users/" + userId + "/payments",
                    "{\"paymentId\":\"gr-"
                        + worker
                        + "-"
                        + sequence
                        + "\",\"kind\":\"credit\",\"amount\":\"1.00\"}",
                    r -> credited.get(userId).incrementAndGet());
          };
        };

    long stoppedFor;
    RetryingLoad load = RetryingLoad.start(regions, 4, Duration.ofSeconds(40), mix);
    try {
      load.awaitMoreSucceeded(30, Duration.ofSeconds(60));
      long stopAt = System.nanoTime();
      Node eu = regions.node("eu");
      CoordinatedShutdown.get(eu.system()).run(CoordinatedShutdown.jvmExitReason());
      assertTrue(
          client.terminatesWithin("eu", Duration.ofSeconds(90)), "eu's node stopped by itself");
      regions.restart("eu");
      regions.awaitReady("eu", Duration.ofSeconds(120));
      eventually(
          CONVERGE,
          () -> assertEquals(RegionControl.Status.up, client.declared("us", "eu").status()));
      stoppedFor = System.nanoTime() - stopAt;
      // Back, declared up, and taking its users back: the load goes on across the hand-back.
      load.awaitMoreSucceeded(60, Duration.ofSeconds(90));
    } finally {
      load.close();
    }

    TIMINGS.info(
        "GRACEFUL RESTART of eu under load: {} operations succeeded, {} needed another attempt,"
            + " {} failed; eu away for {} ms; attempts {}",
        load.succeeded(),
        load.retried(),
        load.failures().size(),
        stoppedFor / 1_000_000,
        load.attempts());
    assertEquals(List.of(), load.failures(), "failed operations");
    assertTrue(load.retried() > 0, "the load met the restart: " + load.attempts());
    assertTrue(
        load.attempts().keySet().stream().anyMatch(k -> k.startsWith("eu 2")),
        "eu answered part of the load: " + load.attempts());

    // Every acknowledged credit is in every region's wallet, once.
    for (String userId : USERS) {
      BigDecimal expected = BigDecimal.valueOf(credited.get(userId).get());
      for (String region : ThreeRegions.REGIONS) {
        eventually(
            CONVERGE,
            () -> {
              var user = client.user(region, userId);
              assertEquals(
                  0,
                  expected.compareTo(new BigDecimal(user.at("/wallet/balance").asText())),
                  region + " " + userId + ": " + user);
            });
      }
    }
    client.awaitConverged(USERS);
  }

  private static boolean ready(Node node) {
    try {
      return new ReadinessCheck(Adapter.toClassic(node.system()))
          .get()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("readiness check failed", e);
    }
  }
}
