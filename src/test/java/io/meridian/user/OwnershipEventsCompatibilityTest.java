package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ownership events gained optional fields for the ownership history (issue 16): {@code reason}
 * and {@code requestedAt} on {@link User.OwnershipTransferred}, {@code requestedAt} on {@link
 * User.OwnershipSeized}. Events persisted before (the golden bytes of UserGoldenBytesTest) still
 * read, with the new fields null; new events keep them through serialization.
 */
@ExtendWith(LogCapturingExtension.class)
class OwnershipEventsCompatibilityTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create("OwnershipEventsCompatibilityTest", UserTestSupport.config());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Object readGolden(String name, String manifest) throws IOException {
    try (InputStream in =
        OwnershipEventsCompatibilityTest.class
            .getClassLoader()
            .getResourceAsStream("golden/user/" + name + ".cbor")) {
      byte[] bytes = in.readAllBytes();
      return SerializationExtension.get(testKit.system()).deserialize(bytes, 33, manifest).get();
    }
  }

  @Test
  void aTransferPersistedBeforeTheNewFieldsReadsWithoutThem() throws IOException {
    var read =
        (User.OwnershipTransferred)
            readGolden("OwnershipTransferred", User.OwnershipTransferred.class.getName());
    assertEquals(new User.OwnershipTransferred("us", "eu", "eu", 2, 8L), read);
    assertNull(read.reason());
    assertNull(read.requestedAt());
  }

  @Test
  void aSeizurePersistedBeforeTheNewFieldReadsWithoutIt() throws IOException {
    var read =
        (User.OwnershipSeized) readGolden("OwnershipSeized", User.OwnershipSeized.class.getName());
    assertEquals(
        new User.OwnershipSeized("eu", "ap", "eu", 3, "region eu declared down", 9L), read);
    assertNull(read.requestedAt());
  }

  @Test
  void newEventsAndCommandsKeepTheNewFields() {
    var serialization = SerializationExtension.get(testKit.system());
    var replyTo = testKit.<User.Reply>createTestProbe().getRef();
    for (Object value :
        new Object[] {
          new User.OwnershipTransferred("eu", "us", "us", 3, 9_250, "handed_back", 9_000L),
          new User.OwnershipSeized("us", "eu", "us", 2, "region us declared down", 5_400, 5_000L),
          new User.MoveHome("eu", replyTo, 77L),
          new User.HandBack(replyTo, 78L),
          new User.SeizeOwnership("us", "region us declared down", replyTo, 79L)
        }) {
      byte[] bytes = serialization.serialize(value).get();
      var serializer = serialization.findSerializerFor(value);
      Object read =
          serialization
              .deserialize(
                  bytes,
                  serializer.identifier(),
                  org.apache.pekko.serialization.Serializers.manifestFor(serializer, value))
              .get();
      assertEquals(value, read);
    }
  }
}
