package io.meridian.tools.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.cluster.FreePorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The short fixed-seed chaos run, as a user runs it: {@code meridian chaos} as a child process that
 * starts its own Cassandra and three regions on free ports, injects the seed's faults, checks the
 * history and must PASS. Afterwards nothing it started may be alive. Seed 51's plan over 40 s with
 * these kinds: kill us at 4 s, pause ap ~5 s at 29 s, a move at 39.5 s (FaultPlanTest pins it).
 */
class ChaosIT {
  private static final Path PROJECT =
      Path.of(System.getProperty("meridian.project.dir", ".")).toAbsolutePath();
  private static final long RUN_LIMIT_SECONDS = 330;

  @Test
  void shortFixedSeedRunPasses() throws Exception {
    Path out = PROJECT.resolve("target/chaos-it");
    Files.createDirectories(out);
    Files.deleteIfExists(out.resolve("report.json"));
    // One block of nine free ports, split three ways: three separate probes could overlap.
    int ports = FreePorts.freeBase(9);
    String classPath =
        PROJECT.resolve("target/classes")
            + java.io.File.pathSeparator
            + Files.readString(PROJECT.resolve("target/app.classpath")).trim();
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms64m",
            "-Xmx384m",
            "-Dcassandra.classpath.file="
                + System.getProperty(
                    "cassandra.classpath.file",
                    PROJECT.resolve("target/cassandra.classpath").toString()),
            "-cp",
            classPath,
            "io.meridian.Main",
            "chaos",
            "--duration",
            "40s",
            "--seed",
            "51",
            "--faults",
            "kill,admin-down-up,move,pause-region",
            "--rate",
            "20",
            "--clients",
            "6",
            "--users",
            "9",
            "--settle",
            "60s",
            "--base-http-port",
            Integer.toString(ports),
            "--base-remote-port",
            Integer.toString(ports + 3),
            "--base-management-port",
            Integer.toString(ports + 6),
            "--data-dir",
            out.resolve("data").toString(),
            "--out",
            out.toString());
    Process chaos =
        new ProcessBuilder(command).directory(PROJECT.toFile()).redirectErrorStream(true).start();
    List<String> output = new ArrayList<>();
    Thread reader = new Thread(() -> read(chaos, output), "chaos-output");
    reader.setDaemon(true);
    reader.start();
    List<ProcessHandle> started = new ArrayList<>();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_LIMIT_SECONDS);
      while (chaos.isAlive() && System.nanoTime() < deadline) {
        chaos
            .descendants()
            .filter(p -> started.stream().noneMatch(s -> s.pid() == p.pid()))
            .forEach(started::add);
        chaos.waitFor(1, TimeUnit.SECONDS);
      }
      assertFalse(
          chaos.isAlive(), "chaos did not finish in " + RUN_LIMIT_SECONDS + " s:\n" + tail(output));
      Path report = out.resolve("report.json");
      assertTrue(Files.exists(report), "no report.json:\n" + tail(output));
      JsonNode json = new ObjectMapper().readTree(report.toFile());
      assertEquals(
          0,
          chaos.exitValue(),
          "chaos verdict "
              + json.path("verdict")
              + ", anomalies "
              + json.path("anomalies")
              + "\n"
              + tail(output));
      assertEquals("PASS", json.path("verdict").asText());
      assertTrue(json.path("faults").size() >= 1, "faults were injected: " + json.path("faults"));
      assertTrue(
          Files.exists(out.resolve("history.jsonl")) && Files.exists(out.resolve("timeline.png")));
    } finally {
      chaos
          .descendants()
          .filter(p -> started.stream().noneMatch(s -> s.pid() == p.pid()))
          .forEach(started::add);
      chaos.destroy(); // SIGTERM: its shutdown hook stops the demo, which stops Cassandra and the
      // regions
      if (!chaos.waitFor(120, TimeUnit.SECONDS)) chaos.destroyForcibly();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (started.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline)
        TimeUnit.MILLISECONDS.sleep(200);
      List<ProcessHandle> survivors = started.stream().filter(ProcessHandle::isAlive).toList();
      survivors.forEach(ProcessHandle::destroyForcibly);
      assertTrue(
          survivors.isEmpty(),
          "processes survived chaos: "
              + survivors.stream()
                  .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                  .toList());
    }
  }

  private static void read(Process process, List<String> output) {
    try (var lines =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        synchronized (output) {
          output.add(line);
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  private static String tail(List<String> output) {
    synchronized (output) {
      return String.join("\n", output.subList(Math.max(0, output.size() - 80), output.size()));
    }
  }
}
