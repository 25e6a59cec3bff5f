package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.meridian.topology.Regions;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.query.scaladsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * One configured region (allowed by {@code meridian.regions}; the bench's single-region baseline
 * runs so): a replica has no other region's journal to catch up with and must answer at once.
 */
class SingleRegionUserTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create("SingleRegionUserTest", UserTestSupport.config());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aReplicaWithNoOtherRegionAnswersWithoutWaitingForACatchUp() {
    var settings =
        UserSettings.withoutDirectory(
            Regions.of("solo"),
            new UserSettings.Journals("", "", PersistenceTestKitReadJournal.Identifier()),
            0,
            Duration.ofSeconds(30));
    String userId = UserTestSupport.newUserId("solo");
    var replica =
        testKit.spawn(User.create(UserTestSupport.replicationId(userId, "solo"), settings));
    TestProbe<User.Reply> probe = testKit.createTestProbe();

    replica.tell(new User.Create("solo", probe.ref()));
    var created =
        assertInstanceOf(User.Accepted.class, probe.receiveMessage(Duration.ofSeconds(3)));
    replica.tell(new User.AdjustPoints(4, probe.ref()));
    var adjusted =
        assertInstanceOf(User.Accepted.class, probe.receiveMessage(Duration.ofSeconds(3)));

    assertEquals("solo", created.user().owner());
    assertEquals(4, adjusted.user().points());
  }
}
