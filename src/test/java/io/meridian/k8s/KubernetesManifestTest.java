package io.meridian.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.meridian.k8s.RegionContactPointDiscovery.ContactPoint;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Kubernetes manifests as the cluster would receive them: every overlay under k8s/overlays is
 * rendered with {@code kubectl kustomize} and its invariants are checked, including that the
 * environment the pods get really configures the node through conf/kubernetes.conf.
 *
 * <p>Skipped where kubectl is not installed ({@code -Dmeridian.kubectl=<path>} names it). {@code
 * -Dmeridian.k8s.dir=...} checks another copy of k8s/ (used to see each check fail on a broken
 * copy).
 */
class KubernetesManifestTest {
  private static final Path PROJECT =
      Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
  private static final Path K8S =
      Path.of(System.getProperty("meridian.k8s.dir", PROJECT.resolve("k8s").toString()));
  private static final String NAMESPACE = "meridian";
  private static final Set<String> CLUSTER_SCOPED =
      Set.of("Namespace", "ClusterRole", "ClusterRoleBinding");
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Map<String, Rendered> RENDERED = new ConcurrentHashMap<>();
  private static String kubectl;

  @BeforeAll
  static void findKubectl() {
    kubectl = locateKubectl().orElse(null);
  }

  /**
   * Per test rather than in @BeforeAll, so that every skipped check is reported with the reason.
   */
  @BeforeEach
  void requireKubectl() {
    Assumptions.assumeTrue(
        kubectl != null,
        "kubectl is not installed (not on PATH, not /usr/bin/kubectl): Kubernetes manifest checks skipped");
  }

  /** Every directory under k8s/overlays; an overlay's region is its name up to the first '-'. */
  static Stream<String> overlays() throws IOException {
    try (Stream<Path> dirs = Files.list(K8S.resolve("overlays"))) {
      return dirs
          .filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml")))
          .map(d -> d.getFileName().toString())
          .sorted()
          .toList()
          .stream();
    }
  }

  private static String regionOf(String overlay) {
    return overlay.split("-", 2)[0];
  }

  private static boolean isFounding(String overlay) {
    return overlay.endsWith("-founding");
  }

  @Test
  void everyRegionHasAnOverlay() throws IOException {
    Set<String> regions = new TreeSet<>(ConfigFactory.load().getStringList("meridian.regions"));
    Set<String> overlays =
        overlays().filter(o -> !isFounding(o)).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(regions, overlays, "one overlay per entry of meridian.regions");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everythingLivesInTheMeridianNamespace(String overlay) {
    Rendered r = render(overlay);
    assertEquals(
        1,
        r.all("Namespace").stream()
            .filter(n -> NAMESPACE.equals(n.at("/metadata/name").asText()))
            .count(),
        "Namespace meridian");
    for (JsonNode doc : r.docs()) {
      if (CLUSTER_SCOPED.contains(doc.path("kind").asText())) continue;
      assertEquals(
          NAMESPACE,
          doc.at("/metadata/namespace").asText(),
          doc.path("kind").asText() + " " + doc.at("/metadata/name").asText() + " namespace");
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void probesUseTheNamedManagementPort(String overlay) {
    Rendered r = render(overlay);
    JsonNode container = r.nodeContainer();
    int managementPort = r.containerPort("management");
    assertEquals(
        String.valueOf(managementPort),
        r.env().get("MERIDIAN_MANAGEMENT_PORT"),
        "MERIDIAN_MANAGEMENT_PORT is the container port named management");
    assertHttpProbe(container.path("readinessProbe"), "/ready", "readinessProbe");
    assertHttpProbe(container.path("livenessProbe"), "/alive", "livenessProbe");
    JsonNode startup = container.path("startupProbe");
    assertTrue(startup.isObject(), "startupProbe present");
    assertEquals("management", startup.at("/httpGet/port").asText(), "startupProbe port");
    assertTrue(
        Set.of("/alive", "/ready").contains(startup.at("/httpGet/path").asText()),
        "startupProbe path");
  }

  private static void assertHttpProbe(JsonNode probe, String path, String what) {
    assertTrue(probe.isObject(), what + " present");
    assertEquals(path, probe.at("/httpGet/path").asText(), what + " path");
    assertEquals("management", probe.at("/httpGet/port").asText(), what + " port (by name)");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void regionSettingsAreTheOverlaysRegion(String overlay) {
    Rendered r = render(overlay);
    String region = regionOf(overlay);
    Map<String, String> env = r.env();
    assertEquals(region, env.get("MERIDIAN_REGION"), "MERIDIAN_REGION");
    assertEquals(
        region,
        env.get("MERIDIAN_CASSANDRA_LOCAL_DC"),
        "MERIDIAN_CASSANDRA_LOCAL_DC (Cassandra data centers are named like the regions)");
    assertEquals(
        region,
        r.deployment().at("/spec/template/metadata/labels").path("meridian.io/region").asText(),
        "pod label meridian.io/region");

    List<String> regions = ConfigFactory.load().getStringList("meridian.regions");
    String contactPoints = Optional.ofNullable(env.get("MERIDIAN_CONTACT_POINTS")).orElse("");
    List<ContactPoint> parsed = ContactPoint.parseList(contactPoints, 8558);
    assertEquals(
        regions.size() - 1, parsed.size(), "one contact point per other region: " + contactPoints);
    for (String other : regions) {
      boolean listed =
          parsed.stream().anyMatch(cp -> cp.host().startsWith("meridian-" + other + "."));
      assertEquals(
          !other.equals(region),
          listed,
          "contact point of region " + other + " in " + contactPoints);
    }

    // The name the other regions know this region by, exported to them.
    JsonNode headless = r.one("Service", "meridian-" + region);
    assertEquals(
        "None", headless.at("/spec/clusterIP").asText(), "meridian-" + region + " is headless");
    r.one("ServiceExport", "meridian-" + region);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void imagesArePinned(String overlay) {
    Rendered r = render(overlay);
    List<JsonNode> containers = r.allContainers();
    assertFalse(containers.isEmpty(), "containers");
    // The tag follows the last '/' (a registry may have a port); a digest pins as well.
    Pattern tagged =
        Pattern.compile(
            "^(?:[^@\\s/]+/)*[^@\\s/:]+:(?<tag>\\w[\\w.-]{0,127})$|^[^@\\s]+@sha256:[0-9a-f]{64}$");
    for (JsonNode c : containers) {
      String image = c.path("image").asText();
      Matcher m = tagged.matcher(image);
      assertTrue(
          m.matches(),
          "image of "
              + c.path("name").asText()
              + " is registry/name:tag or pinned by digest: '"
              + image
              + "'");
      assertFalse(
          "latest".equals(m.group("tag")),
          "image of " + c.path("name").asText() + " uses 'latest': " + image);
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void containersHaveRequestsAndLimits(String overlay) {
    for (JsonNode c : render(overlay).allContainers()) {
      for (String kind : List.of("requests", "limits")) {
        for (String resource : List.of("cpu", "memory")) {
          assertFalse(
              c.at("/resources/" + kind + "/" + resource).asText().isBlank(),
              c.path("name").asText() + " resources." + kind + "." + resource);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void nodesMayListPodsThroughTheirOwnServiceAccount(String overlay) {
    Rendered r = render(overlay);
    String account = r.deployment().at("/spec/template/spec/serviceAccountName").asText();
    assertFalse(
        account.isBlank() || account.equals("default"),
        "the Deployment runs under a ServiceAccount of its own");
    r.one("ServiceAccount", account);
    assertFalse(
        r.deployment()
            .at("/spec/template/spec/automountServiceAccountToken")
            .asText()
            .equals("false"),
        "the token is mounted (kubernetes-api discovery)");

    boolean granted = false;
    for (JsonNode binding : r.all("RoleBinding")) {
      boolean toAccount =
          StreamSupport.stream(binding.path("subjects").spliterator(), false)
              .anyMatch(
                  s ->
                      s.path("kind").asText().equals("ServiceAccount")
                          && s.path("name").asText().equals(account)
                          && s.path("namespace").asText(NAMESPACE).equals(NAMESPACE));
      if (!toAccount || !binding.at("/roleRef/kind").asText().equals("Role")) continue;
      JsonNode role = r.one("Role", binding.at("/roleRef/name").asText());
      for (JsonNode rule : role.path("rules")) {
        Set<String> verbs = texts(rule.path("verbs"));
        if (texts(rule.path("apiGroups")).contains("")
            && texts(rule.path("resources")).contains("pods")
            && verbs.containsAll(Set.of("get", "watch", "list"))) {
          granted = true;
        }
      }
    }
    assertTrue(
        granted, "a Role allowing get/watch/list on pods, bound to ServiceAccount " + account);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void containersRunLockedDown(String overlay) {
    Rendered r = render(overlay);
    JsonNode pod = r.deployment().at("/spec/template/spec");
    for (JsonNode c : r.allContainers()) {
      String name = c.path("name").asText();
      JsonNode sc = c.path("securityContext");
      boolean nonRoot =
          sc.has("runAsNonRoot")
              ? sc.path("runAsNonRoot").asBoolean()
              : pod.at("/securityContext/runAsNonRoot").asBoolean();
      assertTrue(nonRoot, name + " runAsNonRoot");
      assertTrue(sc.path("readOnlyRootFilesystem").asBoolean(), name + " readOnlyRootFilesystem");
      assertTrue(
          sc.has("allowPrivilegeEscalation") && !sc.path("allowPrivilegeEscalation").asBoolean(),
          name + " allowPrivilegeEscalation false");
      assertTrue(
          texts(sc.at("/capabilities/drop")).contains("ALL"), name + " drops ALL capabilities");
    }
    // A read-only root file system needs somewhere to write temporary files.
    String tmpVolume =
        StreamSupport.stream(r.nodeContainer().path("volumeMounts").spliterator(), false)
            .filter(m -> m.path("mountPath").asText().equals("/tmp"))
            .map(m -> m.path("name").asText())
            .findFirst()
            .orElseGet(() -> fail("/tmp is mounted"));
    assertTrue(volume(pod, tmpVolume).has("emptyDir"), "/tmp is an emptyDir");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void rollingUpdateAddsOneAndRemovesNone(String overlay) {
    JsonNode strategy = render(overlay).deployment().at("/spec/strategy");
    assertEquals("RollingUpdate", strategy.path("type").asText(), "strategy");
    assertEquals("1", strategy.at("/rollingUpdate/maxSurge").asText(), "maxSurge");
    assertEquals("0", strategy.at("/rollingUpdate/maxUnavailable").asText(), "maxUnavailable");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void disruptionBudgetCoversTheNodes(String overlay) {
    Rendered r = render(overlay);
    List<JsonNode> budgets = r.all("PodDisruptionBudget");
    assertEquals(1, budgets.size(), "PodDisruptionBudget");
    JsonNode pdb = budgets.get(0);
    assertTrue(
        pdb.at("/spec/maxUnavailable").isIntegralNumber()
            || pdb.at("/spec/minAvailable").isIntegralNumber(),
        "maxUnavailable or minAvailable");
    assertSelects(pdb.at("/spec/selector/matchLabels"), r, "PodDisruptionBudget");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void secretsAreReferencedNeverDefined(String overlay) {
    Rendered r = render(overlay);
    assertTrue(r.all("Secret").isEmpty(), "no Secret in the manifests");
    Pattern secretish =
        Pattern.compile("TOKEN|PASSWORD|SECRET|CREDENTIAL", Pattern.CASE_INSENSITIVE);
    for (JsonNode c : r.allContainers()) {
      for (JsonNode e : c.path("env")) {
        if (secretish.matcher(e.path("name").asText()).find()) {
          assertTrue(
              e.at("/valueFrom/secretKeyRef/name").isTextual(),
              e.path("name").asText() + " comes from a Secret");
        }
      }
    }
    for (JsonNode cm : r.all("ConfigMap")) {
      cm.path("data")
          .properties()
          .forEach(
              entry ->
                  assertFalse(
                      secretish.matcher(entry.getKey()).find(),
                      "ConfigMap "
                          + cm.at("/metadata/name").asText()
                          + " holds "
                          + entry.getKey()));
    }
    assertEquals(
        "meridian-admin",
        r.envEntry("MERIDIAN_ADMIN_TOKEN").at("/valueFrom/secretKeyRef/name").asText(),
        "admin token Secret");
    JsonNode pod = r.deployment().at("/spec/template/spec");
    assertTrue(
        volume(pod, "remoting-tls").at("/secret/secretName").isTextual(),
        "remoting key stores from a Secret");
    assertEquals(
        "meridian-api-callers",
        volume(pod, "api-callers").at("/secret/secretName").asText(),
        "the API's callers and their token hashes from a Secret");
    String callersFile = r.env().get("MERIDIAN_API_CALLERS_FILE");
    assertNotNull(callersFile, "the node reads its callers from the mounted Secret");
    boolean mounted = false;
    for (JsonNode mount : r.nodeContainer().path("volumeMounts"))
      mounted |=
          mount.path("name").asText().equals("api-callers")
              && callersFile.startsWith(mount.path("mountPath").asText() + "/");
    assertTrue(mounted, callersFile + " lies in the api-callers mount");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void podIdentityComesFromTheDownwardApi(String overlay) {
    Rendered r = render(overlay);
    for (String name : List.of("MERIDIAN_REMOTE_HOST", "MERIDIAN_MANAGEMENT_HOST")) {
      assertEquals(
          "status.podIP", r.envEntry(name).at("/valueFrom/fieldRef/fieldPath").asText(), name);
    }
    assertTrue(
        r.env().getOrDefault("JAVA_TOOL_OPTIONS", "").contains("-Dconfig.resource=kubernetes.conf"),
        "JAVA_TOOL_OPTIONS selects kubernetes.conf");
    String javaOpts = r.env().get("MERIDIAN_JAVA_OPTS");
    assertNotNull(javaOpts, "MERIDIAN_JAVA_OPTS replaces the launcher's default heap");
    assertFalse(
        javaOpts.contains("-Xmx"),
        "the heap follows the container's memory limit, not a fixed -Xmx");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void servicesReachTheNamedPorts(String overlay) {
    Rendered r = render(overlay);
    String region = regionOf(overlay);
    JsonNode http = r.one("Service", "meridian");
    assertSelects(http.at("/spec/selector"), r, "Service meridian");
    assertEquals(
        "http", http.at("/spec/ports/0/targetPort").asText(), "HTTP Service targets the http port");
    r.containerPort("http");
    JsonNode headless = r.one("Service", "meridian-" + region);
    assertSelects(headless.at("/spec/selector"), r, "headless Service");
    assertFalse(
        headless.at("/spec/publishNotReadyAddresses").asBoolean(),
        "contact points are ready pods, i.e. cluster members");
    Set<String> targets = new TreeSet<>();
    headless.at("/spec/ports").forEach(p -> targets.add(p.path("targetPort").asText()));
    assertEquals(
        new TreeSet<>(Set.of("management", "remoting")), targets, "headless Service ports");
    targets.forEach(r::containerPort);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everyVariableIsReadByTheNode(String overlay) throws IOException {
    StringBuilder readers = new StringBuilder();
    try (Stream<Path> conf = Files.list(PROJECT.resolve("conf"))) {
      for (Path p : conf.toList()) readers.append(Files.readString(p));
    }
    Path launcher = PROJECT.resolve("meridian");
    if (Files.exists(launcher)) readers.append(Files.readString(launcher));
    for (String name : render(overlay).env().keySet()) {
      if (name.equals("JAVA_TOOL_OPTIONS")) continue;
      // Whole names only: MERIDIAN_X must not pass because MERIDIAN_X_LIST is read.
      assertTrue(
          Pattern.compile("\\b" + Pattern.quote(name) + "\\b").matcher(readers).find(),
          name + " is set but nothing in conf/ or the launcher reads it (misspelt?)");
    }
  }

  /** The pod's environment, applied to conf/kubernetes.conf the way the JVM will. */
  @ParameterizedTest
  @MethodSource("overlays")
  void environmentConfiguresTheNode(String overlay) {
    Rendered r = render(overlay);
    String region = regionOf(overlay);
    Config config = r.nodeConfig();

    assertEquals(region, config.getString("meridian.region"), "meridian.region");
    assertEquals(
        region,
        config.getString("pekko.cluster.multi-data-center.self-data-center"),
        "self-data-center");
    assertEquals(r.containerPort("http"), config.getInt("meridian.http.port"), "HTTP port");
    assertEquals("0.0.0.0", config.getString("meridian.http.host"), "HTTP bound on all interfaces");
    assertEquals(
        r.containerPort("management"),
        config.getInt("pekko.management.http.port"),
        "management port");
    assertEquals(
        r.containerPort("remoting"),
        config.getInt("pekko.remote.artery.canonical.port"),
        "remoting port");
    assertEquals(
        Rendered.POD_IP,
        config.getString("pekko.remote.artery.canonical.hostname"),
        "remoting advertises the pod IP");
    assertEquals(
        Rendered.POD_IP,
        config.getString("pekko.management.http.hostname"),
        "management advertises the pod IP");

    assertTrue(config.getBoolean("meridian.cluster-bootstrap"), "cluster bootstrap on");
    assertTrue(
        config.getList("pekko.cluster.seed-nodes").isEmpty(),
        "no seed nodes (bootstrap bails out if there are any)");
    String discovery =
        config.getString(
            "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method");
    assertEquals(
        RegionContactPointDiscovery.class.getName(),
        config.getString("pekko.discovery." + discovery + ".class"),
        "bootstrap discovery");
    assertEquals(
        "kubernetes-api",
        config.getString("pekko.discovery." + discovery + ".local-method"),
        "this region's pods from the Kubernetes API");
    assertEquals(
        isFounding(overlay),
        config.getBoolean("pekko.management.cluster.bootstrap.new-cluster-enabled"),
        "only a founding overlay forms a new cluster");
    assertEquals(
        2,
        ContactPoint.parseList(
                config.getString("pekko.discovery." + discovery + ".contact-points"), 8558)
            .size(),
        "other regions' contact points");
    String podPort =
        config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.port-name");
    r.containerPort(podPort);

    assertEquals(
        region,
        config.getString("meridian.cassandra.local-datacenter"),
        "Cassandra local data center");
    assertFalse(
        config.getString("meridian.cassandra.contact-points").isBlank(),
        "Cassandra contact points (none would start an embedded Cassandra)");
    assertFalse(
        config.getBoolean("meridian.cassandra.schema-autocreate"),
        "production keyspaces come from docs/cassandra-schema.cql");

    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"), "remoting over TLS");
  }

  /**
   * Every link of a node is encrypted, each with key material from a mounted Secret: Artery (PEM
   * files of cert-manager, identity verified), the HTTP API (PKCS12), the Cassandra driver.
   */
  @ParameterizedTest
  @MethodSource("overlays")
  void everyLinkOfTheNodeIsEncryptedWithMountedKeys(String overlay) {
    Rendered r = render(overlay);
    Config config = r.nodeConfig();

    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"), "remoting over TLS");
    assertEquals(
        "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        config.getString("pekko.remote.artery.ssl.ssl-engine-provider"),
        "remoting: renewable PEM files, peer identity verified");
    for (String file : List.of("key-file", "cert-file", "ca-cert-file")) {
      r.assertMountedSecretFile(
          "remoting-tls",
          config.getString("pekko.remote.artery.ssl.rotating-keys-engine." + file),
          "remoting " + file);
    }

    assertTrue(config.getBoolean("meridian.http.tls.enabled"), "HTTPS for the API");
    r.assertMountedSecretFile(
        "http-tls", config.getString("meridian.http.tls.key-store"), "HTTPS key store");
    assertEquals(
        "secret",
        config.getString("meridian.http.tls.key-store-password"),
        "HTTPS key store password from a Secret");

    String driverTls = "datastax-java-driver.advanced.ssl-engine-factory";
    assertEquals(
        "DefaultSslEngineFactory", config.getString(driverTls + ".class"), "Cassandra client TLS");
    r.assertMountedSecretFile(
        "cassandra-tls", config.getString(driverTls + ".truststore-path"), "Cassandra trust store");
    assertEquals(
        "secret",
        config.getString(driverTls + ".truststore-password"),
        "Cassandra trust store password from a Secret");
  }

  /** Coordinated shutdown's phases, in order, up to the node being out of the cluster. */
  private static final List<String> PHASES_UNTIL_LEFT =
      List.of(
          "before-service-unbind",
          "service-unbind",
          "service-requests-done",
          "service-stop",
          "before-cluster-shutdown",
          "cluster-sharding-shutdown-region",
          "cluster-leave",
          "cluster-exiting",
          "cluster-exiting-done");

  /**
   * Graceful shutdown fits: the preStop waits before SIGTERM, the node is unready for a while
   * before it unbinds, each step fits its phase, and the grace period covers the preStop plus every
   * phase up to leaving the cluster at its timeout, so the kubelet never kills a member.
   */
  @ParameterizedTest
  @MethodSource("overlays")
  void gracefulShutdownFitsTheGracePeriod(String overlay) {
    Rendered r = render(overlay);
    Config config = r.nodeConfig();
    JsonNode preStop = r.nodeContainer().at("/lifecycle/preStop/exec/command");
    assertTrue(
        preStop.isArray() && preStop.size() == 2, "preStop runs sleep <seconds>: " + preStop);
    assertEquals("sleep", preStop.get(0).asText(), "preStop command");
    long preStopSeconds = Long.parseLong(preStop.get(1).asText());
    assertTrue(preStopSeconds >= 1, "preStop sleeps while the endpoints are withdrawn");

    Duration unready = config.getDuration("meridian.http.shutdown.unready-delay");
    Duration drain = config.getDuration("meridian.http.shutdown.drain-deadline");
    assertTrue(unready.toSeconds() >= 1, "unready before unbinding: " + unready);
    assertTrue(
        unready.compareTo(phaseTimeout(config, "before-service-unbind")) < 0,
        "unready-delay fits its phase");
    assertTrue(
        drain.compareTo(phaseTimeout(config, "service-requests-done")) < 0,
        "drain-deadline fits its phase");

    Duration untilLeft = Duration.ofSeconds(preStopSeconds);
    for (String phase : PHASES_UNTIL_LEFT) untilLeft = untilLeft.plus(phaseTimeout(config, phase));
    long grace = r.deployment().at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
    assertTrue(
        grace >= untilLeft.toSeconds(),
        "terminationGracePeriodSeconds "
            + grace
            + " < preStop + coordinated shutdown until the node left ("
            + untilLeft.toSeconds()
            + " s)");
  }

  private static Duration phaseTimeout(Config config, String phase) {
    String path = "pekko.coordinated-shutdown.phases." + phase + ".timeout";
    return config.hasPath(path)
        ? config.getDuration(path)
        : config.getDuration("pekko.coordinated-shutdown.default-phase-timeout");
  }

  /**
   * NetworkPolicies allow what the design needs and nothing else: the API port from the selected
   * callers only (selectors, never address ranges), remoting and bootstrap from Meridian's nodes
   * (this region's by label, the other regions' by their pod CIDRs), and no rule open to every
   * source or every port.
   */
  @ParameterizedTest
  @MethodSource("overlays")
  void networkPoliciesAllowOnlyWhatTheDesignNeeds(String overlay) {
    Rendered r = render(overlay);
    JsonNode podLabels = r.deployment().at("/spec/template/metadata/labels");
    Map<String, List<JsonNode>> sourcesByPort = new TreeMap<>();
    for (JsonNode policy : r.all("NetworkPolicy")) {
      if (!selects(policy.at("/spec/podSelector/matchLabels"), podLabels)) continue;
      assertTrue(
          texts(policy.at("/spec/policyTypes")).contains("Ingress"),
          policy.at("/metadata/name").asText() + " restricts ingress");
      for (JsonNode rule : policy.at("/spec/ingress")) {
        String what = policy.at("/metadata/name").asText() + " rule " + rule;
        assertTrue(rule.path("ports").size() > 0, "a rule names its ports: " + what);
        assertTrue(rule.path("from").size() > 0, "a rule names its sources: " + what);
        for (JsonNode source : rule.path("from")) {
          String cidr = source.at("/ipBlock/cidr").asText("");
          assertFalse(cidr.equals("0.0.0.0/0") || cidr.equals("::/0"), "open to all: " + what);
          assertFalse(source.at("/ipBlock/except").isArray(), "no carve-outs: " + what);
        }
        for (JsonNode port : rule.path("ports")) {
          String name = r.portName(port.path("port").asText());
          rule.path("from")
              .forEach(f -> sourcesByPort.computeIfAbsent(name, k -> new ArrayList<>()).add(f));
        }
      }
    }
    assertEquals(
        new TreeSet<>(Set.of("http", "remoting", "management")),
        new TreeSet<>(sourcesByPort.keySet()),
        "every port of the node is reachable by someone, and only those");
    for (JsonNode source : sourcesByPort.get("http")) {
      assertFalse(source.has("ipBlock"), "API callers are selected by label: " + source);
      assertTrue(
          source.path("namespaceSelector").path("matchLabels").size() > 0
              && source.path("podSelector").path("matchLabels").size() > 0,
          "API callers: a namespace and pods, both by label: " + source);
    }
    for (String port : List.of("remoting", "management")) {
      boolean ownRegion = false;
      for (JsonNode source : sourcesByPort.get(port)) {
        if (source.has("ipBlock")) continue; // the other regions' pod CIDRs
        assertFalse(source.has("namespaceSelector"), port + ": only this namespace: " + source);
        assertTrue(
            selects(source.at("/podSelector/matchLabels"), podLabels)
                && source.at("/podSelector/matchLabels").size() > 0,
            port + ": only Meridian's nodes: " + source);
        ownRegion = true;
      }
      assertTrue(ownRegion, port + " reachable from this region's nodes");
    }
  }

  /** Clients reach the API through the Service; the management port is not behind it. */
  @ParameterizedTest
  @MethodSource("overlays")
  void apiServiceExposesOnlyTheApi(String overlay) {
    Rendered r = render(overlay);
    JsonNode ports = r.one("Service", "meridian").at("/spec/ports");
    assertEquals(1, ports.size(), "the API Service has one port: " + ports);
    assertEquals("http", r.portName(ports.get(0).path("targetPort").asText()), "API Service port");
  }

  /** K8ssandra encrypts internode (mutually authenticated) and client connections (TLS only). */
  @Test
  void cassandraLinksAreEncrypted() throws IOException {
    JsonNode cassandra =
        YAML.readTree(K8S.resolve("cassandra/k8ssandra-cluster.yaml").toFile())
            .at("/spec/cassandra");
    JsonNode yaml = cassandra.at("/config/cassandraYaml");
    assertEquals("all", yaml.at("/server_encryption_options/internode_encryption").asText());
    assertTrue(yaml.at("/server_encryption_options/require_client_auth").asBoolean());
    assertTrue(yaml.at("/client_encryption_options/enabled").asBoolean(), "client encryption");
    assertFalse(
        yaml.at("/client_encryption_options/optional").asBoolean(true),
        "clients cannot fall back to plain CQL");
    for (String stores : List.of("serverEncryptionStores", "clientEncryptionStores")) {
      for (String ref : List.of("keystoreSecretRef", "truststoreSecretRef")) {
        assertFalse(
            cassandra.at("/" + stores + "/" + ref + "/name").asText().isBlank(),
            stores + "." + ref);
      }
    }
  }

  /** CQL reaches Cassandra only from Meridian's nodes and K8ssandra's own components. */
  @Test
  void cassandraAcceptsCqlOnlyFromMeridianAndItsOperator() throws IOException {
    JsonNode policy = YAML.readTree(K8S.resolve("cassandra/networkpolicy.yaml").toFile());
    assertEquals("NetworkPolicy", policy.path("kind").asText());
    JsonNode cluster = YAML.readTree(K8S.resolve("cassandra/k8ssandra-cluster.yaml").toFile());
    assertEquals(
        cluster.at("/metadata/namespace").asText(),
        policy.at("/metadata/namespace").asText(),
        "in K8ssandra's namespace");
    assertEquals(
        cluster.at("/metadata/name").asText(),
        policy.at("/spec/podSelector/matchLabels").path("cassandra.datastax.com/cluster").asText(),
        "selects the Cassandra pods of cluster " + cluster.at("/metadata/name").asText());
    boolean fromMeridian = false;
    for (JsonNode rule : policy.at("/spec/ingress")) {
      assertTrue(rule.path("from").size() > 0 && rule.path("ports").size() > 0, "rule " + rule);
      boolean cql =
          StreamSupport.stream(rule.path("ports").spliterator(), false)
              .anyMatch(p -> p.path("port").asInt() == 9042);
      for (JsonNode source : rule.path("from")) {
        String cidr = source.at("/ipBlock/cidr").asText("");
        assertFalse(cidr.equals("0.0.0.0/0") || cidr.equals("::/0"), "open to all: " + rule);
        if (!cql) continue;
        assertFalse(source.has("ipBlock"), "CQL from address ranges: " + rule);
        JsonNode namespace = source.at("/namespaceSelector/matchLabels");
        if (namespace.isMissingNode()) continue; // K8ssandra's own namespace
        assertEquals(NAMESPACE, namespace.path("kubernetes.io/metadata.name").asText(), "CQL from");
        assertEquals(
            "meridian",
            source.at("/podSelector/matchLabels").path("app.kubernetes.io/name").asText(),
            "CQL from Meridian's nodes only");
        fromMeridian = true;
      }
    }
    assertTrue(fromMeridian, "Meridian's nodes may use CQL");
  }

  /** The K8ssandra data centers are the regions, and each overlay connects to its own. */
  @Test
  void cassandraDataCentersAreTheRegions() throws IOException {
    JsonNode cluster = YAML.readTree(K8S.resolve("cassandra/k8ssandra-cluster.yaml").toFile());
    assertEquals("K8ssandraCluster", cluster.path("kind").asText());
    String name = cluster.at("/metadata/name").asText();
    String namespace = cluster.at("/metadata/namespace").asText();
    Set<String> dataCenters = new TreeSet<>();
    for (JsonNode dc : cluster.at("/spec/cassandra/datacenters")) {
      String dcName = dc.path("datacenterName").asText(dc.at("/metadata/name").asText());
      dataCenters.add(dcName);
      assertTrue(
          dc.path("size").asInt() >= 3, dcName + " has at least 3 nodes (replication factor 3)");
      assertFalse(
          dc.path("k8sContext").asText().isBlank(), dcName + " names its Kubernetes cluster");
    }
    assertEquals(
        new TreeSet<>(ConfigFactory.load().getStringList("meridian.regions")),
        dataCenters,
        "one Cassandra data center per region, named like it");
    for (String overlay : overlays().toList()) {
      String region = regionOf(overlay);
      String expected = name + "-" + region + "-service." + namespace + ".svc.cluster.local";
      List<ContactPoint> points =
          ContactPoint.parseList(
              render(overlay).env().get("MERIDIAN_CASSANDRA_CONTACT_POINTS"), 9042);
      assertEquals(
          List.of(new ContactPoint(expected, 9042)),
          points,
          overlay + " connects to its region's Cassandra data center");
    }
  }

  /** docs/cassandra-schema.cql replicates to exactly the K8ssandra data centers. */
  @Test
  void schemaReplicatesToTheCassandraDataCenters() throws IOException {
    Path schema = PROJECT.resolve("docs/cassandra-schema.cql");
    Assumptions.assumeTrue(Files.exists(schema), "docs/cassandra-schema.cql not written yet");
    String cql = Files.readString(schema);
    List<String> regions = ConfigFactory.load().getStringList("meridian.regions");
    Matcher replication = Pattern.compile("NetworkTopologyStrategy'\\s*,([^}]*)}").matcher(cql);
    int keyspaces = 0;
    while (replication.find()) {
      keyspaces++;
      Map<String, Integer> factors = new LinkedHashMap<>();
      Matcher dc = Pattern.compile("'(\\w+)'\\s*:\\s*'?(\\d+)").matcher(replication.group(1));
      while (dc.find()) factors.put(dc.group(1), Integer.parseInt(dc.group(2)));
      assertEquals(
          new TreeSet<>(regions),
          new TreeSet<>(factors.keySet()),
          "replication map " + replication.group());
    }
    assertTrue(keyspaces >= 2 * regions.size(), "a journal and a snapshot keyspace per region");
    for (String region : regions) {
      assertTrue(
          cql.contains("meridian_" + region) && cql.contains("meridian_" + region + "_snapshot"),
          "keyspaces of " + region);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static Set<String> texts(JsonNode array) {
    Set<String> out = new TreeSet<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Every label of {@code selector} is on {@code labels} (an empty selector selects all). */
  private static boolean selects(JsonNode selector, JsonNode labels) {
    for (var entry : selector.properties())
      if (!entry.getValue().asText().equals(labels.path(entry.getKey()).asText(null))) return false;
    return true;
  }

  private static JsonNode volume(JsonNode podSpec, String name) {
    for (JsonNode v : podSpec.path("volumes")) if (v.path("name").asText().equals(name)) return v;
    return fail("volume " + name);
  }

  private static void assertSelects(JsonNode selector, Rendered r, String what) {
    JsonNode podLabels = r.deployment().at("/spec/template/metadata/labels");
    assertTrue(selector.isObject() && selector.size() > 0, what + " has a selector");
    selector
        .properties()
        .forEach(
            e ->
                assertEquals(
                    e.getValue().asText(),
                    podLabels.path(e.getKey()).asText(null),
                    what + " selects the pods by " + e.getKey()));
  }

  private static Rendered render(String overlay) {
    return RENDERED.computeIfAbsent(
        overlay, o -> new Rendered(kustomize(K8S.resolve("overlays").resolve(o))));
  }

  private static List<JsonNode> kustomize(Path dir) {
    try {
      File errors = File.createTempFile("kustomize", ".err");
      errors.deleteOnExit();
      Process process =
          new ProcessBuilder(kubectl, "kustomize", dir.toString()).redirectError(errors).start();
      process.getOutputStream().close();
      String yaml = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return fail("kubectl kustomize " + dir + " did not finish in 60 s");
      }
      if (process.exitValue() != 0) {
        return fail("kubectl kustomize " + dir + " failed: " + Files.readString(errors.toPath()));
      }
      List<JsonNode> docs = new ArrayList<>();
      try (var values = YAML.readValues(new YAMLFactory().createParser(yaml), JsonNode.class)) {
        while (values.hasNext()) {
          JsonNode doc = values.next();
          if (doc != null && doc.isObject()) docs.add(doc);
        }
      }
      assertFalse(docs.isEmpty(), "kubectl kustomize " + dir + " rendered nothing");
      return docs;
    } catch (IOException e) {
      return fail("kubectl kustomize " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted", e);
    }
  }

  private static Optional<String> locateKubectl() {
    String configured = System.getProperty("meridian.kubectl");
    if (configured != null)
      return Optional.of(configured).filter(p -> Files.isExecutable(Path.of(p)));
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isBlank()) candidates.add(Path.of(dir, "kubectl"));
    }
    candidates.add(Path.of("/usr/bin/kubectl"));
    return candidates.stream().filter(Files::isExecutable).map(Path::toString).findFirst();
  }

  /** One overlay's rendered manifests and the node's view of them. */
  private record Rendered(List<JsonNode> docs) {
    static final String POD_IP = "10.11.12.13";

    List<JsonNode> all(String kind) {
      return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    JsonNode one(String kind, String name) {
      List<JsonNode> found =
          all(kind).stream().filter(d -> name.equals(d.at("/metadata/name").asText())).toList();
      assertEquals(1, found.size(), kind + " " + name);
      return found.get(0);
    }

    JsonNode deployment() {
      return one("Deployment", "meridian");
    }

    JsonNode nodeContainer() {
      for (JsonNode c : deployment().at("/spec/template/spec/containers")) {
        if (c.path("name").asText().equals("meridian")) return c;
      }
      return fail("container meridian");
    }

    List<JsonNode> allContainers() {
      List<JsonNode> out = new ArrayList<>();
      for (JsonNode workload : docs) {
        JsonNode pod = workload.at("/spec/template/spec");
        if (pod instanceof MissingNode) continue;
        pod.path("initContainers").forEach(out::add);
        pod.path("containers").forEach(out::add);
      }
      return out;
    }

    int containerPort(String name) {
      for (JsonNode p : nodeContainer().path("ports")) {
        if (p.path("name").asText().equals(name)) return p.path("containerPort").asInt();
      }
      return fail("container port named " + name);
    }

    /** A container port's name, given its name or number. */
    String portName(String nameOrNumber) {
      for (JsonNode p : nodeContainer().path("ports")) {
        if (p.path("name").asText().equals(nameOrNumber)
            || p.path("containerPort").asText().equals(nameOrNumber))
          return p.path("name").asText();
      }
      return fail("no container port " + nameOrNumber);
    }

    /**
     * {@code file} is in the mount of volume {@code volume}, a Secret volume that projects that
     * very file.
     */
    void assertMountedSecretFile(String volume, String file, String what) {
      JsonNode mount =
          StreamSupport.stream(nodeContainer().path("volumeMounts").spliterator(), false)
              .filter(m -> m.path("name").asText().equals(volume))
              .findFirst()
              .orElseGet(() -> fail(volume + " mounted"));
      assertFalse(mount.has("subPath"), volume + " mounted whole, so that renewals reach the pod");
      Path path = Path.of(file);
      assertEquals(
          Path.of(mount.path("mountPath").asText()), path.getParent(), what + " in " + volume);
      JsonNode secret = volume(deployment().at("/spec/template/spec"), volume).path("secret");
      assertFalse(secret.path("secretName").asText().isBlank(), volume + " is a Secret");
      JsonNode items = secret.path("items");
      assertTrue(
          items.isMissingNode()
              || StreamSupport.stream(items.spliterator(), false)
                  .anyMatch(i -> i.path("path").asText().equals(path.getFileName().toString())),
          what + ": " + path.getFileName() + " projected from Secret " + secret.path("secretName"));
    }

    JsonNode envEntry(String name) {
      for (JsonNode e : nodeContainer().path("env"))
        if (e.path("name").asText().equals(name)) return e;
      return fail("env " + name);
    }

    /**
     * The node container's environment: ConfigMaps of envFrom, then env (which wins). Values from
     * the downward API and from Secrets are stand-ins.
     */
    Map<String, String> env() {
      Map<String, String> env = new LinkedHashMap<>();
      for (JsonNode from : nodeContainer().path("envFrom")) {
        String name = from.at("/configMapRef/name").asText();
        if (name.isEmpty()) fail("envFrom other than a ConfigMap: " + from);
        one("ConfigMap", name)
            .path("data")
            .properties()
            .forEach(e -> env.put(e.getKey(), e.getValue().asText()));
      }
      for (JsonNode e : nodeContainer().path("env")) {
        String name = e.path("name").asText();
        if (e.has("value")) env.put(name, e.path("value").asText());
        else if (e.at("/valueFrom/fieldRef/fieldPath").asText().equals("status.podIP"))
          env.put(name, POD_IP);
        else if (e.at("/valueFrom/fieldRef/fieldPath").asText().equals("metadata.namespace"))
          env.put(name, NAMESPACE);
        else if (e.at("/valueFrom/fieldRef").isObject())
          env.put(name, "field:" + e.at("/valueFrom/fieldRef/fieldPath").asText());
        else if (e.at("/valueFrom/secretKeyRef").isObject()) env.put(name, "secret");
        else if (e.at("/valueFrom/configMapKeyRef").isObject()) {
          JsonNode ref = e.at("/valueFrom/configMapKeyRef");
          env.put(
              name,
              one("ConfigMap", ref.path("name").asText())
                  .at("/data/" + ref.path("key").asText())
                  .asText());
        } else fail("env " + name + ": unsupported source " + e);
      }
      return env;
    }

    /**
     * conf/kubernetes.conf resolved against this environment instead of the test JVM's: the
     * variables become root keys, which ${?VAR} finds before it would look at the environment.
     */
    Config nodeConfig() {
      Map<String, Object> variables = new HashMap<>(env());
      Config unresolved = ConfigFactory.parseResourcesAnySyntax("kubernetes.conf");
      assertTrue(
          unresolved.root().containsKey("meridian"),
          "kubernetes.conf (with application.conf) on the class path");
      return ConfigFactory.parseMap(variables)
          .withFallback(unresolved)
          .withFallback(ConfigFactory.defaultReference())
          .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
    }
  }
}
