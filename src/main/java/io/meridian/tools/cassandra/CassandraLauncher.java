package io.meridian.tools.cassandra;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a single-node Apache Cassandra 5.0 on 127.0.0.1 as a child JVM, for the demo and the
 * integration tests (docs/cassandra-embedded.md says where its settings come from, and why).
 *
 * <p>Cassandra gets its own JVM because its jars (netty, guava, jackson, logback) clash with the
 * application's; its class path is the file the Maven build writes ({@value
 * #CLASSPATH_FILE_PROPERTY}). Everything it writes lives in the caller's data folder: {@code
 * cassandra.yaml}, {@code logback.xml}, the data, and {@code logs/cassandra.log} (its console
 * output). {@link #start()} may be called again after {@link #stop()} on the same folder, with the
 * same ports.
 *
 * <p>No orphans: a small shell watchdog kills Cassandra when this JVM dies, even by {@code kill -9}
 * (PR_SET_PDEATHSIG would fire when the spawning <em>thread</em> ends, so it is not used), and a
 * shutdown hook stops it gracefully on a normal exit.
 */
public final class CassandraLauncher implements AutoCloseable {

  public static final String CLASSPATH_FILE_PROPERTY = "cassandra.classpath.file";
  static final String DEFAULT_CLASSPATH_FILE = "target/cassandra.classpath";
  static final String READY_LINE = "Starting listening for CQL clients";
  private static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";
  private static final String HOST = "127.0.0.1";
  private static final Logger log = LoggerFactory.getLogger(CassandraLauncher.class);

  /**
   * How to run it.
   *
   * @param cqlPort native transport port; 0 picks a free one (kept across restarts)
   * @param storagePort inter-node port; 0 picks a free one
   * @param throwAwayData {@code -Dcassandra.unsafesystem=true}: ~0.5–1 s faster start, but schema
   *     changes are not durable, so a restart can lose keyspaces (docs/cassandra-embedded.md,
   *     Throw-away data). Only for a fresh folder that is never started twice.
   * @param startTimeout how long to wait for "Starting listening for CQL clients"
   * @param stopTimeout how long a graceful stop (SIGTERM) may take before the process is killed
   */
  public record Options(
      int cqlPort,
      int storagePort,
      boolean throwAwayData,
      Duration startTimeout,
      Duration stopTimeout) {
    public static Options defaults() {
      return new Options(0, 0, false, Duration.ofSeconds(120), Duration.ofSeconds(15));
    }

    public Options withPorts(int cqlPort, int storagePort) {
      return new Options(cqlPort, storagePort, throwAwayData, startTimeout, stopTimeout);
    }

    public Options withThrowAwayData(boolean throwAwayData) {
      return new Options(cqlPort, storagePort, throwAwayData, startTimeout, stopTimeout);
    }

    public Options withStartTimeout(Duration startTimeout) {
      return new Options(cqlPort, storagePort, throwAwayData, startTimeout, stopTimeout);
    }
  }

  private final Path dataDir;
  private final Options options;
  private final int cqlPort;
  private final int storagePort;
  private final Path consoleLog;
  private final Thread shutdownHook = new Thread(this::stopQuietly, "cassandra-launcher-shutdown");
  private boolean hookRegistered;
  // volatile: the shutdown hook reads them without the lock (a start may hold it for minutes).
  private volatile Process process;
  private volatile Process watchdog;

  public CassandraLauncher(Path dataDir, Options options) {
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.options = options;
    this.cqlPort = options.cqlPort() > 0 ? options.cqlPort() : freePort();
    int storage = options.storagePort() > 0 ? options.storagePort() : freePort();
    while (storage == cqlPort) storage = freePort();
    this.storagePort = storage;
    this.consoleLog = this.dataDir.resolve("logs").resolve("cassandra.log");
  }

  public CassandraLauncher(Path dataDir) {
    this(dataDir, Options.defaults());
  }

  /** {@code CassandraLauncher.builder(dir).cqlPort(9042).build()}; unset ports are chosen free. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  public static final class Builder {
    private final Path dataDir;
    private Options options = Options.defaults();

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
    }

    public Builder cqlPort(int port) {
      options = options.withPorts(port, options.storagePort());
      return this;
    }

    public Builder storagePort(int port) {
      options = options.withPorts(options.cqlPort(), port);
      return this;
    }

    /** See {@link Options#throwAwayData()}: only for a fresh folder that is never restarted. */
    public Builder throwAwayData(boolean throwAwayData) {
      options = options.withThrowAwayData(throwAwayData);
      return this;
    }

    public Builder startTimeout(Duration timeout) {
      options = options.withStartTimeout(timeout);
      return this;
    }

    public CassandraLauncher build() {
      return new CassandraLauncher(dataDir, options);
    }
  }

  /** Starts Cassandra and returns once it accepts CQL clients. */
  public synchronized CassandraLauncher start() {
    if (isRunning())
      throw new IllegalStateException("Cassandra is already running (pid " + process.pid() + ")");
    stopWatchdog(); // left from a Cassandra that died on its own
    String classPath = readClassPath();
    try {
      for (String dir : List.of("data", "commitlog", "saved_caches", "hints", "cdc_raw", "logs")) {
        Files.createDirectories(dataDir.resolve(dir));
      }
      Files.writeString(dataDir.resolve("cassandra.yaml"), yaml());
      Files.writeString(dataDir.resolve("logback.xml"), LOGBACK);
      // An @argfile keeps the 10 kB class path out of `ps` while the main class stays visible
      // there.
      Files.writeString(
          dataDir.resolve("classpath.args"), "-cp \"" + classPath.replace("\\", "\\\\") + "\"\n");
      long logOffset = Files.exists(consoleLog) ? Files.size(consoleLog) : 0;
      long started = System.nanoTime();
      process =
          new ProcessBuilder(command())
              .directory(dataDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()))
              .start();
      process.getOutputStream().close();
      watchdog = startWatchdog(process.pid());
      if (!hookRegistered) {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        hookRegistered = true;
      }
      log.info(
          "Cassandra starting: pid {}, CQL {}, storage port {}, data {}",
          process.pid(),
          contactPoint(),
          storagePort,
          dataDir);
      awaitReady(logOffset);
      log.info(
          "Cassandra ready in {} ms (pid {}, {})",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          process.pid(),
          contactPoint());
      return this;
    } catch (IOException e) {
      killNow();
      throw new UncheckedIOException("could not start Cassandra in " + dataDir, e);
    } catch (RuntimeException e) {
      killNow();
      throw e;
    }
  }

  /**
   * Graceful stop: SIGTERM, then a forced kill after {@code stopTimeout}. Does nothing when not
   * running.
   */
  public synchronized void stop() {
    if (process == null) return;
    long started = System.nanoTime();
    long pid = process.pid();
    try {
      if (process.isAlive()) {
        process.destroy(); // SIGTERM: Cassandra drains and flushes
        if (!process.waitFor(options.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn(
              "Cassandra (pid {}) did not stop within {}; killing it", pid, options.stopTimeout());
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      stopWatchdog();
      process = null;
      unregisterHook();
    }
    log.info(
        "Cassandra (pid {}) stopped in {} ms",
        pid,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  /** Crash: SIGKILL, no drain (for fault tests). Start again on the same folder to recover. */
  public synchronized void kill() {
    if (process == null) return;
    long pid = process.pid();
    killNow();
    log.info("Cassandra (pid {}) killed", pid);
  }

  @Override
  public void close() {
    stop();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** "127.0.0.1:port", the form of {@code datastax-java-driver.basic.contact-points}. */
  public String contactPoint() {
    return HOST + ":" + cqlPort;
  }

  public int cqlPort() {
    return cqlPort;
  }

  public int storagePort() {
    return storagePort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The pid of the running Cassandra JVM. */
  public synchronized long pid() {
    if (process == null) throw new IllegalStateException("Cassandra is not running");
    return process.pid();
  }

  // ---------------------------------------------------------------- process

  private List<String> command() throws IOException {
    var command = new ArrayList<String>();
    if (isRoot() && Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
      // As root Cassandra's mlockall() succeeds and pins all mapped memory (~+300 MiB RSS); without
      // CAP_IPC_LOCK it fails with a harmless warning (docs/cassandra-embedded.md, mlockall as
      // root).
      command.addAll(List.of("/usr/bin/setpriv", "--bounding-set", "-ipc_lock"));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_FLAGS);
    // Extra flags after the defaults (HotSpot takes the last of a repeated flag), e.g. another GC
    // pause target for a bench A/B: -Dmeridian.cassandra.jvm-options="-XX:MaxGCPauseMillis=50".
    String extra = System.getProperty("meridian.cassandra.jvm-options", "").trim();
    if (!extra.isEmpty()) command.addAll(List.of(extra.split("\\s+")));
    command.add("-Dmeridian.cassandra=" + dataDir); // tells our Cassandra apart in `ps`
    command.add("-Dcassandra.config=" + dataDir.resolve("cassandra.yaml").toUri());
    command.add("-Dcassandra-foreground=yes");
    command.add("-Dcassandra.storagedir=" + dataDir);
    command.add("-Dcassandra.logdir=" + dataDir.resolve("logs"));
    command.add("-Dlogback.configurationFile=" + dataDir.resolve("logback.xml"));
    // Cassandra waits for gossip to settle unless its address is exactly 127.0.0.1
    // (docs/cassandra-embedded.md, Gossip settle wait).
    command.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    if (options.throwAwayData()) command.add("-Dcassandra.unsafesystem=true");
    command.add("@" + dataDir.resolve("classpath.args"));
    command.add(MAIN_CLASS);
    return command;
  }

  /**
   * Kills Cassandra once this JVM is gone (polls every second); exits by itself when Cassandra has
   * stopped. {@link #stop()} kills it too, so it never outlives the Cassandra it watches.
   */
  private static Process startWatchdog(long cassandraPid) throws IOException {
    long parentPid = ProcessHandle.current().pid();
    String script =
        "p="
            + parentPid
            + "; c="
            + cassandraPid
            + "\n"
            + "while kill -0 $p 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 1; done\n"
            + "kill -0 $p 2>/dev/null || kill -9 $c 2>/dev/null\n";
    return new ProcessBuilder("sh", "-c", script)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  private void awaitReady(long logOffset) {
    long deadline = System.nanoTime() + options.startTimeout().toNanos();
    long position = logOffset;
    String carry = "";
    while (true) {
      byte[] fresh = readFrom(position);
      position += fresh.length;
      // The line is ASCII: decoding byte for byte never splits or alters it.
      String text = carry + new String(fresh, StandardCharsets.ISO_8859_1);
      if (text.contains(READY_LINE)) return;
      carry = text.substring(Math.max(0, text.length() - READY_LINE.length()));
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Cassandra exited with code "
                + process.exitValue()
                + " before it was ready; last lines of "
                + consoleLog
                + ":\n"
                + tail(logOffset));
      }
      if (System.nanoTime() > deadline) {
        killNow();
        throw new IllegalStateException(
            "Cassandra was not ready within "
                + options.startTimeout()
                + " (killed it); last lines of "
                + consoleLog
                + ":\n"
                + tail(logOffset));
      }
      try {
        Thread.sleep(50); // polling a log file: there is nothing to wait on
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Cassandra", e);
      }
    }
  }

  private byte[] readFrom(long position) {
    try (var file = new RandomAccessFile(consoleLog.toFile(), "r")) {
      long length = file.length();
      if (length <= position) return new byte[0];
      byte[] bytes = new byte[(int) Math.min(length - position, 1 << 20)];
      file.seek(position);
      file.readFully(bytes);
      return bytes;
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private String tail(long fromOffset) {
    try {
      byte[] all = Files.readAllBytes(consoleLog);
      int from = (int) Math.max(fromOffset, all.length - 64 * 1024);
      List<String> lines =
          Arrays.asList(
              new String(all, from, all.length - from, StandardCharsets.UTF_8).split("\n"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(could not read " + consoleLog + ": " + e + ")";
    }
  }

  private void killNow() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
    stopWatchdog();
    unregisterHook();
  }

  private void stopWatchdog() {
    if (watchdog != null) {
      watchdog.destroyForcibly();
      watchdog = null;
    }
  }

  private void unregisterHook() {
    if (!hookRegistered) return;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook itself is running (or about to): nothing to remove.
    }
    hookRegistered = false;
  }

  /** At JVM exit: the same as {@link #stop()}, but without the lock, which a start may hold. */
  private void stopQuietly() {
    Process running = process;
    if (running == null) return;
    try {
      running.destroy();
      if (!running.waitFor(options.stopTimeout().toMillis(), TimeUnit.MILLISECONDS))
        running.destroyForcibly();
    } catch (InterruptedException e) {
      running.destroyForcibly();
    } finally {
      Process dog = watchdog;
      if (dog != null) dog.destroyForcibly();
    }
  }

  // ---------------------------------------------------------------- class path, config

  /** The jars of cassandra-all and its dependencies, as written by the Maven build. */
  static String readClassPath() {
    Path file =
        Path.of(System.getProperty(CLASSPATH_FILE_PROPERTY, DEFAULT_CLASSPATH_FILE))
            .toAbsolutePath();
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          "Cassandra class path file "
              + file
              + " is missing. Run the Maven build first (e.g. `mvn -B generate-resources` or `mvn -B package`"
              + " in the project folder), which writes it, or point -D"
              + CLASSPATH_FILE_PROPERTY
              + " at it.");
    }
    try {
      List<String> jars =
          Arrays.stream(Files.readString(file).trim().split(java.io.File.pathSeparator))
              .filter(entry -> !entry.isBlank())
              .filter(entry -> !isBuildToolJar(Path.of(entry).getFileName().toString()))
              .collect(Collectors.toList());
      if (jars.stream()
          .noneMatch(jar -> Path.of(jar).getFileName().toString().startsWith("cassandra-all-"))) {
        throw new IllegalStateException(
            "Cassandra class path file "
                + file
                + " names no cassandra-all jar; rerun the Maven build");
      }
      for (String jar : jars) {
        if (!Files.exists(Path.of(jar))) {
          throw new IllegalStateException(
              "Cassandra class path file "
                  + file
                  + " names "
                  + jar
                  + ", which does not exist; rerun the Maven build");
        }
      }
      return String.join(java.io.File.pathSeparator, jars);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file, e);
    }
  }

  /**
   * The antrun plugin that writes the file puts its own jars (ant, plexus) on the list; Cassandra
   * needs none of them.
   */
  private static boolean isBuildToolJar(String name) {
    return name.startsWith("maven-antrun-plugin-")
        || name.startsWith("ant-1.")
        || name.startsWith("ant-launcher-")
        || name.startsWith("plexus-utils-");
  }

  private String yaml() {
    String data = dataDir.toString();
    // Single node, fixed token, no bootstrap: the fastest start. auto_snapshot off, or
    // DROP/TRUNCATE
    // flush and snapshot and outlast the driver's request timeout (docs/cassandra-embedded.md,
    // cassandra.yaml).
    return """
        cluster_name: meridian
        num_tokens: 1
        initial_token: 0
        auto_bootstrap: false
        seed_provider:
          - class_name: org.apache.cassandra.locator.SimpleSeedProvider
            parameters:
              - seeds: "%1$s:%3$d"
        listen_address: %1$s
        rpc_address: %1$s
        storage_port: %3$d
        native_transport_port: %2$d
        endpoint_snitch: SimpleSnitch
        partitioner: org.apache.cassandra.dht.Murmur3Partitioner
        data_file_directories: ["%4$s/data"]
        commitlog_directory: "%4$s/commitlog"
        saved_caches_directory: "%4$s/saved_caches"
        hints_directory: "%4$s/hints"
        cdc_raw_directory: "%4$s/cdc_raw"
        commitlog_sync: periodic
        commitlog_sync_period: 10000ms
        storage_compatibility_mode: NONE
        auto_snapshot: false
        """
        .formatted(HOST, cqlPort, storagePort, data);
  }

  // logback 1.5 rejects %date{HH:mm:ss,SSS} and then Cassandra dies silently
  // (docs/cassandra-embedded.md, Logback date pattern).
  private static final String LOGBACK =
      """
      <configuration>
        <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
          <encoder><pattern>%date{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
        </appender>
        <root level="INFO"><appender-ref ref="STDOUT"/></root>
      </configuration>
      """;

  /**
   * From Cassandra's conf/jvm17-server.options and jvm-server.options (docs/cassandra-embedded.md,
   * JVM flags).
   */
  private static final List<String> JVM_FLAGS =
      List.of(
          "-Xms256m",
          "-Xmx512m",
          "-Xss256k",
          "-ea",
          "-da:net.openhft...",
          "-XX:+UseThreadPriorities",
          "-XX:+HeapDumpOnOutOfMemoryError",
          "-XX:+PerfDisableSharedMem",
          "-XX:+UseTLAB",
          "-XX:+ResizeTLAB",
          "-XX:+UseG1GC",
          "-XX:+ParallelRefProcEnabled",
          "-XX:MaxTenuringThreshold=1",
          "-XX:G1HeapRegionSize=16m",
          "-XX:G1RSetUpdatingPauseTimePercent=5",
          "-XX:MaxGCPauseMillis=300",
          "-XX:InitiatingHeapOccupancyPercent=70",
          "-Djava.net.preferIPv4Stack=true",
          "-Djdk.attach.allowAttachSelf=true",
          "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
          "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
          "--add-exports=java.sql/java.sql=ALL-UNNAMED",
          "--add-exports=java.base/java.lang.ref=ALL-UNNAMED",
          "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
          "--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
          "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "-Dio.netty.tryReflectionSetAccessible=true",
          "-Dio.netty.allocator.useCacheForAllThreads=true",
          "-Dio.netty.allocator.maxOrder=11");

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static int freePort() {
    try (var socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + HOST, e);
    }
  }
}
