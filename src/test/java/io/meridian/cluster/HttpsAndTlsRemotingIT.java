package io.meridian.cluster;

import static io.meridian.cluster.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.cassandra.CassandraExtension;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three full nodes with every link of theirs encrypted as on Kubernetes: the HTTP API over HTTPS
 * (PKCS12 key store, meridian.http.tls) and Artery over tls-tcp with the RotatingKeys provider
 * (cert-manager's PEM files, identity verified), certificates from a CA made for the test. Clients
 * talk HTTPS, trusting only that CA and verifying the host name; a write sent to a region that does
 * not own the user reaches the owner over TLS remoting.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
class HttpsAndTlsRemotingIT {
  private static final Duration CONVERGE = Duration.ofSeconds(30);

  @TempDir static Path keys;
  private static KeytoolPki ca;
  private static ThreeRegions regions;
  private static HttpClient https;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    ca = KeytoolPki.create(keys, "meridian-test-ca");
    var remoting =
        ca.issue("meridian-remoting", List.of("dns:remoting.meridian.internal")).pemDirectory();
    var api = ca.issue("meridian-api", List.of("dns:localhost", "ip:127.0.0.1")).keyStore();
    String secure =
        """
        pekko.remote.artery.transport = tls-tcp
        pekko.remote.artery.ssl.rotating-keys-engine {
          key-file = "%1$s/tls.key"
          cert-file = "%1$s/tls.crt"
          ca-cert-file = "%1$s/ca.crt"
        }
        meridian.http.tls {
          enabled = on
          key-store = "%2$s"
          key-store-password = "%3$s"
        }
        """
            .formatted(remoting, api, KeytoolPki.PASSWORD);
    regions = ThreeRegions.start(cassandra, "it_tls_", secure);
    https =
        HttpClient.newBuilder()
            .sslContext(ca.clientContext())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  @Test
  void regionsFormedTheirClusterOverTls() {
    for (String region : ThreeRegions.REGIONS) {
      var config = regions.node(region).system().settings().config();
      assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"), region);
      assertEquals(
          "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
          config.getString("pekko.remote.artery.ssl.ssl-engine-provider"),
          region);
    }
    var members =
        org.apache.pekko.cluster.typed.Cluster.get(regions.node("us").system())
            .state()
            .getMembers();
    assertEquals(3, java.util.stream.StreamSupport.stream(members.spliterator(), false).count());
  }

  @Test
  void apiAnswersOverHttpsWithItsOwnCertificate() throws Exception {
    var created = send("us", "POST", "/v1/users", "{\"userId\":\"tls-1\",\"homeRegion\":\"us\"}");
    assertEquals(201, created.statusCode(), created.body());
    var certificate = (X509Certificate) created.sslSession().orElseThrow().getPeerCertificates()[0];
    assertTrue(
        certificate.getSubjectX500Principal().getName().contains("CN=meridian-api"),
        certificate.getSubjectX500Principal().getName());
  }

  @Test
  void writeSentToAnotherRegionReachesTheOwnerOverTlsRemoting() throws Exception {
    var created = send("us", "POST", "/v1/users", "{\"userId\":\"tls-2\",\"homeRegion\":\"us\"}");
    assertEquals(201, created.statusCode(), created.body());
    eventually(
        CONVERGE,
        () -> assertEquals(200, sendUnchecked("eu", "GET", "/v1/users/tls-2", null).statusCode()));
    var written = send("eu", "PATCH", "/v1/users/tls-2/profile", "{\"displayName\":\"Ada\"}");
    assertEquals(200, written.statusCode(), written.body());
    assertEquals("us", written.headers().firstValue("X-Meridian-Owner").orElse(null));
    assertEquals("eu", written.headers().firstValue("X-Meridian-Served-By").orElse(null));
    eventually(
        CONVERGE,
        () ->
            assertTrue(
                sendUnchecked("ap", "GET", "/v1/users/tls-2", null).body().contains("\"Ada\"")));
  }

  @Test
  void plainHttpIsNotServed() {
    var plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port("us") + "/v1/regions"))
            .timeout(Duration.ofSeconds(10))
            .build();
    assertThrows(
        IOException.class, () -> plain.send(request, HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void clientThatDoesNotTrustTheCaIsRefused() {
    var untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    var request =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port("us") + "/v1/regions"))
            .timeout(Duration.ofSeconds(10))
            .build();
    assertThrows(
        javax.net.ssl.SSLHandshakeException.class,
        () -> untrusting.send(request, HttpResponse.BodyHandlers.ofString()));
  }

  // ---------------------------------------------------------------------------------------------

  private static int port(String region) {
    return regions.config(region).getInt("meridian.http.port");
  }

  private static HttpResponse<String> send(String region, String method, String path, String body)
      throws IOException, InterruptedException {
    var builder =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port(region) + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + ThreeRegions.API_TOKEN)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) builder.header("Content-Type", "application/json");
    return https.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> sendUnchecked(
      String region, String method, String path, String body) {
    try {
      return send(region, method, path, body);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
