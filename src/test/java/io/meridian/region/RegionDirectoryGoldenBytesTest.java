package io.meridian.region;

import com.typesafe.config.ConfigFactory;
import io.meridian.serialization.GoldenBytes;
import java.io.IOException;
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
 * The region directory's Distributed Data values as an earlier build wrote them still read: they
 * are gossiped between the nodes of two builds during a rolling update (region package-info), so a
 * renamed type, field or status would leave the new nodes with a directory that takes a region
 * declared down for up. Recordings under {@code src/test/resources/golden/region/} ({@link
 * GoldenBytes}).
 */
@ExtendWith(LogCapturingExtension.class)
class RegionDirectoryGoldenBytesTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "RegionDirectoryGoldenBytesTest",
          ConfigFactory.parseString(
                  """
                  pekko.actor.provider = local
                  pekko.coordinated-shutdown.exit-jvm = off
                  pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                  """)
              .withFallback(ConfigFactory.load()));
  private static final GoldenBytes golden = new GoldenBytes("golden/region");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyRecordedDirectoryValueReadsAsTheValueItWasWrittenFrom() throws IOException {
    golden.assertEveryRecordingReadsAsItsSample(testKit.system(), samples());
  }

  @Test
  void everyDirectoryValueIsStillWrittenUnderTheRecordedManifest() throws IOException {
    golden.assertWrittenAsRecorded(testKit.system(), samples());
  }

  /** Writes the samples that have no recording yet; run once when a sample is added. */
  @Test
  @EnabledIfSystemProperty(named = GoldenBytes.RECORD_PROPERTY, matches = ".*golden/region.*")
  void recordNewSamples() throws IOException {
    golden.recordNew(
        testKit.system(), samples(), Path.of(System.getProperty(GoldenBytes.RECORD_PROPERTY)));
  }

  private static final long AT = 1_700_000_000_000L;

  /** Values only: the same in every run. */
  private static Map<String, Object> samples() {
    var up = RegionControl.Status.up;
    var down = RegionControl.Status.down;
    Map<String, Object> samples = new LinkedHashMap<>();
    samples.put("Directory-empty", RegionDirectory.Directory.EMPTY);
    samples.put(
        "Directory",
        new RegionDirectory.Directory(
            Map.of(
                "us",
                RegionDirectory.RegionRecord.INITIAL,
                "eu",
                new RegionDirectory.RegionRecord(
                    down,
                    3,
                    "unreachable from a majority of regions",
                    AT,
                    List.of(
                        "pekko://meridian@10.0.0.7:2551#-4711",
                        "pekko://meridian@10.0.0.8:2551#42")),
                "ap",
                new RegionDirectory.RegionRecord(up, 4, "operator", AT + 60_000, List.of()))));
    // Down declarations written before they listed the downed members.
    samples.put(
        "Directory-down-without-members",
        new RegionDirectory.Directory(
            Map.of("eu", new RegionDirectory.RegionRecord(down, 2, "operator", AT, null))));
    samples.put(
        "Observations",
        new RegionDirectory.Observations(
            Map.of(
                "pekko://meridian@10.0.0.5:2551",
                new RegionDirectory.Observation("us", Map.of("eu", AT, "ap", AT + 5), AT + 500),
                "pekko://meridian@10.0.0.9:2551",
                new RegionDirectory.Observation("ap", Map.of(), AT + 600))));
    samples.put("Observations-empty", RegionDirectory.Observations.EMPTY);
    return samples;
  }
}
