package io.meridian.tools.bench;

import io.meridian.tools.demo.DemoCommand;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-region baseline that isolates the cost of replication: Meridian itself (the same node
 * process, HTTP API, sharding, entity and journal) configured with one region, so nothing
 * replicates, on the system's Cassandra, started with the regions' JVM flags. Its own cluster (its
 * own seed), its own keyspace ({@code meridian_solo}).
 */
final class SoloRegion implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");
  static final String REGION = "solo";

  private final DemoCommand.RegionProcess process;
  final URI endpoint;

  private SoloRegion(DemoCommand.RegionProcess process, URI endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  static SoloRegion start(
      String cassandraAt, String adminToken, String apiToken, Path logDir, Duration readyTimeout)
      throws IOException, InterruptedException {
    Files.createDirectories(logDir);
    int httpPort = freePort();
    int remotePort = freePort();
    int managementPort = freePort();
    var process =
        new DemoCommand.RegionProcess(
            REGION,
            httpPort,
            remotePort,
            managementPort,
            List.of("pekko://meridian@127.0.0.1:" + remotePort),
            List.of(REGION),
            cassandraAt,
            adminToken,
            apiToken,
            logDir);
    process.start();
    SoloRegion solo = new SoloRegion(process, URI.create("http://127.0.0.1:" + httpPort));
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + readyTimeout.toNanos();
    while (!DemoCommand.isReady(client, process)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        solo.close();
        throw new IllegalStateException(
            "the single-region baseline did not become ready; see "
                + logDir.resolve(REGION + ".log"));
      }
      TimeUnit.MILLISECONDS.sleep(300);
    }
    log.info(
        "single-region Meridian baseline ready: process {}, HTTP {}", process.pid(), solo.endpoint);
    return solo;
  }

  long pid() {
    return process.pid();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.terminate();
    process.awaitOrKill(Duration.ofSeconds(15));
  }
}
