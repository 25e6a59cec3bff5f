package io.meridian.user;

import io.meridian.replication.Hint;
import io.meridian.serialization.GoldenBytes;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What crosses between the nodes of two builds during a rolling update, as an earlier build wrote
 * it, still reads: the entity's replies (the user's view, and each refusal by its reason's name)
 * and the replication hint a node sends to other regions' replicas. The journal's events and the
 * state are {@link UserGoldenBytesTest}'s. Commands that carry an {@code ActorRef} are not
 * recorded: the reference resolves only in the actor system that wrote it. Recordings under {@code
 * src/test/resources/golden/user-wire/} ({@link GoldenBytes}).
 */
@ExtendWith(LogCapturingExtension.class)
class UserWireGoldenBytesTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("UserWireGoldenBytesTest", UserTestSupport.config());
  private static final GoldenBytes golden = new GoldenBytes("golden/user-wire");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyRecordedReplyAndHintReadsAsTheValueItWasWrittenFrom() throws IOException {
    golden.assertEveryRecordingReadsAsItsSample(testKit.system(), samples());
  }

  @Test
  void everyReplyAndHintIsStillWrittenUnderTheRecordedManifest() throws IOException {
    golden.assertWrittenAsRecorded(testKit.system(), samples());
  }

  /** Writes the samples that have no recording yet; run once when a sample is added. */
  @Test
  @EnabledIfSystemProperty(named = GoldenBytes.RECORD_PROPERTY, matches = ".*golden/user-wire.*")
  void recordNewSamples() throws IOException {
    golden.recordNew(
        testKit.system(), samples(), Path.of(System.getProperty(GoldenBytes.RECORD_PROPERTY)));
  }

  /** Values only: the same in every run. */
  private static Map<String, Object> samples() {
    Map<String, Object> samples = new LinkedHashMap<>();
    samples.put(
        "Accepted",
        new User.Accepted(
            new User.View(
                "u-1",
                "us",
                "eu",
                2,
                Map.of("displayName", "Ada \ud83d\ude00", "locale", "en-GB"),
                7,
                List.of("laptop", "phone"),
                new BigDecimal("11.50"),
                false,
                Map.of("us", 3L, "eu", 1L))));
    samples.put("NotOwner", new User.NotOwner("eu", 2));
    // One per reason of this build: the names are in the bytes.
    for (String reason :
        List.of(
            "UNKNOWN_USER",
            "USER_EXISTS",
            "INVALID",
            "INSUFFICIENT_FUNDS",
            "PAYMENT_CONFLICT",
            "UNKNOWN_PAYMENT",
            "NOT_DECLARED_DOWN"))
      samples.put(
          "Rejected-" + reason,
          new User.Rejected(User.Reason.valueOf(reason), "refused: " + reason.toLowerCase()));
    samples.put(
        "PaymentFound",
        new User.PaymentFound(
            "p-1", new User.Payment(User.PaymentKind.DEBIT, new BigDecimal("12.50"), "us", 1)));
    samples.put("ReplicationHint", new User.ReplicationHint(new Hint("User|u-1|us", 42)));
    return samples;
  }
}
