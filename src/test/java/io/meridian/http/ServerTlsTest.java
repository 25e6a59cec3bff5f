package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.cluster.KeytoolPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTPS key store (meridian.http.tls) as cert-manager renews it: a renewed file is served to
 * new connections once the reload interval has passed, an unreadable one keeps the previous key,
 * and a key store that cannot be read at start stops the node there.
 */
class ServerTlsTest {
  private static final Duration RELOAD = Duration.ofMinutes(1);

  @TempDir static Path keys;
  private static KeytoolPki.Issued first;
  private static KeytoolPki.Issued renewed;

  @TempDir Path mount;
  private final AtomicLong clock = new AtomicLong();

  @BeforeAll
  static void issue() {
    var ca = KeytoolPki.create(keys, "api-ca");
    first = ca.issue("first", List.of("dns:localhost"));
    renewed = ca.issue("renewed", List.of("dns:localhost"));
  }

  @Test
  void renewedKeyStoreIsServedAfterTheReloadInterval() throws IOException {
    Path store = install(first.keyStore(), Instant.parse("2026-01-01T00:00:00Z"));
    var tls = new ServerTls(settings(store, KeytoolPki.PASSWORD), clock::get);
    assertEquals("CN=first", subject(tls));

    install(renewed.keyStore(), Instant.parse("2026-02-01T00:00:00Z"));
    clock.addAndGet(RELOAD.toNanos() - 1);
    assertEquals("CN=first", subject(tls), "not looked at before the interval");
    clock.addAndGet(1);
    assertEquals("CN=renewed", subject(tls));
    assertTrue(tls.newEngine().getEnabledProtocols().length > 0);
  }

  @Test
  void unreadableRenewalKeepsThePreviousKey() throws IOException {
    Path store = install(first.keyStore(), Instant.parse("2026-01-01T00:00:00Z"));
    var tls = new ServerTls(settings(store, KeytoolPki.PASSWORD), clock::get);
    Files.writeString(store, "half a file");
    Files.setLastModifiedTime(store, FileTime.from(Instant.parse("2026-02-01T00:00:00Z")));
    clock.addAndGet(RELOAD.toNanos());
    assertEquals("CN=first", subject(tls));
  }

  @Test
  void wrongPasswordStopsTheNodeAtStart() throws IOException {
    Path store = install(first.keyStore(), Instant.parse("2026-01-01T00:00:00Z"));
    var failure =
        assertThrows(IllegalStateException.class, () -> ServerTls.start(settings(store, "wrong")));
    assertTrue(failure.getMessage().contains(store.toString()), failure.getMessage());
  }

  @Test
  void missingKeyStoreStopsTheNodeAtStart() {
    assertThrows(
        IllegalStateException.class,
        () -> ServerTls.start(settings(mount.resolve("absent.p12"), KeytoolPki.PASSWORD)));
  }

  private Path install(Path keyStore, Instant modified) throws IOException {
    Path target = mount.resolve("keystore.p12");
    Files.copy(keyStore, target, StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(target, FileTime.from(modified));
    return target;
  }

  private static ServerTls.Settings settings(Path store, String password) {
    return new ServerTls.Settings(true, store, password, RELOAD);
  }

  private static String subject(ServerTls tls) {
    return tls.certificate().getSubjectX500Principal().getName();
  }
}
