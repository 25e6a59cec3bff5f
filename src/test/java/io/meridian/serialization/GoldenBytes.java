package io.meridian.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/**
 * Bytes recorded by an earlier build, committed under {@code src/test/resources/<directory>}: one
 * {@code <name>.cbor} per sample and an {@code index.tsv} of name, serializer id and manifest. A
 * test names its samples (values built the same way in every run) and checks that every recording
 * still reads as its sample, and that today's code still writes the recorded serializer id and
 * manifest (a renamed class or a moved binding would change them and strand what was written).
 *
 * <p>Never re-record an existing file: that would prove nothing. To add a sample, add it to the
 * test's samples and run that test once with {@code
 * -Dmeridian.golden.record=src/test/resources/<directory>}; only names without a recording are
 * written. (The same layout as {@code user.UserGoldenBytesTest}'s journal events.)
 */
public final class GoldenBytes {
  public static final String RECORD_PROPERTY = "meridian.golden.record";
  private static final String INDEX = "index.tsv";

  private final String directory;

  /**
   * {@code directory}: the recordings' folder on the test class path, e.g. {@code golden/region}.
   */
  public GoldenBytes(String directory) {
    this.directory = directory.endsWith("/") ? directory : directory + "/";
  }

  /**
   * One line of the index: the file's name, and the serializer id and manifest it was written with.
   */
  record Recorded(String name, int serializerId, String manifest) {
    static Recorded parse(String line) {
      String[] parts = line.split("\t");
      return new Recorded(parts[0], Integer.parseInt(parts[1]), parts[2]);
    }

    String line() {
      return name + "\t" + serializerId + "\t" + manifest;
    }
  }

  /** Every sample has a recording and every recording reads as its sample. */
  public void assertEveryRecordingReadsAsItsSample(
      ActorSystem<?> system, Map<String, Object> samples) throws IOException {
    Serialization serialization = SerializationExtension.get(system);
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

  /** Today's code writes each sample with the serializer id and manifest that were recorded. */
  public void assertWrittenAsRecorded(ActorSystem<?> system, Map<String, Object> samples)
      throws IOException {
    Serialization serialization = SerializationExtension.get(system);
    for (Recorded recorded : index()) {
      Object sample = samples.get(recorded.name());
      var serializer = serialization.findSerializerFor(sample);
      assertEquals(recorded.serializerId(), serializer.identifier(), recorded.name());
      assertEquals(
          recorded.manifest(), Serializers.manifestFor(serializer, sample), recorded.name());
    }
  }

  /** Writes the samples that have no recording yet into {@code target}. */
  public void recordNew(ActorSystem<?> system, Map<String, Object> samples, Path target)
      throws IOException {
    Files.createDirectories(target);
    Path indexFile = target.resolve(INDEX);
    List<Recorded> index = new ArrayList<>();
    if (Files.exists(indexFile))
      Files.readAllLines(indexFile).stream()
          .filter(line -> !line.isBlank())
          .map(Recorded::parse)
          .forEach(index::add);
    Set<String> recorded = names(index);
    Serialization serialization = SerializationExtension.get(system);
    for (var sample : samples.entrySet()) {
      if (recorded.contains(sample.getKey())) continue;
      var serializer = serialization.findSerializerFor(sample.getValue());
      byte[] bytes = serialization.serialize(sample.getValue()).get();
      Files.write(target.resolve(sample.getKey() + ".cbor"), bytes);
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

  private List<Recorded> index() throws IOException {
    String text = new String(resource(INDEX), StandardCharsets.UTF_8);
    return text.lines().filter(line -> !line.isBlank()).map(Recorded::parse).toList();
  }

  private byte[] resource(String name) throws IOException {
    try (InputStream in =
        GoldenBytes.class.getClassLoader().getResourceAsStream(directory + name)) {
      assertNotNull(in, () -> "no recorded " + directory + name);
      return in.readAllBytes();
    }
  }
}
