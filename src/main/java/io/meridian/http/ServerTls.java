package io.meridian.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS for the API ({@code meridian.http.tls}): the server key and certificate chain come from a
 * PKCS12 key store file (on Kubernetes a mounted Secret that cert-manager renews). Every new
 * connection gets an engine from the current key store; the file is looked at again at most once
 * per {@code reload-interval} and read again when it changed, so a renewed certificate is served
 * without a restart. A key store that cannot be read at start stops the node; one that cannot be
 * read later keeps the previous key (logged), since an expired certificate is better noticed by the
 * clients than a node that refuses every connection.
 */
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  /** TLS 1.3, and 1.2 for older clients (with the JDK's default cipher suites for it). */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  /** {@code meridian.http.tls}. */
  public record Settings(
      boolean enabled, Path keyStore, String keyStorePassword, Duration reloadInterval) {

    public static Settings fromConfig(Config tls) {
      return new Settings(
          tls.getBoolean("enabled"),
          Path.of(tls.getString("key-store")),
          tls.getString("key-store-password"),
          tls.getDuration("reload-interval"));
    }
  }

  private record Loaded(
      SSLContext context, X509Certificate certificate, FileTime modified, long size) {}

  private final Settings settings;
  private final LongSupplier nanoClock;
  private final AtomicReference<Loaded> current = new AtomicReference<>();
  private volatile long checkedAt;

  ServerTls(Settings settings, LongSupplier nanoClock) {
    this.settings = settings;
    this.nanoClock = nanoClock;
    this.current.set(load());
    this.checkedAt = nanoClock.getAsLong();
  }

  /** Reads the key store now: a missing file or a wrong password fails here, at start. */
  public static ServerTls start(Settings settings) {
    return new ServerTls(settings, System::nanoTime);
  }

  /** For {@code newServerAt(...).enableHttps(...)}. */
  public HttpsConnectionContext connectionContext() {
    return ConnectionContext.httpsServer(this::newEngine);
  }

  SSLEngine newEngine() {
    SSLEngine engine = context().createSSLEngine();
    engine.setUseClientMode(false);
    engine.setEnabledProtocols(PROTOCOLS);
    return engine;
  }

  /** The context of the key store as it is now (read again if the file changed). */
  SSLContext context() {
    return loaded().context();
  }

  /** The certificate new connections are served (read again if the file changed). */
  X509Certificate certificate() {
    return loaded().certificate();
  }

  private Loaded loaded() {
    long now = nanoClock.getAsLong();
    if (now - checkedAt >= settings.reloadInterval().toNanos()) {
      checkedAt = now;
      reloadIfChanged();
    }
    return current.get();
  }

  private void reloadIfChanged() {
    Loaded before = current.get();
    try {
      if (Files.getLastModifiedTime(settings.keyStore()).equals(before.modified())
          && Files.size(settings.keyStore()) == before.size()) return;
      current.set(load());
      log.info("HTTPS key store {} changed: new connections use it", settings.keyStore());
    } catch (RuntimeException | IOException e) {
      log.warn(
          "HTTPS key store {} changed but cannot be read; serving the previous one: {}",
          settings.keyStore(),
          e.toString());
    }
  }

  private Loaded load() {
    Path file = settings.keyStore();
    char[] password = settings.keyStorePassword().toCharArray();
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(file)) {
        store.load(in, password);
      }
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      X509Certificate certificate = null;
      for (String alias : Collections.list(store.aliases()))
        if (store.isKeyEntry(alias)) certificate = (X509Certificate) store.getCertificate(alias);
      if (certificate == null) throw new KeyStoreException("no private key entry");
      return new Loaded(context, certificate, modified, size);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot read the HTTPS key store "
              + file
              + " (meridian.http.tls.key-store, PKCS12, password meridian.http.tls.key-store-password): "
              + e.getMessage(),
          e);
    }
  }
}
