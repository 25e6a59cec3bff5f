package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.crdt.ORSet;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bytes written by an earlier build still read: one event of each kind (and of each shape its
 * fields have had), and a state, serialized before the entity's types were reorganized (issue 14)
 * and committed under {@code src/test/resources/golden/user/}. Journals hold events under their
 * Jackson manifest, the class name, so an event class must never be renamed or moved: the test also
 * checks that today's code writes the manifest that was recorded.
 *
 * <p>Never re-record an existing file: that would prove nothing. To add a new kind, add it to
 * {@link #samples()} and run this class once with {@code
 * -Dmeridian.golden.record=src/test/resources/golden/user}; only new names are written.
 */
@ExtendWith(LogCapturingExtension.class)
class UserGoldenBytesTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("UserGoldenBytesTest", UserTestSupport.config());
  private static final String DIRECTORY = "golden/user/";
  private static final String INDEX = "index.tsv";

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /**
   * One line of the index: the file's name, and the serializer id and manifest it was written with.
   */
  private record Recorded(String name, int serializerId, String manifest) {
    static Recorded parse(String line) {
      String[] parts = line.split("\t");
      return new Recorded(parts[0], Integer.parseInt(parts[1]), parts[2]);
    }

    String line() {
      return name + "\t" + serializerId + "\t" + manifest;
    }
  }

  @Test
  void everyRecordedEventAndStateReadsAsTheValueItWasWrittenFrom() throws IOException {
    var serialization = SerializationExtension.get(testKit.system());
    Map<String, Object> samples = samples();
    List<Recorded> index = index();
    assertEquals(
        samples.keySet(),
        names(index),
        "every sample has recorded bytes, and every recording a sample");
    for (Recorded recorded : index) {
      byte[] bytes = resource(recorded.name() + ".cbor");
      Object read =
          serialization.deserialize(bytes, recorded.serializerId(), recorded.manifest()).get();
      assertEquals(samples.get(recorded.name()), read, recorded.name());
    }
  }

  @Test
  void everyEventIsStillWrittenUnderTheManifestTheJournalsHold() throws IOException {
    var serialization = SerializationExtension.get(testKit.system());
    Map<String, Object> samples = samples();
    for (Recorded recorded : index()) {
      Object sample = samples.get(recorded.name());
      if (!(sample instanceof User.Event)) continue;
      var serializer = serialization.findSerializerFor(sample);
      assertEquals(recorded.serializerId(), serializer.identifier(), recorded.name());
      assertEquals(
          recorded.manifest(), Serializers.manifestFor(serializer, sample), recorded.name());
    }
  }

  /** Writes the samples that have no recording yet; run once when an event kind is added. */
  @Test
  @EnabledIfSystemProperty(named = "meridian.golden.record", matches = ".+")
  void recordNewSamples() throws IOException {
    Path directory = Path.of(System.getProperty("meridian.golden.record"));
    Files.createDirectories(directory);
    Path indexFile = directory.resolve(INDEX);
    List<Recorded> index = new ArrayList<>();
    if (Files.exists(indexFile))
      Files.readAllLines(indexFile).stream()
          .filter(line -> !line.isBlank())
          .map(Recorded::parse)
          .forEach(index::add);
    Set<String> recorded = names(index);
    Serialization serialization = SerializationExtension.get(testKit.system());
    for (var sample : samples().entrySet()) {
      if (recorded.contains(sample.getKey())) continue;
      var serializer = serialization.findSerializerFor(sample.getValue());
      byte[] bytes = serialization.serialize(sample.getValue()).get();
      Files.write(directory.resolve(sample.getKey() + ".cbor"), bytes);
      index.add(
          new Recorded(
              sample.getKey(),
              serializer.identifier(),
              Serializers.manifestFor(serializer, sample.getValue())));
    }
    Files.write(indexFile, index.stream().map(Recorded::line).toList(), StandardCharsets.UTF_8);
  }

  private static Set<String> names(List<Recorded> index) {
    var names = new LinkedHashSet<String>();
    index.forEach(recorded -> names.add(recorded.name()));
    return names;
  }

  private static List<Recorded> index() throws IOException {
    String text = new String(resource(INDEX), StandardCharsets.UTF_8);
    return text.lines().filter(line -> !line.isBlank()).map(Recorded::parse).toList();
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in =
        UserGoldenBytesTest.class.getClassLoader().getResourceAsStream(DIRECTORY + name)) {
      assertNotNull(in, () -> "no recorded " + DIRECTORY + name);
      return in.readAllBytes();
    }
  }

  private static final BigDecimal AMOUNT = new BigDecimal("12.50");

  /**
   * What was recorded, by file name. Values only: fixed times, and ORSet operations made by
   * replicas with fixed ids, so the same code builds equal values in every run.
   */
  private static Map<String, Object> samples() {
    ORSet<String> us = ORSet.empty(new ReplicaId("us"));
    ORSet<String> eu = ORSet.empty(new ReplicaId("eu"));
    var usAddsPhone = UserTestSupport.legacyDeviceChange(us, "phone", true);
    us = us.applyOperation(usAddsPhone);
    eu = eu.applyOperation(usAddsPhone);
    var euAddsLaptop = UserTestSupport.legacyDeviceChange(eu, "laptop", true);
    eu = eu.applyOperation(euAddsLaptop);
    var euRemovesPhone = UserTestSupport.legacyDeviceChange(eu, "phone", false);

    Map<String, Object> samples = new LinkedHashMap<>();
    samples.put("UserCreated", new User.UserCreated("u-1", "us", 1L));
    samples.put(
        "ProfileUpdated",
        new User.ProfileUpdated(
            Map.of("displayName", "Ada", "locale", "en-GB"), 1_700_000_000_000L, "us", 2L));
    samples.put("PointsAdjusted", new User.PointsAdjusted(-7, 3L));
    samples.put("DevicesChanged-add", new User.DevicesChanged("phone", true, usAddsPhone, 4L));
    samples.put(
        "DevicesChanged-add-second-replica",
        new User.DevicesChanged("laptop", true, euAddsLaptop, 5L));
    samples.put(
        "DevicesChanged-remove", new User.DevicesChanged("phone", false, euRemovesPhone, 6L));
    // Pekko's plain deltas, as events persisted before devices were replicated as whole sets carry
    // them
    // (the group's set in a fixed order: the order of its adds decides the dots).
    samples.put(
        "DevicesChanged-delta-add", new User.DevicesChanged("tablet", true, eu.add("tablet"), 11L));
    samples.put(
        "DevicesChanged-delta-remove",
        new User.DevicesChanged("laptop", false, eu.remove("laptop"), 12L));
    samples.put(
        "DevicesChanged-delta-group",
        new User.DevicesChanged(
            "tablet", true, eu.addAll(new LinkedHashSet<>(List.of("tablet", "watch"))), 13L));
    samples.put(
        "DevicesChanged-delta-clear", new User.DevicesChanged("laptop", false, eu.clear(), 14L));
    samples.put(
        "PaymentRecorded",
        new User.PaymentRecorded("p-1", User.PaymentKind.CREDIT, AMOUNT, "us", 1, 7L));
    samples.put("OwnershipTransferred", new User.OwnershipTransferred("us", "eu", "eu", 2, 8L));
    samples.put(
        "OwnershipSeized",
        new User.OwnershipSeized("eu", "ap", "eu", 3, "region eu declared down", 9L));
    // Seizures persisted before the event carried the home.
    samples.put(
        "OwnershipSeized-without-home",
        new User.OwnershipSeized("eu", "ap", null, 3, "region eu declared down", 9L));
    samples.put("OverdraftFlagged", new User.OverdraftFlagged(new BigDecimal("-3.00"), "ap", 10L));
    samples.put("State", state(samples));
    // Devices one at a time (issue 15): an add numbered by its replica, and a removal of what the
    // remover had seen, including the legacy set's dot of a device added before.
    samples.put("DeviceAdded", new User.DeviceAdded("watch", "eu", 1, 15L));
    samples.put(
        "DeviceRemoved", new User.DeviceRemoved("laptop", Map.of("eu", 2L, "orset:eu", 2L), 16L));
    samples.put("State-with-device-clocks", stateWithDeviceClocks(samples));
    // Writes sent with an Idempotency-Key (issue 18): the key and the request's digest in the
    // event, and the keys a state remembers.
    RequestKey key = RequestKey.of("key-1", "points", "u-1", "5");
    samples.put("PointsAdjusted-keyed", new User.PointsAdjusted(5, 17L, key));
    samples.put(
        "ProfileUpdated-keyed",
        new User.ProfileUpdated(
            Map.of("displayName", "Ada"),
            1_700_000_000_001L,
            "us",
            18L,
            RequestKey.of("key-2", "profile", "u-1", "{displayName=Ada}")));
    samples.put(
        "State-with-idempotency-keys",
        ((UserState) samples.get("State-with-device-clocks"))
            .apply((User.Event) samples.get("PointsAdjusted-keyed"), UserTestSupport.REGIONS)
            .apply((User.Event) samples.get("ProfileUpdated-keyed"), UserTestSupport.REGIONS));
    // Follow the sun (issue 17): a user created in a cohort, a cohort left and joined, and a
    // state that remembers its cohort.
    samples.put("UserCreated-in-cohort", new User.UserCreated("u-2", "us", 19L, null, "desk"));
    samples.put(
        "CohortChanged-keyed",
        new User.CohortChanged(
            "night-desk",
            1_700_000_000_002L,
            "eu",
            20L,
            RequestKey.of("key-3", "cohort", "u-1", "night-desk")));
    samples.put(
        "CohortChanged-left", new User.CohortChanged(null, 1_700_000_000_003L, "eu", 21L, null));
    samples.put(
        "OwnershipTransferred-schedule",
        new User.OwnershipTransferred("eu", "ap", "ap", 4, 22L, "schedule", 1_700_000_000_000L));
    samples.put(
        "State-in-cohort",
        ((UserState) samples.get("State-with-idempotency-keys"))
            .apply((User.Event) samples.get("CohortChanged-keyed"), UserTestSupport.REGIONS));
    return samples;
  }

  /** The recorded {@code State}, then the devices of one at a time added to it. */
  private static UserState stateWithDeviceClocks(Map<String, Object> samples) {
    UserState state = (UserState) samples.get("State");
    for (var name : List.of("DeviceAdded", "DeviceRemoved"))
      state = state.apply((User.Event) samples.get(name), UserTestSupport.REGIONS);
    return state.counted("eu").counted("eu");
  }

  /** A state after the recorded events (not the delta-only ones), as replica ap holds it. */
  private static UserState state(Map<String, Object> samples) {
    UserState state = UserState.empty("u-1", new ReplicaId("ap"));
    for (var name :
        List.of(
            "UserCreated",
            "ProfileUpdated",
            "PointsAdjusted",
            "DevicesChanged-add",
            "DevicesChanged-add-second-replica",
            "DevicesChanged-remove",
            "PaymentRecorded",
            "OwnershipTransferred",
            "OwnershipSeized",
            "OverdraftFlagged")) {
      state = state.apply((User.Event) samples.get(name), UserTestSupport.REGIONS);
    }
    state =
        state.withPayment(
            "p-2", new User.Payment(User.PaymentKind.DEBIT, new BigDecimal("1.00"), "eu", 2));
    return state.counted("us").counted("eu").counted("eu");
  }
}
