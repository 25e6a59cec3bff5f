package io.meridian.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import scala.concurrent.Await;

/**
 * Artery over TLS as conf/cluster.conf configures it (transport tls-tcp): nodes whose certificates
 * come from the cluster's CA and carry the cluster's identity form one cluster; a node with a
 * certificate of another CA, or of the same CA for another name, never joins. Also the alternative
 * provider with host name verification: a certificate of the cluster's CA for another host is
 * refused. Actor systems with the node's configuration, without the rest of a node (no Cassandra).
 *
 * <p>A refusal is a non-event, so each one is bounded by an event: a node with a good certificate
 * is started after the refused one, with the same seed node and retry settings, and the refused one
 * is checked once the good one is Up.
 */
@ExtendWith(LogCapturingExtension.class)
class RemotingTlsTest {
  /** What every node of the cluster has in its certificate (k8s/base/certificates.yaml). */
  private static final String IDENTITY = "meridian-remoting";

  private static final List<String> IDENTITY_NAMES = List.of("dns:remoting.meridian.internal");
  private static final Duration JOIN = Duration.ofSeconds(30);

  @TempDir static Path keys;
  private static KeytoolPki clusterCa;
  private static int seedPort;
  private static ActorSystem<Void> seed;
  private static ActorSystem<Void> member;
  private final List<ActorSystem<Void>> started = new ArrayList<>();

  @BeforeAll
  static void formCluster() {
    clusterCa = KeytoolPki.create(keys, "meridian-remoting-ca");
    seedPort = FreePorts.one();
    seed = start(rotatingKeys(seedPort, seedPort, clusterCa.issue(IDENTITY, IDENTITY_NAMES)));
    member =
        start(rotatingKeys(FreePorts.one(), seedPort, clusterCa.issue(IDENTITY, IDENTITY_NAMES)));
  }

  @AfterAll
  static void stopCluster() {
    terminate(member);
    terminate(seed);
  }

  @AfterEach
  void stopJoiners() {
    started.forEach(RemotingTlsTest::terminate);
  }

  @Test
  void nodesWithTheClustersCertificatesFormOneClusterOverTls() {
    assertEquals("tls-tcp", seed.settings().config().getString("pekko.remote.artery.transport"));
    Eventually.eventually(
        JOIN,
        () -> {
          assertEquals(Set.of(address(seed), address(member)), upMembers(seed));
          assertEquals(Set.of(address(seed), address(member)), upMembers(member));
        });
  }

  @Test
  void nodeWithACertificateOfAnotherCaNeverJoins() {
    KeytoolPki otherCa = KeytoolPki.create(keys, "another-ca");
    var refused = joiner(otherCa.issue(IDENTITY, IDENTITY_NAMES));
    var admitted = joiner(clusterCa.issue(IDENTITY, IDENTITY_NAMES));
    assertRefusedWhileAdmittedJoins(refused, admitted);
  }

  @Test
  void nodeWithACertificateOfTheClustersCaForAnotherNameNeverJoins() {
    var refused = joiner(clusterCa.issue("meridian-http", List.of("dns:api.meridian.internal")));
    var admitted = joiner(clusterCa.issue(IDENTITY, IDENTITY_NAMES));
    assertRefusedWhileAdmittedJoins(refused, admitted);
  }

  /**
   * The PKCS12 provider with hostname-verification on (conf/cluster.conf): a joiner whose
   * certificate names another address cannot be connected to, so it never completes the join.
   */
  @Test
  void hostnameVerificationRefusesACertificateForAnotherHost() {
    KeytoolPki ca = KeytoolPki.create(keys, "hostname-ca");
    int port = FreePorts.one();
    var hostSeed =
        started(start(keyStores(port, port, ca, ca.issue("n1", List.of("ip:127.0.0.1")))));
    var refused =
        started(
            start(keyStores(FreePorts.one(), port, ca, ca.issue("n2", List.of("ip:127.0.0.2")))));
    var admitted =
        started(
            start(keyStores(FreePorts.one(), port, ca, ca.issue("n3", List.of("ip:127.0.0.1")))));
    assertRefusedWhileAdmittedJoins(hostSeed, refused, admitted);
  }

  // ---------------------------------------------------------------------------------------------

  private ActorSystem<Void> joiner(KeytoolPki.Issued certificate) {
    return started(start(rotatingKeys(FreePorts.one(), seedPort, certificate)));
  }

  private ActorSystem<Void> started(ActorSystem<Void> system) {
    started.add(system);
    return system;
  }

  private static void assertRefusedWhileAdmittedJoins(
      ActorSystem<Void> refused, ActorSystem<Void> admitted) {
    assertRefusedWhileAdmittedJoins(seed, refused, admitted);
  }

  private static void assertRefusedWhileAdmittedJoins(
      ActorSystem<Void> seed, ActorSystem<Void> refused, ActorSystem<Void> admitted) {
    Eventually.eventually(JOIN, () -> assertTrue(upMembers(seed).contains(address(admitted))));
    assertFalse(
        upMembers(seed).contains(address(refused)), "refused node is a member: " + upMembers(seed));
    assertEquals(Set.of(), upMembers(refused), "the refused node sees no cluster");
    assertNotEquals(MemberStatus.up(), Cluster.get(refused).selfMember().status());
  }

  /** The node's own config (conf/), TLS with the RotatingKeys provider and PEM files in dir. */
  private static Config rotatingKeys(int port, int seedPort, KeytoolPki.Issued certificate) {
    Map<String, Object> overrides = common(port, seedPort);
    overrides.put(
        "pekko.remote.artery.ssl.rotating-keys-engine.secret-mount-point",
        certificate.pemDirectory().toString());
    return load(overrides);
  }

  /** The ConfigSSLEngineProvider alternative of conf/cluster.conf, with PKCS12 stores. */
  private static Config keyStores(
      int port, int seedPort, KeytoolPki ca, KeytoolPki.Issued certificate) {
    Map<String, Object> overrides = common(port, seedPort);
    overrides.put(
        "pekko.remote.artery.ssl.ssl-engine-provider",
        "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider");
    overrides.put(
        "pekko.remote.artery.ssl.config-ssl-engine.key-store", certificate.keyStore().toString());
    overrides.put(
        "pekko.remote.artery.ssl.config-ssl-engine.trust-store", ca.trustStore().toString());
    overrides.put(
        "pekko.remote.artery.ssl.config-ssl-engine.key-store-password", KeytoolPki.PASSWORD);
    return load(overrides);
  }

  private static Map<String, Object> common(int port, int seedPort) {
    Map<String, Object> overrides = new LinkedHashMap<>();
    overrides.put("pekko.remote.artery.transport", "tls-tcp");
    overrides.put("pekko.remote.artery.canonical.port", port);
    overrides.put("pekko.cluster.seed-nodes", List.of("pekko://meridian@127.0.0.1:" + seedPort));
    return overrides;
  }

  private static Config load(Map<String, Object> overrides) {
    return ConfigFactory.parseString(ThreeRegions.IN_JVM_NODE)
        .withFallback(NodeLauncher.load(overrides))
        .resolve();
  }

  private static ActorSystem<Void> start(Config config) {
    return ActorSystem.create(Behaviors.empty(), Node.SYSTEM_NAME, config);
  }

  private static Address address(ActorSystem<?> system) {
    return Cluster.get(system).selfMember().address();
  }

  private static Set<Address> upMembers(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .map(Member::address)
        .collect(Collectors.toSet());
  }

  private static void terminate(ActorSystem<?> system) {
    if (system == null) return;
    system.terminate();
    try {
      Await.result(
          Adapter.toClassic(system).whenTerminated(),
          // A joiner refused by the TLS handshake keeps retrying its join until it is stopped; on a
          // loaded 2-core box its coordinated shutdown took more than 30 s (seen in a full build).
          scala.concurrent.duration.Duration.create(90, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("actor system did not terminate", e);
    }
  }
}
