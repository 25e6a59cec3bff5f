package io.meridian.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority for tests, made with the JDK's keytool (no extra library): a
 * root CA, and certificates it issues with chosen subject names, each as a PKCS12 key store (the
 * HTTPS and ConfigSSLEngineProvider form) and as the PEM files of a cert-manager Secret ({@code
 * tls.key}, {@code tls.crt}, {@code ca.crt}: the RotatingKeysSSLEngineProvider form).
 */
public final class KeytoolPki {
  public static final String PASSWORD = "test-store-password";

  private final Path dir;
  private final String caName;

  private KeytoolPki(Path dir, String caName) {
    this.dir = dir;
    this.caName = caName;
  }

  /** A new root CA named {@code CN=caName}, its files under {@code dir/caName}. */
  public static KeytoolPki create(Path dir, String caName) {
    var pki = new KeytoolPki(dir.resolve(caName), caName);
    try {
      Files.createDirectories(pki.dir);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    pki.keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=" + caName,
        "-ext",
        "bc:c",
        "-validity",
        "2",
        "-keystore",
        pki.caStore().toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    pki.keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        pki.caStore().toString(),
        "-storepass",
        PASSWORD,
        "-file",
        pki.caCertificate().toString());
    pki.keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        pki.caCertificate().toString(),
        "-keystore",
        pki.trustStore().toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    return pki;
  }

  /** What the CA issued to one holder. */
  public record Issued(Path keyStore, Path pemDirectory) {}

  /**
   * A certificate for {@code CN=commonName} with the given subject alternative names in keytool's
   * form ({@code dns:remoting.meridian.internal}, {@code ip:127.0.0.1}), valid for server and
   * client authentication.
   */
  public Issued issue(String commonName, List<String> subjectAltNames) {
    Path holder = dir.resolve(commonName + "-" + System.nanoTime());
    try {
      Files.createDirectories(holder);
      Path store = holder.resolve("keystore.p12");
      Path request = holder.resolve("request.csr");
      Path certificate = holder.resolve("tls.crt");
      keytool(
          "-genkeypair",
          "-alias",
          "node",
          "-keyalg",
          "RSA",
          "-keysize",
          "2048",
          "-dname",
          "CN=" + commonName,
          "-validity",
          "2",
          "-keystore",
          store.toString(),
          "-storetype",
          "PKCS12",
          "-storepass",
          PASSWORD);
      keytool(
          "-certreq",
          "-alias",
          "node",
          "-keystore",
          store.toString(),
          "-storepass",
          PASSWORD,
          "-file",
          request.toString());
      List<String> sign =
          new ArrayList<>(
              List.of(
                  "-gencert",
                  "-rfc",
                  "-alias",
                  "ca",
                  "-keystore",
                  caStore().toString(),
                  "-storepass",
                  PASSWORD,
                  "-infile",
                  request.toString(),
                  "-outfile",
                  certificate.toString(),
                  "-validity",
                  "2",
                  "-ext",
                  "EKU=serverAuth,clientAuth"));
      if (!subjectAltNames.isEmpty()) {
        sign.add("-ext");
        sign.add("SAN=" + String.join(",", subjectAltNames));
      }
      keytool(sign.toArray(String[]::new));
      // The CA first, so that the signed certificate replaces the self-signed one as a chain.
      keytool(
          "-importcert",
          "-noprompt",
          "-alias",
          "ca",
          "-file",
          caCertificate().toString(),
          "-keystore",
          store.toString(),
          "-storepass",
          PASSWORD);
      keytool(
          "-importcert",
          "-alias",
          "node",
          "-file",
          certificate.toString(),
          "-keystore",
          store.toString(),
          "-storepass",
          PASSWORD);
      Files.copy(caCertificate(), holder.resolve("ca.crt"));
      Files.writeString(holder.resolve("tls.key"), privateKeyPem(store));
      return new Issued(store, holder);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** PKCS12 with the CA's certificate only. */
  public Path trustStore() {
    return dir.resolve("truststore.p12");
  }

  public Path caCertificate() {
    return dir.resolve("ca.crt");
  }

  /** A client context that trusts this CA only. */
  public SSLContext clientContext() {
    try (InputStream in = Files.newInputStream(trustStore())) {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(in, PASSWORD.toCharArray());
      var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("trust store of " + caName, e);
    }
  }

  private Path caStore() {
    return dir.resolve("ca.p12");
  }

  private static String privateKeyPem(Path store) {
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(in, PASSWORD.toCharArray());
      PrivateKey key = (PrivateKey) keys.getKey("node", PASSWORD.toCharArray());
      return "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(key.getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("private key of " + store, e);
    }
  }

  private void keytool(String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(arguments));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("keytool did not finish: " + command);
      }
      if (process.exitValue() != 0)
        throw new IllegalStateException("keytool failed: " + command + "\n" + output);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
