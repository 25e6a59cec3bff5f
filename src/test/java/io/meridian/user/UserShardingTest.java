package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.meridian.metrics.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ReplicatedSharding;
import org.apache.pekko.cluster.sharding.typed.ReplicatedShardingExtension;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.ReplicationId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The user replicas as a node runs them, under replicated sharding with the node's own sharding
 * configuration (conf/cluster.conf): one-node clusters in region us (eu and ap are data centers
 * without nodes here), on the persistence test kit. One node as configured; one with the
 * active-entity limit and the number of shards lowered, so that the limit shows with a few users.
 */
@ExtendWith(LogCapturingExtension.class)
class UserShardingTest {

  private static final int LIMIT = 10;

  /** A one-node cluster in region us with user sharding started, and {@code config} on top. */
  private record Node(ActorTestKit testKit, ReplicatedSharding<User.Command> sharding) {
    static Node start(String name, String config) {
      var testKit =
          ActorTestKit.create(
              name,
              ConfigFactory.parseString(
                      """
                      pekko.actor.provider = cluster
                      pekko.remote.artery.canonical.hostname = "127.0.0.1"
                      pekko.remote.artery.canonical.port = 0
                      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                      pekko.cluster.multi-data-center.self-data-center = us
                      """
                          + config)
                  .withFallback(UserTestSupport.config()));
      Cluster cluster = Cluster.get(testKit.system());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      return new Node(
          testKit,
          ReplicatedShardingExtension.get(testKit.system())
              .init(User.provider(UserTestSupport.settings())));
    }

    User.Reply askUs(
        String userId,
        java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<User.Reply>, User.Command>
            command)
        throws Exception {
      return sharding
          .getEntityRefsFor(userId)
          .get(new ReplicaId("us"))
          .<User.Reply>ask(command::apply, Duration.ofSeconds(10))
          .toCompletableFuture()
          .get(15, TimeUnit.SECONDS);
    }

    /** The users whose replicas are live on this node now. */
    Set<String> liveReplicas() {
      TestProbe<ShardRegion.CurrentShardRegionState> probe = testKit.createTestProbe();
      ClusterSharding.get(testKit.system())
          .shardState()
          .tell(new GetShardRegionState(US_REPLICAS, probe.ref()));
      Set<String> ids = new HashSet<>();
      for (ShardRegion.ShardState shard : probe.receiveMessage(Duration.ofSeconds(10)).getShards())
        for (String entityId : shard.getEntityIds())
          ids.add(ReplicationId.fromString(entityId).entityId()); // User|<userId>|us
      return ids;
    }
  }

  private static final EntityTypeKey<User.Command> US_REPLICAS =
      EntityTypeKey.create(User.Command.class, User.ENTITY_TYPE + "|us");

  private static final Node asConfigured = Node.start("UserShardingTest", "");
  private static final Node limited =
      Node.start(
          "UserShardingTestLimited",
          """
          pekko.cluster.sharding.number-of-shards = 5
          pekko.cluster.sharding.passivation.default-strategy.active-entity-limit = %d
          """
              .formatted(LIMIT));

  @AfterAll
  static void shutdown() {
    asConfigured.testKit().shutdownTestKit();
    limited.testKit().shutdownTestKit();
  }

  @Test
  void theNodeKeepsAtMostActiveEntityLimitReplicasLiveHoweverManyUsersAreTouched()
      throws Exception {
    List<String> users = new ArrayList<>();
    for (int i = 0; i < 4 * LIMIT; i++) {
      String userId = UserTestSupport.newUserId("limit");
      users.add(userId);
      assertInstanceOf(
          User.Accepted.class, limited.askUs(userId, replyTo -> new User.Create("us", replyTo)));
    }

    limited
        .testKit()
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(10),
            () -> {
              var live = limited.liveReplicas();
              assertTrue(live.size() <= LIMIT, () -> live.size() + " live: " + live);
              assertTrue(users.containsAll(live) && !live.isEmpty(), () -> "live: " + live);
              return null;
            });
    // A passivated user is only asleep: asked again, its replica recovers it from the journal.
    var first = assertInstanceOf(User.Accepted.class, limited.askUs(users.get(0), User.Get::new));
    assertEquals("us", first.user().owner());
  }

  @Test
  void aReplicaOfAnUnknownIdIsGoneOnceItHasAnswered() throws Exception {
    List<String> unknown = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String userId = UserTestSupport.newUserId("nobody");
      unknown.add(userId);
      var reply = assertInstanceOf(User.Rejected.class, asConfigured.askUs(userId, User.Get::new));
      assertEquals(User.Reason.UNKNOWN_USER, reply.reason());
    }
    String created = UserTestSupport.newUserId("somebody");
    asConfigured.askUs(created, replyTo -> new User.Create("us", replyTo));

    asConfigured
        .testKit()
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(10),
            () -> {
              var live = asConfigured.liveReplicas();
              for (String userId : unknown)
                assertFalse(live.contains(userId), () -> userId + " still live: " + live);
              return null;
            });
    assertTrue(asConfigured.liveReplicas().contains(created), "a user that exists stays live");
  }

  /** A node that sees every region and records which ones the gateway considered sending to. */
  private static final class RecordingAvailability implements RegionAvailability {
    final Set<String> asked = ConcurrentHashMap.newKeySet();

    @Override
    public boolean isAvailable(String region) {
      asked.add(region);
      return true;
    }

    @Override
    public Optional<String> takeoverFor(String owner) {
      asked.add(owner);
      return Optional.empty();
    }
  }

  @Test
  void anUnknownIdIsAnsweredByThisRegionAloneForEveryKindOfRequest() throws Exception {
    var availability = new RecordingAvailability();
    var gateway =
        new UserGateway(
            asConfigured.sharding(),
            UserTestSupport.REGIONS,
            "us",
            Duration.ofSeconds(3),
            availability,
            Metrics.get(asConfigured.testKit().system()));
    String userId = UserTestSupport.newUserId("ghost");
    List<java.util.concurrent.CompletionStage<UserGateway.Outcome>> requests =
        List.of(
            gateway.readLocal(userId),
            gateway.readFromOwner(userId),
            gateway.anyReplica(userId, "points", replyTo -> new User.AdjustPoints(1, replyTo)),
            gateway.toOwner(
                userId,
                "profile",
                replyTo -> new User.UpdateProfile(java.util.Map.of("displayName", "A"), replyTo)),
            gateway.moveHome(userId, "eu"));
    for (var request : requests) {
      // eu and ap have no nodes here: an ask sent there would wait for its 3 s timeout.
      var outcome = request.toCompletableFuture().get(2, TimeUnit.SECONDS);
      assertEquals(User.Reason.UNKNOWN_USER, ((User.Rejected) outcome.reply()).reason());
      assertEquals("us", outcome.answeredBy());
      assertFalse(outcome.forwarded());
    }
    assertEquals(Set.of("us"), availability.asked, "no other region was considered");
  }
}
