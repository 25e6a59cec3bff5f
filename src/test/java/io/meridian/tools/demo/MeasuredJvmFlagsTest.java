package io.meridian.tools.demo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The bench's JVM (started by ./meridian) and the demo's region JVMs run with the same flags. */
class MeasuredJvmFlagsTest {

  @Test
  void theLauncherStartsItsJvmWithTheFlagsOfTheRegionProcesses() throws Exception {
    String script = Files.readString(Path.of("meridian"));
    String flags = String.join(" ", DemoCommand.MEASURED_JVM_FLAGS);
    assertTrue(
        script.contains("${MERIDIAN_JAVA_OPTS:-" + flags + "}"),
        "./meridian's default JVM options are not " + flags);
  }

  @Test
  void theRegionsRunTheFullJitWithOneCollector() {
    assertTrue(
        DemoCommand.MEASURED_JVM_FLAGS.stream()
            .noneMatch(f -> f.startsWith("-XX:TieredStopAtLevel")));
    assertTrue(
        DemoCommand.MEASURED_JVM_FLAGS.stream().filter(f -> f.matches("-XX:\\+Use\\w+GC")).count()
            == 1);
  }
}
