package io.meridian.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The running system the bench drives: each endpoint's region (asked with {@code GET /v1/regions}),
 * the regions' failover successors, and, for the demo on this machine, the process behind an
 * endpoint and the Cassandra it uses (read from {@code /proc}, Linux only).
 */
final class Target {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Region(String name, URI endpoint) {}

  final List<Region> regions;

  /** Region name to its failover successor, as the first endpoint sees it. */
  final Map<String, String> successors;

  private Target(List<Region> regions, Map<String, String> successors) {
    this.regions = List.copyOf(regions);
    this.successors = successors;
  }

  static Target discover(List<URI> endpoints, HttpClient client, String apiToken)
      throws IOException, InterruptedException {
    List<Region> regions = new ArrayList<>();
    Map<String, String> successors = new LinkedHashMap<>();
    for (URI endpoint : endpoints) {
      requireLoopback(endpoint);
      HttpRequest request =
          HttpRequest.newBuilder(endpoint.resolve("/v1/regions"))
              .timeout(Duration.ofSeconds(10))
              .header("Authorization", "Bearer " + apiToken)
              .build();
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 401)
        throw new IOException(
            endpoint
                + "/v1/regions answered 401: pass --api-token (or set MERIDIAN_API_TOKEN, or --demo-log)");
      if (response.statusCode() != 200)
        throw new IOException(endpoint + "/v1/regions answered " + response.statusCode());
      JsonNode body = JSON.readTree(response.body());
      regions.add(new Region(body.path("servedBy").asText(), endpoint));
      if (successors.isEmpty()) {
        for (JsonNode region : body.path("regions"))
          successors.put(region.path("region").asText(), region.path("successor").asText(null));
      }
    }
    return new Target(regions, successors);
  }

  /** The bench only ever talks to this machine. */
  static void requireLoopback(URI endpoint) {
    try {
      if (endpoint.getHost() == null
          || !InetAddress.getByName(endpoint.getHost()).isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "endpoint " + endpoint + " is not a loopback address; the bench only drives 127.0.0.1");
      }
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve " + endpoint, e);
    }
  }

  Region region(String name) {
    return regions.stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no endpoint serves region " + name + "; regions: " + names()));
  }

  List<String> names() {
    return regions.stream().map(Region::name).toList();
  }

  /**
   * The process listening on {@code port} on this machine: the inode of the listening socket from
   * {@code /proc/net/tcp[6]}, then the process holding a descriptor on it. Only processes of this
   * user are visible, which is the demo's case.
   */
  static OptionalLong pidListeningOn(int port) {
    Optional<String> inode =
        listeningInode(Path.of("/proc/net/tcp"), port)
            .or(() -> listeningInode(Path.of("/proc/net/tcp6"), port));
    if (inode.isEmpty()) return OptionalLong.empty();
    String link = "socket:[" + inode.get() + "]";
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc :
          procs
              .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
              .toList()) {
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
          for (Path fd : (Iterable<Path>) fds::iterator) {
            try {
              if (Files.readSymbolicLink(fd).toString().equals(link))
                return OptionalLong.of(Long.parseLong(proc.getFileName().toString()));
            } catch (IOException ignored) {
              // the descriptor closed meanwhile
            }
          }
        } catch (IOException | SecurityException ignored) {
          // another user's process, or gone
        }
      }
    } catch (IOException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  private static Optional<String> listeningInode(Path table, int port) {
    String hexPort = String.format(Locale.ROOT, ":%04X", port);
    try {
      for (String line : Files.readAllLines(table)) {
        String[] f = line.trim().split("\\s+");
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) return Optional.of(f[9]);
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * {@code --cassandra-contact-points host:port} from a node process's command line (the demo
   * passes it).
   */
  static Optional<String> cassandraOfProcess(long pid) {
    try {
      String[] args =
          new String(
                  Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                  StandardCharsets.UTF_8)
              .split("\0");
      for (int i = 0; i + 1 < args.length; i++) {
        if (args[i].equals("--cassandra-contact-points"))
          return Optional.of(args[i + 1].split(",")[0]);
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** The first match of {@code pattern}'s group 1 in the demo's output (its banner). */
  static Optional<String> fromDemoLog(Path log, Pattern pattern) {
    try {
      Matcher matcher = pattern.matcher(Files.readString(log, StandardCharsets.UTF_8));
      String last = null;
      while (matcher.find()) last = matcher.group(1);
      return Optional.ofNullable(last);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
