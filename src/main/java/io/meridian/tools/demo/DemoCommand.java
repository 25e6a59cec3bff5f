package io.meridian.tools.demo;

import io.meridian.cohort.CohortSchedule;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./meridian demo}: the whole system on this machine — an embedded Cassandra and one node
 * process per region — ready for curl. A region process that exits is started again (as Kubernetes
 * would restart its pod), so a region can be killed for real and come back. Ctrl-C or SIGTERM stops
 * everything it started.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs Cassandra and three regions (us, eu, ap) as separate processes on this machine.",
      "Example: ./meridian demo            (HTTP on 8081, 8082, 8083)",
      "         ./meridian demo --base-http-port 9081",
      "         ./meridian demo --follow-the-sun 1m   (cohort demo travels us -> eu -> ap, a minute each)",
      "Tokens: MERIDIAN_ADMIN_TOKEN and MERIDIAN_API_TOKEN when set, else new ones; the banner prints them."
    })
public final class DemoCommand implements Callable<Integer> {

  /**
   * The flags of every JVM a measurement compares (the regions here; the bench and its baselines
   * run in the launcher's JVM, which ./meridian starts with the same ones): the full JIT (C2), one
   * collector, a fixed heap. SerialGC because five JVMs share two cores: a parallel or concurrent
   * collector's threads would compete with the work measured, and a young generation of this size
   * is collected in milliseconds. Fixed heaps, so no run pays for resizing. (docs/decisions.md)
   */
  public static final List<String> MEASURED_JVM_FLAGS =
      List.of("-Xms512m", "-Xmx512m", "-XX:+UseSerialGC");

  private static final Logger log = LoggerFactory.getLogger("meridian.demo");

  @Option(
      names = "--regions",
      split = ",",
      defaultValue = "us,eu,ap",
      description = "Regions, one process each (default: ${DEFAULT-VALUE}).")
  List<String> regions;

  @Option(
      names = "--base-http-port",
      defaultValue = "8081",
      description = "HTTP port of the first region; the others follow (default: ${DEFAULT-VALUE}).")
  int baseHttpPort;

  @Option(names = "--base-remote-port", defaultValue = "25521")
  int baseRemotePort;

  @Option(names = "--base-management-port", defaultValue = "8561")
  int baseManagementPort;

  @Option(
      names = "--data-dir",
      defaultValue = ".meridian/demo",
      description = "Cassandra data and process logs (wiped at start).")
  Path dataDir;

  @Option(names = "--ready-timeout", defaultValue = "180s", converter = DurationConverter.class)
  Duration readyTimeout;

  @Option(names = "--no-restart", description = "Do not restart a region process that exits.")
  boolean noRestart;

  @Option(
      names = "--region-java-option",
      description =
          "An extra JVM option for every region process, e.g. -Dkey=value (repeatable; ./meridian chaos uses it).")
  List<String> regionJavaOptions = new ArrayList<>();

  @Option(
      names = "--follow-the-sun",
      paramLabel = "<duration>",
      description =
          "Schedule a cohort 'demo' that rotates through the regions in order, this long in each (e.g. 1m; it must divide 24 h), and create users sun-1..sun-12 in it once ready.")
  String followTheSun;

  /** The follow-the-sun demo's cohort and its members. */
  static final String SUN_COHORT = "demo";

  static final int SUN_USERS = 12;

  private final List<RegionProcess> processes = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean stopping;
  private CassandraLauncher cassandra;

  @Override
  public Integer call() throws Exception {
    Instant start = Instant.now();
    String adminToken = tokenFromEnvironment("MERIDIAN_ADMIN_TOKEN");
    String apiToken = tokenFromEnvironment("MERIDIAN_API_TOKEN");
    Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "demo-shutdown"));

    String sunSchedule = followTheSun == null ? null : sunSchedule(followTheSun, regions);
    if (sunSchedule != null)
      regionJavaOptions.add("-Dmeridian.cohorts.schedules." + SUN_COHORT + "=" + sunSchedule);

    wipe(dataDir);
    Files.createDirectories(dataDir.resolve("logs"));
    log.info("starting Cassandra (data in {})", dataDir.resolve("cassandra"));
    cassandra = CassandraLauncher.builder(dataDir.resolve("cassandra")).build();
    cassandra.start();

    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < regions.size(); i++)
      seeds.add("pekko://meridian@127.0.0.1:" + (baseRemotePort + i));
    for (int i = 0; i < regions.size(); i++) {
      var process =
          new RegionProcess(
              regions.get(i),
              baseHttpPort + i,
              baseRemotePort + i,
              baseManagementPort + i,
              seeds,
              regions,
              cassandra.contactPoint(),
              adminToken,
              apiToken,
              dataDir.resolve("logs"));
      process.javaOptions.addAll(regionJavaOptions);
      processes.add(process);
      process.start();
    }
    Thread supervisor = new Thread(this::superviseForever, "demo-supervisor");
    supervisor.setDaemon(true);

    waitUntilReady();
    if (sunSchedule != null) createSunUsers(apiToken);
    log.info(banner(adminToken, apiToken, Duration.between(start, Instant.now())));
    supervisor.start();
    stopped.await();
    return 0;
  }

  private void waitUntilReady() throws InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + readyTimeout.toNanos();
    for (RegionProcess process : processes) {
      while (!isReady(client, process)) {
        if (!process.isAlive())
          throw new IllegalStateException(
              "region " + process.region + " exited during start; see " + process.logFile);
        if (System.nanoTime() > deadline)
          throw new IllegalStateException(
              "region "
                  + process.region
                  + " not ready after "
                  + readyTimeout
                  + "; see "
                  + process.logFile);
        TimeUnit.MILLISECONDS.sleep(500);
      }
      log.info("region {} ready (HTTP {})", process.region, process.httpPort);
    }
  }

  /**
   * The demo cohort's schedule in the text form of {@code meridian.cohorts.schedules}: a rotation
   * through {@code regions} in order, {@code every} in each; refused here, before anything starts,
   * when the schedule rules refuse it (a period that does not divide 24 h).
   */
  static String sunSchedule(String every, List<String> regions) {
    String schedule = "rotate " + every.strip() + " " + String.join(",", regions);
    try {
      CohortSchedule.parse(schedule, Set.copyOf(regions));
    } catch (CohortSchedule.InvalidSchedule e) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(new DemoCommand()),
          "--follow-the-sun " + every + ": " + e.getMessage());
    }
    return schedule;
  }

  /**
   * Creates sun-1..sun-12 in the demo cohort, each through the region of its index (the cohort puts
   * it in the region whose turn it is); a refusal (503, no answer) is tried again for a while.
   */
  private void createSunUsers(String apiToken) throws InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int created = 0;
    for (int i = 1; i <= SUN_USERS; i++) {
      RegionProcess via = processes.get(i % processes.size());
      String body =
          String.format(
              "{\"userId\":\"sun-%d\",\"homeRegion\":\"%s\",\"cohort\":\"%s\"}",
              i, via.region, SUN_COHORT);
      var request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + via.httpPort + "/v1/users"))
              .timeout(Duration.ofSeconds(10))
              .header("Authorization", "Bearer " + apiToken)
              .header("Content-Type", "application/json")
              .header("Idempotency-Key", "demo-sun-" + i)
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();
      String last = "";
      boolean ok = false;
      while (!ok) {
        try {
          var response = client.send(request, HttpResponse.BodyHandlers.ofString());
          int status = response.statusCode();
          ok = status / 100 == 2 || (status == 409 && response.body().contains("user_exists"));
          if (ok) continue;
          last = status + " " + response.body();
          if (status != 503 && status != 429) break;
        } catch (IOException e) {
          last = e.toString();
        }
        if (System.nanoTime() > deadline) break;
        TimeUnit.MILLISECONDS.sleep(500);
      }
      if (ok) created++;
      else log.warn("user sun-{} not created: {}", i, last);
    }
    log.info(
        "follow the sun: {} users in cohort {} (sun-1..sun-{})", created, SUN_COHORT, SUN_USERS);
  }

  public static boolean isReady(HttpClient client, RegionProcess process) {
    try {
      var request =
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + process.managementPort + "/ready"))
              .timeout(Duration.ofSeconds(3))
              .build();
      return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Restarts region processes that exit, as a Kubernetes Deployment would restart its pod. */
  private void superviseForever() {
    while (!stopping) {
      for (RegionProcess process : processes) {
        if (!stopping && !noRestart && !process.isAlive()) {
          log.warn(
              "region {} process exited (code {}); restarting it",
              process.region,
              process.exitCode());
          try {
            process.start();
          } catch (IOException e) {
            log.error("cannot restart region {}", process.region, e);
          }
        }
      }
      try {
        TimeUnit.SECONDS.sleep(2);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void stopAll() {
    if (stopping) return;
    stopping = true;
    log.info("stopping the demo: {} region processes and Cassandra", processes.size());
    for (RegionProcess process : processes) process.terminate();
    for (RegionProcess process : processes) process.awaitOrKill(Duration.ofSeconds(15));
    if (cassandra != null) cassandra.close();
    stopped.countDown();
    log.info("demo stopped");
  }

  private String banner(String adminToken, String apiToken, Duration took) {
    var first = processes.get(0);
    var second = processes.get(Math.min(1, processes.size() - 1));
    var third = processes.get(Math.min(2, processes.size() - 1));
    StringBuilder out = new StringBuilder();
    out.append("\n\nMeridian is up: ")
        .append(processes.size())
        .append(" regions, ready in ")
        .append(took.toSeconds())
        .append(" s\n\n");
    for (RegionProcess p : processes) {
      out.append(
          String.format(
              "  %-3s  http://127.0.0.1:%d   (management http://127.0.0.1:%d/ready, log %s)%n",
              p.region, p.httpPort, p.managementPort, p.logFile));
    }
    out.append("  Cassandra at ").append(cassandra.contactPoint()).append("\n");
    // The prefixes "Admin token: " and "API token: " are read by ./meridian bench --demo-log.
    out.append("  Admin token: ").append(adminToken).append("   (scopes admin, read)\n");
    out.append("  API token: ").append(apiToken).append("   (scopes read, write, payments)\n\n");
    out.append("Try (every /v1 request needs a token; docs/api.md, Authentication):\n");
    out.append(
        String.format(
            "  export MERIDIAN_API_TOKEN=%s MERIDIAN_ADMIN_TOKEN=%s%n", apiToken, adminToken));
    String api = "-H \"Authorization: Bearer $MERIDIAN_API_TOKEN\"";
    out.append(
        String.format(
            "  curl -i -X POST localhost:%d/v1/users %s -H 'Content-Type: application/json' -d '{\"userId\":\"u-1\",\"homeRegion\":\"%s\"}'%n",
            second.httpPort, api, first.region));
    out.append(
        String.format(
            "  curl -i -X PATCH localhost:%d/v1/users/u-1/profile %s -H 'Content-Type: application/json' -d '{\"displayName\":\"Ada\"}'%n",
            third.httpPort, api));
    out.append(String.format("  curl -i localhost:%d/v1/users/u-1 %s%n", second.httpPort, api));
    out.append(
        String.format(
            "  curl -i -X POST localhost:%d/v1/users/u-1/points %s -H 'Content-Type: application/json' -d '{\"delta\":5}'%n",
            third.httpPort, api));
    out.append(
        String.format(
            "  curl -i -X POST localhost:%d/v1/users/u-1/payments %s -H 'Content-Type: application/json' -d '{\"paymentId\":\"p-1\",\"kind\":\"credit\",\"amount\":\"12.50\"}'%n",
            first.httpPort, api));
    out.append(String.format("  curl -s localhost:%d/v1/regions %s%n", first.httpPort, api));
    out.append(
        String.format(
            "  curl -i -X POST localhost:%d/v1/admin/regions/%s/down -H \"Authorization: Bearer $MERIDIAN_ADMIN_TOKEN\"%n",
            second.httpPort, first.region));
    if (followTheSun != null) out.append(sunBanner(first, second));
    out.append("\nCtrl-C stops everything.\n");
    return out.toString();
  }

  /** How to watch the demo cohort travel (--follow-the-sun). */
  private String sunBanner(RegionProcess first, RegionProcess second) {
    String admin = "-H \"Authorization: Bearer $MERIDIAN_ADMIN_TOKEN\"";
    String api = "-H \"Authorization: Bearer $MERIDIAN_API_TOKEN\"";
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "%nFollow the sun: cohort '%s' rotates %s, %s in each; its members are sun-1..sun-%d.%n",
            SUN_COHORT, String.join(" -> ", regions), followTheSun, SUN_USERS));
    out.append(
        String.format(
            "  curl -s localhost:%d/v1/admin/cohorts/%s %s   (scheduledOwner, nextHandOff, handOff progress)%n",
            first.httpPort, SUN_COHORT, admin));
    out.append(
        String.format(
            "  curl -s localhost:%d/v1/users/sun-1/ownership %s   (moves with reason schedule)%n",
            second.httpPort, api));
    out.append(
        String.format(
            "  curl -s localhost:%d/metrics | grep meridian_cohort   (users moved, move and hand-off durations)%n",
            first.httpPort));
    out.append(
        String.format(
            "  curl -i -X POST localhost:%d/v1/users %s -H 'Content-Type: application/json' -d '{\"userId\":\"sun-13\",\"cohort\":\"%s\"}'%n",
            second.httpPort, api, SUN_COHORT));
    out.append(
        String.format(
            "  console: http://localhost:%d/console/  (paste the admin token; look up sun-1, watch the live events)%n",
            second.httpPort));
    return out.toString();
  }

  /** The variable's value when it is set, else a new token. */
  private static String tokenFromEnvironment(String variable) {
    String token = System.getenv().getOrDefault(variable, "").trim();
    return token.isEmpty() ? newToken() : token;
  }

  /** A bearer token: 256 random bits, URL-safe base64 without padding (43 characters). */
  public static String newToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void wipe(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList())
        Files.deleteIfExists(path);
    }
  }

  /** One region's node process, started with the same class path as the demo. */
  public static final class RegionProcess {
    final String region;
    final int httpPort;
    final int remotePort;
    final int managementPort;
    final List<String> seeds;
    final List<String> allRegions;
    final String cassandraContactPoint;
    final String adminToken;
    final String apiToken;
    final Path logFile;
    final List<String> javaOptions = new ArrayList<>();
    private volatile Process process;
    private int starts;

    public RegionProcess(
        String region,
        int httpPort,
        int remotePort,
        int managementPort,
        List<String> seeds,
        List<String> allRegions,
        String cassandraContactPoint,
        String adminToken,
        String apiToken,
        Path logDir) {
      this.region = region;
      this.allRegions = List.copyOf(allRegions);
      this.httpPort = httpPort;
      this.remotePort = remotePort;
      this.managementPort = managementPort;
      this.seeds = seeds;
      this.cassandraContactPoint = cassandraContactPoint;
      this.adminToken = adminToken;
      this.apiToken = apiToken;
      this.logFile = logDir.resolve(region + ".log");
    }

    public void start() throws IOException {
      // A restarted process must not list itself as the first seed node: the first seed node forms
      // a
      // cluster of its own when no other seed answers within seed-node-timeout (5 s, easily missed
      // on a busy machine while the others still hold its old incarnation), and would never
      // rejoin them.
      List<String> seedOrder = new ArrayList<>(seeds);
      if (starts++ > 0) {
        String self = "pekko://meridian@127.0.0.1:" + remotePort;
        if (seedOrder.remove(self)) seedOrder.add(self);
      }
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command = new ArrayList<>(List.of(java));
      command.addAll(MEASURED_JVM_FLAGS);
      String cassandraClasspath = System.getProperty("cassandra.classpath.file");
      if (cassandraClasspath != null)
        command.add("-Dcassandra.classpath.file=" + cassandraClasspath);
      command.addAll(javaOptions);
      command.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              "io.meridian.Main",
              "node",
              "--region",
              region,
              "--regions",
              String.join(",", allRegions),
              "--http-port",
              Integer.toString(httpPort),
              "--remote-port",
              Integer.toString(remotePort),
              "--management-port",
              Integer.toString(managementPort),
              "--seed-nodes",
              String.join(",", seedOrder),
              "--cassandra-contact-points",
              cassandraContactPoint,
              "--parent-pid",
              Long.toString(ProcessHandle.current().pid())));
      var builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      Map<String, String> env = builder.environment();
      env.put("MERIDIAN_ADMIN_TOKEN", adminToken);
      env.put("MERIDIAN_API_TOKEN", apiToken);
      process = builder.start();
      log.info("region {} started as process {} (log {})", region, process.pid(), logFile);
    }

    public boolean isAlive() {
      Process p = process;
      return p != null && p.isAlive();
    }

    int exitCode() {
      Process p = process;
      return p == null || p.isAlive() ? -1 : p.exitValue();
    }

    public long pid() {
      return process.pid();
    }

    public void terminate() {
      Process p = process;
      if (p != null && p.isAlive()) p.destroy();
    }

    public void awaitOrKill(Duration grace) {
      Process p = process;
      if (p == null) return;
      try {
        if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Reads durations like 30s, 2m, 500ms. */
  public static final class DurationConverter
      implements picocli.CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return com.typesafe.config.ConfigFactory.parseString("d = " + value).getDuration("d");
    }
  }
}
