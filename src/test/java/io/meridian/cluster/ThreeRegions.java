package io.meridian.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.cassandra.RegionJournals;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.topology.Regions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import scala.concurrent.Await;

/**
 * Several regions in one JVM: one actor system per region (= data center) on loopback, each a full
 * Meridian node (sharding, HTTP API, region directory) against a real Cassandra, with its own
 * keyspace prefix per test class. Stopping a region {@link #kill}s it like a crash (no graceful
 * leave), {@link #restart} brings a new incarnation on the same ports, and {@link #isolate} cuts a
 * region off from the others with Artery's test-mode blackhole.
 */
public final class ThreeRegions implements AutoCloseable {

  public static final List<String> REGIONS = List.of("us", "eu", "ap");

  /**
   * The bearer token of the caller every in-JVM node knows ({@code meridian.api.token}: read,
   * write, payments); {@link #send} sends it unless the request names its own {@code
   * Authorization}.
   */
  public static final String API_TOKEN = "in-jvm-api-token";

  /**
   * What every node started inside a test JVM needs: no JVM exit, one JMX bean set per system,
   * Artery's test mode (for the blackhole), quick seed retries, terminate() as a crash, and the
   * test clients' caller ({@link #API_TOKEN}).
   */
  public static final String IN_JVM_NODE =
      """
      meridian.api.token = "%s"
      pekko.coordinated-shutdown.exit-jvm = off
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      # terminate() is a crash: no graceful leave, the others see the node unreachable
      pekko.coordinated-shutdown.run-by-actor-system-terminate = off
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.remote.artery.advanced.test-mode = on
      pekko.cluster.seed-node-timeout = 2s
      pekko.cluster.retry-unsuccessful-join-after = 2s
      """
          .formatted(API_TOKEN);

  private final CassandraLauncher cassandra;
  private final String keyspacePrefix;
  private final String extraConfig;
  private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
  private final Map<String, Integer> remotePorts = new LinkedHashMap<>();
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ThreeRegions(CassandraLauncher cassandra, String keyspacePrefix, String extraConfig) {
    this.cassandra = cassandra;
    this.keyspacePrefix = keyspacePrefix;
    this.extraConfig = extraConfig;
    ContractRecorder.start(keyspacePrefix);
    for (String region : REGIONS) {
      httpPorts.put(region, FreePorts.one());
      remotePorts.put(region, FreePorts.one());
    }
  }

  /** Starts all regions and waits until they are Up in one cluster and ready. */
  public static ThreeRegions start(
      CassandraLauncher cassandra, String keyspacePrefix, String extraConfig) {
    var regions = new ThreeRegions(cassandra, keyspacePrefix, extraConfig);
    try {
      for (String region : REGIONS) regions.nodes.put(region, regions.startNode(region));
      for (String region : REGIONS) regions.awaitReady(region, Duration.ofSeconds(120));
      return regions;
    } catch (RuntimeException e) {
      regions.close();
      throw e;
    }
  }

  public Config config(String region) {
    Map<String, Object> overrides = new LinkedHashMap<>();
    overrides.put("meridian.region", region);
    overrides.put("meridian.http.port", httpPorts.get(region));
    overrides.put("pekko.remote.artery.canonical.port", remotePorts.get(region));
    overrides.put(
        "pekko.cluster.seed-nodes",
        REGIONS.stream().map(r -> "pekko://meridian@127.0.0.1:" + remotePorts.get(r)).toList());
    overrides.put("meridian.cassandra.keyspace-prefix", keyspacePrefix);
    overrides.put("meridian.management.enabled", false);
    Config loaded =
        ConfigFactory.parseString(extraConfig)
            .withFallback(ConfigFactory.parseString(IN_JVM_NODE))
            .withFallback(NodeLauncher.load(overrides));
    return RegionJournals.withRegionJournals(
        loaded.resolve(),
        Regions.fromConfig(loaded.getConfig("meridian")),
        Optional.of(cassandra.contactPoint()));
  }

  private Node startNode(String region) {
    return Node.start(config(region));
  }

  public Node node(String region) {
    Node node = nodes.get(region);
    if (node == null) throw new IllegalStateException("region " + region + " is not running");
    return node;
  }

  public URI uri(String region, String path) {
    return URI.create("http://127.0.0.1:" + httpPorts.get(region) + path);
  }

  public HttpClient client() {
    return http;
  }

  /**
   * Sends a request to {@code region}'s HTTP API as the caller of {@link #API_TOKEN}, or with the
   * {@code Authorization} header given in {@code headers}; body may be null.
   */
  public HttpResponse<String> send(
      String region, String method, String path, String body, String... headers) {
    return recorded(request(region, method, path, body, headers), body);
  }

  /** The same request without any credential. */
  public HttpResponse<String> sendWithoutCredential(
      String region, String method, String path, String body) {
    return recorded(builder(region, method, path, body).build(), body);
  }

  /** Sent, and kept for the contract tests ({@link ContractRecorder}, named by keyspace prefix). */
  private HttpResponse<String> recorded(HttpRequest request, String body) {
    HttpResponse<String> response = send(request);
    ContractRecorder.record(keyspacePrefix, request, body, response);
    return response;
  }

  /** The name under which {@link ContractRecorder} keeps this instance's exchanges. */
  public String recordingName() {
    return keyspacePrefix;
  }

  /**
   * The request {@link #send} sends: {@code headers} as name, value pairs, and {@code
   * Authorization: Bearer} {@link #API_TOKEN} unless they name an {@code Authorization}.
   */
  public HttpRequest request(
      String region, String method, String path, String body, String... headers) {
    var builder = builder(region, method, path, body);
    boolean credential = false;
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
      credential |= headers[i].equalsIgnoreCase("Authorization");
    }
    if (!credential) builder.header("Authorization", "Bearer " + API_TOKEN);
    return builder.build();
  }

  private HttpRequest.Builder builder(String region, String method, String path, String body) {
    var builder = HttpRequest.newBuilder(uri(region, path)).timeout(Duration.ofSeconds(30));
    builder.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) builder.header("Content-Type", "application/json");
    return builder;
  }

  private HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until the region's node is Up, its journals answered (what /ready checks, minus
   * management) and it has read the region directory from a majority (before that it refuses
   * single-writer writes with 503 ownership_unconfirmed).
   */
  public void awaitReady(String region, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Node node = node(region);
    while (true) {
      var state = NodeState.get(node.system());
      boolean up = Cluster.get(node.system()).selfMember().status() == MemberStatus.up();
      if (up
          && state.journalsWarm.get()
          && state.httpBound.get()
          && node.regionService().directoryConfirmed()) return;
      if (System.nanoTime() > deadline)
        throw new AssertionError("region " + region + " not ready within " + timeout);
      sleepMillis(200);
    }
  }

  /**
   * Terminates the region's actor system without leaving the cluster: what the others see of a
   * crash.
   */
  public void kill(String region) {
    Node node = nodes.remove(region);
    if (node == null) return;
    node.system().terminate();
    try {
      Await.result(
          Adapter.toClassic(node.system()).whenTerminated(),
          scala.concurrent.duration.Duration.create(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("region " + region + " did not terminate", e);
    }
  }

  /** A new incarnation of the region on the same ports (as a restarted pod). */
  public Node restart(String region) {
    kill(region);
    Node node = startNode(region);
    nodes.put(region, node);
    return node;
  }

  /** Cuts {@code region} off from every other running region, in both directions. */
  public void isolate(String region) {
    throttle(region, ThrottlerTransportAdapter.blackholeThrottleMode());
  }

  public void heal(String region) {
    throttle(region, ThrottlerTransportAdapter.unthrottledThrottleMode());
  }

  private void throttle(String region, ThrottlerTransportAdapter.ThrottleMode mode) {
    Node cut = node(region);
    for (var entry : nodes.entrySet()) {
      if (entry.getKey().equals(region)) continue;
      setThrottle(cut, addressOf(entry.getValue()), mode);
      setThrottle(entry.getValue(), addressOf(cut), mode);
    }
  }

  private static Address addressOf(Node node) {
    return Cluster.get(node.system()).selfMember().address();
  }

  private static void setThrottle(
      Node from, Address to, ThrottlerTransportAdapter.ThrottleMode mode) {
    var classic = Adapter.toClassic(from.system());
    var command =
        new ThrottlerTransportAdapter.SetThrottle(
            to, ThrottlerTransportAdapter.bothDirection(), mode);
    try {
      Await.result(
          ((RARP) RARP.get(classic)).provider().transport().managementCommand(command),
          scala.concurrent.duration.Duration.create(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("cannot throttle " + to, e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** A response body as JSON; a body that is not JSON fails the test with the body shown. */
  public static com.fasterxml.jackson.databind.JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + response.body(), e);
    }
  }

  public List<String> running() {
    return new ArrayList<>(nodes.keySet());
  }

  @Override
  public void close() {
    for (String region : new ArrayList<>(nodes.keySet())) {
      try {
        kill(region);
      } catch (RuntimeException e) {
        // keep closing the others
      }
    }
  }

  public static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
