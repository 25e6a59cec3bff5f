package io.meridian.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.k8s.RegionContactPointDiscovery.ContactPoint;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.discovery.Lookup;
import org.apache.pekko.discovery.ServiceDiscovery;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bootstrap discovery of conf/kubernetes.conf: this region's pods plus the other regions'
 * contact points. Kubernetes is replaced by Pekko's config discovery for this region's pods.
 */
class RegionContactPointDiscoveryTest {
  private ActorSystem system;

  private ServiceDiscovery discovery(String contactPoints, String localPods) {
    return discovery(contactPoints, localPods, "config");
  }

  private ServiceDiscovery discovery(String contactPoints, String localPods, String localMethod) {
    Config config =
        ConfigFactory.parseString(
                """
                pekko.actor.provider = local
                pekko.coordinated-shutdown.exit-jvm = off
                pekko.discovery.kubernetes-api.api-ca-path = "/nonexistent/ca.crt"
                pekko.discovery.meridian-regions {
                  class = "io.meridian.k8s.RegionContactPointDiscovery"
                  local-method = %s
                  contact-points = "%s"
                  default-port = 8558
                }
                pekko.discovery.config.services.meridian.endpoints = [%s]
                """
                    .formatted(localMethod, contactPoints, localPods))
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create("discovery-test", config);
    return Discovery.get(system).loadServiceDiscovery("meridian-regions");
  }

  @AfterEach
  void stop() {
    if (system != null) TestKit.shutdownActorSystem(system);
  }

  private static List<String> targets(ServiceDiscovery discovery) throws Exception {
    return discovery
        .lookup(Lookup.create("meridian").withPortName("management"), Duration.ofSeconds(3))
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS)
        .getAddresses()
        .stream()
        .map(t -> t.host() + ":" + t.getPort().map(String::valueOf).orElse("-"))
        .toList();
  }

  @Test
  void findsThisRegionsPodsAndEveryAddressOfTheOtherRegions() throws Exception {
    var discovery = discovery("127.0.0.3:9558, 127.0.0.4", "{host = \"127.0.0.2\", port = 8558}");

    assertEquals(List.of("127.0.0.2:8558", "127.0.0.3:9558", "127.0.0.4:8558"), targets(discovery));
  }

  @Test
  void skipsContactPointsThatDoNotResolve() throws Exception {
    // ".invalid" never resolves (RFC 2606): a region that is down or not deployed yet.
    var discovery =
        discovery(
            "meridian-eu.example.invalid:8558,127.0.0.3:8558",
            "{host = \"127.0.0.2\", port = 8558}");

    assertEquals(List.of("127.0.0.2:8558", "127.0.0.3:8558"), targets(discovery));
  }

  @Test
  void listsAPodFoundBothWaysOnce() throws Exception {
    var discovery =
        discovery("127.0.0.2:8558,127.0.0.3:8558", "{host = \"127.0.0.2\", port = 8558}");

    assertEquals(List.of("127.0.0.2:8558", "127.0.0.3:8558"), targets(discovery));
  }

  @Test
  void joinsThroughOtherRegionsWhenThisRegionHasNoPodsYet() throws Exception {
    var discovery = discovery("127.0.0.3:8558", "");

    assertEquals(List.of("127.0.0.3:8558"), targets(discovery));
  }

  @Test
  void joinsThroughOtherRegionsWhenTheKubernetesApiFails() throws Exception {
    // Outside a pod the ServiceAccount's CA file is missing and kubernetes-api cannot even load.
    var discovery = discovery("127.0.0.3:8558", "", "kubernetes-api");

    assertEquals(List.of("127.0.0.3:8558"), targets(discovery));
  }

  @Test
  void parsesHostsPortsAndIpv6() {
    assertEquals(
        new ContactPoint("meridian-us.meridian.svc.clusterset.local", 8558),
        ContactPoint.parse("meridian-us.meridian.svc.clusterset.local", 8558));
    assertEquals(new ContactPoint("10.1.2.3", 9000), ContactPoint.parse(" 10.1.2.3:9000 ", 8558));
    assertEquals(new ContactPoint("fd00::1", 8558), ContactPoint.parse("[fd00::1]", 8558));
    assertEquals(new ContactPoint("fd00::1", 9000), ContactPoint.parse("[fd00::1]:9000", 8558));
    assertEquals(
        List.of(new ContactPoint("a", 1), new ContactPoint("b", 8558)),
        ContactPoint.parseList("a:1,, b ,", 8558));
    assertTrue(ContactPoint.parseList("  ", 8558).isEmpty());
  }

  @Test
  void rejectsMalformedContactPoints() {
    assertThrows(IllegalArgumentException.class, () -> ContactPoint.parse("host:port", 8558));
    assertThrows(IllegalArgumentException.class, () -> ContactPoint.parse("host:70000", 8558));
    assertThrows(IllegalArgumentException.class, () -> ContactPoint.parse("fd00::1:8558", 8558));
    assertThrows(IllegalArgumentException.class, () -> ContactPoint.parse("[fd00::1", 8558));
  }
}
