package io.meridian.region;

import static io.meridian.cluster.Eventually.eventually;
import static io.meridian.region.FailoverClient.CONVERGE;
import static io.meridian.region.FailoverClient.TIMINGS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.cassandra.CassandraExtension;
import io.meridian.client.Answer;
import io.meridian.client.ApiRequest;
import io.meridian.client.CallResult;
import io.meridian.client.ClientListener;
import io.meridian.client.MeridianClient;
import io.meridian.client.Requests;
import io.meridian.client.UserDocument;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Java client ({@link MeridianClient}) against regions that die and are cut off: a caller
 * reaches its users' data through a region kill and a partition with every call succeeding within
 * its deadline, and a points write retried with its Idempotency-Key after the region that applied
 * it died is applied once.
 *
 * <p>One scenario in steps that share the cluster, in order: the kill of eu (and its return, so
 * that a majority is left for the partition), then the partition of ap.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientFailoverIT {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private static ThreeRegions regions;
  private static FailoverClient raw;
  private static final AtomicInteger retries = new AtomicInteger();

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions = ThreeRegions.start(cassandra, "it_client_", FailoverClient.FAST_FAILOVER);
    raw = new FailoverClient(regions);
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  /** A caller running in {@code home}, knowing every region's endpoint. */
  private static MeridianClient callerIn(String home) {
    var builder =
        MeridianClient.builder()
            .homeRegion(home)
            .token(ThreeRegions.API_TOKEN)
            .deadline(DEADLINE)
            .attemptTimeout(Duration.ofSeconds(8))
            .listener(
                new ClientListener() {
                  @Override
                  public void retrying(
                      ApiRequest request, Answer previous, String nextRegion, long waitMillis) {
                    retries.incrementAndGet();
                  }
                });
    for (String region : ThreeRegions.REGIONS) builder.region(region, regions.uri(region, ""));
    return builder.build();
  }

  /** Runs a call of the client, which must succeed within its deadline; logs how long it took. */
  private static <T> T withinDeadline(String what, Supplier<T> call) {
    long start = System.nanoTime();
    T value = call.get(); // a MeridianException here is the failure this test is about
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    TIMINGS.info("CLIENT {} took {} ms", what, tookMillis);
    assertTrue(tookMillis <= DEADLINE.toMillis() + 2_000, what + " took " + tookMillis + " ms");
    return value;
  }

  @Test
  @Order(1)
  void aKeyedPointsWriteRetriedAfterItsRegionDiedIsAppliedOnceAndTheClientReachesTheUser() {
    MeridianClient inEu = callerIn("eu");
    inEu.createUser("cf-eu-1", "eu");
    for (String region : regions.running())
      eventually(CONVERGE, () -> assertEquals(200, raw.read(region, "cf-eu-1").statusCode()));

    // The first attempt reaches eu and is applied there; its caller never learns it (say the
    // answer was lost) and retries, with the same key, after eu died.
    var first =
        regions.send(
            "eu",
            "POST",
            "/v1/users/cf-eu-1/points",
            "{\"delta\":7}",
            "Idempotency-Key",
            "cf-points-1");
    assertEquals(200, first.statusCode(), first.body());
    for (String region : regions.running())
      eventually(
          CONVERGE, () -> assertEquals(7, raw.user(region, "cf-eu-1").get("points").asLong()));

    regions.kill("eu");
    CallResult retried =
        withinDeadline(
            "retry of a keyed points write after its region died",
            () -> inEu.send(Requests.adjustPoints("cf-eu-1", 7, "cf-points-1")));
    assertTrue(retried.isSuccess(), retried.toString());
    assertTrue(retried.attempts().size() >= 2, "eu refused the first attempt: " + retried);
    for (String region : regions.running())
      eventually(
          CONVERGE,
          () ->
              assertEquals(
                  7,
                  raw.user(region, "cf-eu-1").get("points").asLong(),
                  "applied once in " + region));

    // Through the kill: a read of the dead home region, a single-writer write whose owner is dead
    // (answered once eu is declared down and its successor took the user over), and a new keyed
    // points write.
    UserDocument read =
        withinDeadline("read with its home region dead", () -> inEu.user("cf-eu-1"));
    assertEquals(7, read.points());
    UserDocument written =
        withinDeadline(
            "profile write with its owner region dead",
            () -> inEu.updateProfile("cf-eu-1", Map.of("displayName", "after-kill")));
    assertEquals("after-kill", written.profile().get("displayName"));
    UserDocument points =
        withinDeadline("points write with its home dead", () -> inEu.adjustPoints("cf-eu-1", 1));
    assertEquals(8, points.points());
    assertTrue(retries.get() > 0, "the client retried");

    // eu returns (a majority for the next step), and is declared up again.
    regions.restart("eu");
    regions.awaitReady("eu", Duration.ofSeconds(60));
    eventually(
        CONVERGE, () -> assertEquals(RegionControl.Status.up, raw.declared("us", "eu").status()));
  }

  @Test
  @Order(2)
  void aCallerInACutOffRegionReachesItsUserThroughThePartition() {
    MeridianClient inAp = callerIn("ap");
    inAp.createUser("cf-ap-1", "ap");
    inAp.updateProfile("cf-ap-1", Map.of("displayName", "before"));
    for (String region : regions.running())
      eventually(CONVERGE, () -> assertEquals(200, raw.read(region, "cf-ap-1").statusCode()));

    regions.isolate("ap");
    long isolatedAt = System.currentTimeMillis();
    UserDocument read = withinDeadline("read in a cut-off region", () -> inAp.user("cf-ap-1"));
    assertEquals("cf-ap-1", read.userId());
    UserDocument points =
        withinDeadline("points write in a cut-off region", () -> inAp.adjustPoints("cf-ap-1", 2));
    assertTrue(points.points() >= 2);
    // Once ap knows it is cut off it refuses single-writer writes (ownership_unconfirmed): the
    // client sends the write to another region, which answers it once the majority has declared
    // ap down and taken the user over (until then: region_unavailable, retried).
    eventually(
        CONVERGE,
        () ->
            assertEquals(
                503, raw.patchProfile("ap", "cf-ap-1", "{\"locale\":\"en-GB\"}").statusCode()));
    CallResult written =
        withinDeadline(
            "profile write of a user owned by a cut-off region",
            () ->
                inAp.send(
                    Requests.updateProfile(
                        "cf-ap-1",
                        Map.of("displayName", "during-partition"),
                        inAp.newIdempotencyKey())));
    assertTrue(written.isSuccess(), written.toString());
    assertTrue(written.attempts().size() >= 2, "ap refused the first attempt: " + written);
    String owner = written.last().owner();
    assertTrue(owner != null && !owner.equals("ap"), "taken over from ap: " + written);
    TIMINGS.info(
        "CLIENT partition of ap -> profile written after {} ms, by owner {}, {} attempts",
        System.currentTimeMillis() - isolatedAt,
        owner,
        written.attempts().size());
    UserDocument fromOwner =
        withinDeadline("owner read during the partition", () -> inAp.userFromOwner("cf-ap-1"));
    assertEquals("during-partition", fromOwner.profile().get("displayName"));
  }
}
