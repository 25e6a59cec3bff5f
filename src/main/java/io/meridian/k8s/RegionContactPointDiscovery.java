package io.meridian.k8s;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.discovery.Lookup;
import org.apache.pekko.discovery.ServiceDiscovery;
import org.apache.pekko.dispatch.Dispatchers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.concurrent.Future;
import scala.concurrent.duration.FiniteDuration;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Contact points for cluster bootstrap across regions: this region's pods (Kubernetes API
 * discovery) together with the management endpoints of the other regions.
 *
 * <p>Pekko's own discovery methods cannot express this: {@code aggregate} returns the first method
 * that finds anything (the local pods always win), and {@code config} takes fixed endpoint objects
 * that an environment variable cannot fill. Cluster bootstrap joins through any contact point that
 * reports seed nodes, so a new pod, or a whole region coming back, joins the running cluster
 * through whichever region answers; forming a new cluster stays off except for the very first
 * deployment.
 *
 * <p>Configured under {@code pekko.discovery.meridian-regions} (conf/kubernetes.conf): {@code
 * local-method} (the discovery method for this region's pods), {@code contact-points}
 * (comma-separated {@code host[:port]} of the other regions) and {@code default-port}. Every
 * address a contact point name resolves to is one target; names that do not resolve are skipped,
 * since a region that is down must not stop the others from joining.
 */
public final class RegionContactPointDiscovery extends ServiceDiscovery {
  private static final Logger log = LoggerFactory.getLogger(RegionContactPointDiscovery.class);
  public static final String CONFIG_PATH = "pekko.discovery.meridian-regions";

  /** One configured contact point of another region. */
  public record ContactPoint(String host, int port) {
    /** Parses {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}. */
    public static ContactPoint parse(String text, int defaultPort) {
      String s = text.trim();
      if (s.startsWith("[")) {
        int close = s.indexOf(']');
        if (close < 0)
          throw new IllegalArgumentException("unclosed '[' in contact point '" + text + "'");
        String host = s.substring(1, close);
        String rest = s.substring(close + 1);
        if (rest.isEmpty()) return new ContactPoint(host, defaultPort);
        if (!rest.startsWith(":"))
          throw new IllegalArgumentException(
              "expected ':port' after ']' in contact point '" + text + "'");
        return new ContactPoint(host, port(rest.substring(1), text));
      }
      int colon = s.lastIndexOf(':');
      if (colon < 0) return new ContactPoint(s, defaultPort);
      if (s.indexOf(':') != colon)
        throw new IllegalArgumentException(
            "IPv6 contact point '" + text + "' must be written as [address]:port");
      return new ContactPoint(s.substring(0, colon), port(s.substring(colon + 1), text));
    }

    /** The comma-separated list of {@code contact-points}; blank entries are ignored. */
    public static List<ContactPoint> parseList(String csv, int defaultPort) {
      return Arrays.stream(csv.split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .map(s -> parse(s, defaultPort))
          .toList();
    }

    private static int port(String digits, String text) {
      try {
        int port = Integer.parseInt(digits);
        if (port < 1 || port > 65535) throw new NumberFormatException();
        return port;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid port in contact point '" + text + "'");
      }
    }
  }

  private final ExtendedActorSystem system;
  private final String localMethod;
  private final List<ContactPoint> contactPoints;
  private final Executor blockingExecutor;

  public RegionContactPointDiscovery(ExtendedActorSystem system) {
    this.system = system;
    Config config = system.settings().config().getConfig(CONFIG_PATH);
    this.localMethod = config.getString("local-method");
    this.contactPoints =
        ContactPoint.parseList(config.getString("contact-points"), config.getInt("default-port"));
    // InetAddress lookups block.
    this.blockingExecutor = system.dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
    log.info(
        "Bootstrap contact points: pods of this region via [{}], other regions {}",
        localMethod,
        contactPoints);
  }

  public List<ContactPoint> contactPoints() {
    return contactPoints;
  }

  @Override
  public Future<Resolved> lookup(Lookup lookup, FiniteDuration resolveTimeout) {
    Duration timeout = Duration.ofNanos(resolveTimeout.toNanos());
    CompletableFuture<List<ResolvedTarget>> local = localTargets(lookup, resolveTimeout);
    List<CompletableFuture<List<ResolvedTarget>>> remote =
        contactPoints.stream().map(cp -> resolve(cp, timeout)).toList();
    CompletionStage<Resolved> all =
        CompletableFuture.allOf(remote.toArray(CompletableFuture[]::new))
            .thenCombine(
                local,
                (ignored, localTargets) -> {
                  // Keyed by host and port: a pod of this region is found once, however many ways.
                  Map<String, ResolvedTarget> targets = new LinkedHashMap<>();
                  localTargets.forEach(t -> targets.putIfAbsent(key(t), t));
                  remote.forEach(r -> r.join().forEach(t -> targets.putIfAbsent(key(t), t)));
                  return new Resolved(
                      lookup.serviceName(),
                      CollectionConverters.asScala(new ArrayList<>(targets.values())).toList());
                });
    return FutureConverters.asScala(all);
  }

  private CompletableFuture<List<ResolvedTarget>> localTargets(
      Lookup lookup, FiniteDuration resolveTimeout) {
    CompletableFuture<Resolved> resolved;
    try {
      resolved =
          FutureConverters.asJava(
                  Discovery.get(system)
                      .loadServiceDiscovery(localMethod)
                      .lookup(lookup, resolveTimeout))
              .toCompletableFuture();
    } catch (Exception e) {
      // Loading kubernetes-api reads the ServiceAccount's files and may throw (checked) I/O errors.
      resolved = CompletableFuture.failedFuture(e);
    }
    // Without this region's pods the other regions may still let this node join; it can never
    // form a new cluster then, because it is not among its own contact points.
    return resolved
        .thenApply(r -> List.copyOf(r.getAddresses()))
        .exceptionally(
            e -> {
              log.warn(
                  "Looking up this region's pods with [{}] failed: {}", localMethod, e.toString());
              return List.of();
            });
  }

  private CompletableFuture<List<ResolvedTarget>> resolve(ContactPoint cp, Duration timeout) {
    return CompletableFuture.supplyAsync(() -> resolveNow(cp), blockingExecutor)
        .completeOnTimeout(List.of(), timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(e -> List.of());
  }

  private static List<ResolvedTarget> resolveNow(ContactPoint cp) {
    try {
      return Arrays.stream(InetAddress.getAllByName(cp.host()))
          .map(
              address ->
                  new ResolvedTarget(
                      address.getHostAddress(),
                      Option.apply((Object) cp.port()),
                      Option.apply(address)))
          .toList();
    } catch (UnknownHostException e) {
      log.debug("Contact point {} does not resolve (region down or not deployed yet)", cp);
      return List.of();
    }
  }

  private static String key(ResolvedTarget target) {
    Optional<Object> port = target.getPort();
    return target.host() + ":" + port.map(String::valueOf).orElse("");
  }
}
