package io.meridian.user;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.topology.Regions;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.query.scaladsl.PersistenceTestKitReadJournal;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.ReplicationId;
import org.apache.pekko.persistence.typed.crdt.ORSet;

/** Configuration and names shared by the User entity's unit tests. */
final class UserTestSupport {
  private UserTestSupport() {}

  static final Regions REGIONS = Regions.of("us", "eu", "ap");

  private static final AtomicInteger ids = new AtomicInteger();

  /**
   * Local actor system on the in-memory persistence test kit. Every event and snapshot goes through
   * Pekko serialization on its way into the test kit's storage ({@code events.serialize}, {@code
   * snapshots.serialize}), so the replicas only ever see what Jackson CBOR gave back.
   */
  static Config config() {
    return ConfigFactory.parseString(
            """
            pekko.actor.provider = local
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.persistence.testkit.events.serialize = on
            pekko.persistence.testkit.snapshots.serialize = on
            meridian.test {
              partitionable-query-us { class = "io.meridian.user.PartitionableReadJournal$Provider", consumer = us }
              partitionable-query-eu { class = "io.meridian.user.PartitionableReadJournal$Provider", consumer = eu }
              partitionable-query-ap { class = "io.meridian.user.PartitionableReadJournal$Provider", consumer = ap }
            }
            """)
        .withFallback(PersistenceTestKitPlugin.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load());
  }

  /**
   * Every replica on the test kit's journal and snapshot store; replication through its read
   * journal.
   */
  static UserSettings settings() {
    return UserSettings.withoutDirectory(
        REGIONS,
        new UserSettings.Journals("", "", PersistenceTestKitReadJournal.Identifier()),
        0,
        java.time.Duration.ZERO);
  }

  /**
   * As {@link #settings()} for the replica of {@code region}, but replication reads through its own
   * {@link PartitionableReadJournal}, so a test can hold events back between two regions (a
   * partition) and make writes truly concurrent.
   */
  static UserSettings partitionableSettings(String region, int snapshotEvery) {
    var journals = new UserSettings.Journals("", "", PartitionableReadJournal.pluginFor(region));
    return UserSettings.withoutDirectory(REGIONS, journals, snapshotEvery, java.time.Duration.ZERO);
  }

  /** A user id no other test uses. */
  static String newUserId(String prefix) {
    return prefix + "-" + ids.incrementAndGet();
  }

  static ReplicationId replicationId(String userId, String region) {
    return new ReplicationId(User.ENTITY_TYPE, userId, new ReplicaId(region));
  }

  static String persistenceId(String userId, String region) {
    return replicationId(userId, region).persistenceId().id();
  }

  /**
   * The ORSet operation a replica persisted in a {@code DevicesChanged} before devices changed one
   * at a time: its whole set after the add or remove (Pekko's {@code FullStateDeltaOp}). Journals
   * hold such events, so tests still make them.
   */
  static ORSet.DeltaOp legacyDeviceChange(ORSet<String> devices, String deviceId, boolean add) {
    ORSet.DeltaOp delta = add ? devices.add(deviceId) : devices.remove(deviceId);
    return new ORSet.FullStateDeltaOp<>(devices.applyOperation(delta));
  }
}
