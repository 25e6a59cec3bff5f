package io.meridian.tools.chaos;

import io.meridian.tools.demo.DemoCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The system under test when chaos starts it itself: {@code meridian demo} as a child process with
 * the same class path, its own ports and data folder (so it never collides with a demo on the
 * default ports), and the admin and API tokens chosen here. Its output goes to demo.log in the
 * run's folder; the banner tells when it is up and where Cassandra is, and the supervisor's
 * "process exited" lines are reported as {@link ProcessExit}s. {@link #close()} stops it and
 * everything below it, by pid.
 */
public final class ManagedDemo implements AutoCloseable {
  static final String READY_LINE = "Ctrl-C stops everything";
  private static final Pattern CASSANDRA = Pattern.compile("Cassandra at [^:\\s]+:(\\d+)");
  private static final Pattern EXITED = Pattern.compile("region (\\S+) process exited(.*)");

  /** Ports and folders of the demo. */
  /** {@code regionJavaOptions}: extra JVM options of every region process (the chaos switches). */
  public record Layout(
      List<String> regions,
      int baseHttpPort,
      int baseRemotePort,
      int baseManagementPort,
      Path dataDir,
      Path logFile,
      List<String> regionJavaOptions) {}

  private final Process process;
  private final Layout layout;
  private final String token;
  private final String apiToken;
  private final CountDownLatch up = new CountDownLatch(1);
  private final List<ProcessHandle> descendants = new ArrayList<>();
  private volatile int cassandraPort;
  private volatile Endpoints endpoints;

  private ManagedDemo(Process process, Layout layout, String token, String apiToken) {
    this.process = process;
    this.layout = layout;
    this.token = token;
    this.apiToken = apiToken;
  }

  /** Starts the demo; {@link #awaitReady} then waits for its banner. */
  public static ManagedDemo launch(
      Layout layout, Consumer<ProcessExit> exits, java.util.function.Consumer<String> progress)
      throws IOException {
    String token = tokenFromEnvironment("MERIDIAN_ADMIN_TOKEN");
    String apiToken = tokenFromEnvironment("MERIDIAN_API_TOKEN");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx256m"));
    String cassandraClasspath = System.getProperty("cassandra.classpath.file");
    if (cassandraClasspath != null) command.add("-Dcassandra.classpath.file=" + cassandraClasspath);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "io.meridian.Main",
            "demo",
            "--regions",
            String.join(",", layout.regions()),
            "--base-http-port",
            Integer.toString(layout.baseHttpPort()),
            "--base-remote-port",
            Integer.toString(layout.baseRemotePort()),
            "--base-management-port",
            Integer.toString(layout.baseManagementPort()),
            "--data-dir",
            layout.dataDir().toString()));
    for (String option : layout.regionJavaOptions()) command.add("--region-java-option=" + option);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("MERIDIAN_ADMIN_TOKEN", token);
    builder.environment().put("MERIDIAN_API_TOKEN", apiToken);
    Files.createDirectories(layout.logFile().toAbsolutePath().getParent());
    progress.accept(
        String.format(
            "chaos: starting the system (meridian demo, HTTP from %d, data in %s, log %s)",
            layout.baseHttpPort(), layout.dataDir(), layout.logFile()));
    Process process = builder.start();
    process.getOutputStream().close();
    ManagedDemo demo = new ManagedDemo(process, layout, token, apiToken);
    Writer log = Files.newBufferedWriter(layout.logFile(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> demo.follow(log, exits), "chaos-demo-output");
    reader.setDaemon(true);
    reader.start();
    return demo;
  }

  /** Waits for the demo's banner; the endpoints, token and Cassandra port then are known. */
  public Endpoints awaitReady(Duration readyTimeout) throws InterruptedException {
    boolean ready = false;
    long deadline = System.nanoTime() + readyTimeout.toNanos();
    while (!ready && process.isAlive() && System.nanoTime() < deadline) {
      ready = up.await(1, TimeUnit.SECONDS);
      remember();
    }
    if (!ready && !process.isAlive())
      throw new IllegalStateException(
          "the demo exited with "
              + process.exitValue()
              + " before it was up; see "
              + layout.logFile());
    if (!ready)
      throw new IllegalStateException(
          "the demo did not come up within " + readyTimeout + "; see " + layout.logFile());
    Map<String, URI> uris = new LinkedHashMap<>();
    for (int i = 0; i < layout.regions().size(); i++)
      uris.put(
          layout.regions().get(i), URI.create("http://127.0.0.1:" + (layout.baseHttpPort() + i)));
    endpoints = new Endpoints(uris, token, apiToken, cassandraPort);
    remember();
    return endpoints;
  }

  public Endpoints endpoints() {
    return endpoints;
  }

  public long pid() {
    return process.pid();
  }

  private void follow(Writer log, Consumer<ProcessExit> exits) {
    try (var lines =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        log) {
      String line;
      while ((line = lines.readLine()) != null) {
        writeQuietly(log, line);
        Matcher cassandra = CASSANDRA.matcher(line);
        if (cassandra.find()) cassandraPort = Integer.parseInt(cassandra.group(1));
        if (line.contains(READY_LINE)) up.countDown();
        Matcher exited = EXITED.matcher(line);
        if (exited.find() && up.getCount() == 0) {
          try {
            exits.accept(
                new ProcessExit(
                    System.currentTimeMillis(), exited.group(1), exited.group(0).trim()));
          } catch (RuntimeException e) {
            // keep draining the demo's output whatever happens to the history
          }
        }
      }
    } catch (IOException e) {
      // the demo ended
    }
  }

  private static void writeQuietly(Writer log, String line) {
    try {
      log.write(line);
      log.write('\n');
      log.flush();
    } catch (IOException e) {
      // the log is a copy: never stop draining the demo's output for it
    }
  }

  /** Keeps the pids of everything below the demo, to stop them even if the demo dies first. */
  private synchronized void remember() {
    process
        .descendants()
        .filter(p -> descendants.stream().noneMatch(known -> known.pid() == p.pid()))
        .forEach(descendants::add);
  }

  /**
   * SIGTERM to the demo (it stops its regions and Cassandra), then SIGKILL, by pid, for anything it
   * started that is still alive after the grace.
   */
  @Override
  public void close() {
    remember();
    for (ProcessHandle p : descendants)
      if (p.isAlive()) Signals.resume(p.pid()); // a stopped process ignores SIGTERM
    process.destroy();
    try {
      if (!process.waitFor(90, TimeUnit.SECONDS))
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (descendants.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline)
        TimeUnit.MILLISECONDS.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle p : descendants) if (p.isAlive()) p.destroyForcibly();
  }

  private static String tokenFromEnvironment(String variable) {
    String token = System.getenv().getOrDefault(variable, "").trim();
    return token.isEmpty() ? DemoCommand.newToken() : token;
  }
}
