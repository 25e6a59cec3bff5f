package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallerTokensTest {
  private static final String ORDERS_OLD = "orders-token-old";
  private static final String ORDERS_NEW = "orders-token-new";
  private static final String REPORTS = "reports-token";

  /** {@code meridian} with the given callers list and the other keys empty. */
  private static Config meridian(String callers) {
    return ConfigFactory.parseString(
        "api { token = \"\", callers-file = \"\", callers = " + callers + " }\nadmin-token = \"\"");
  }

  private static String caller(String name, String scopes, String... tokens) {
    return "{ name = "
        + name
        + ", scopes = "
        + scopes
        + ", token-sha256 = ["
        + String.join(
            ", ",
            List.of(tokens).stream().map(t -> "\"" + CallerTokens.sha256Hex(t) + "\"").toList())
        + "] }";
  }

  private static final Config TWO_CALLERS =
      meridian(
          "["
              + caller("orders", "[read, write, payments]", ORDERS_OLD, ORDERS_NEW)
              + ", "
              + caller("reports", "[read]", REPORTS)
              + "]");

  @Test
  void aTokenIdentifiesTheCallerWhoseHashMatches() {
    var tokens = CallerTokens.fromConfig(TWO_CALLERS);
    Caller reports = tokens.identify(REPORTS).orElseThrow();
    assertEquals("reports", reports.name());
    assertEquals(EnumSet.of(Scope.READ), reports.scopes());
    assertTrue(reports.has(Scope.READ));
    assertFalse(reports.has(Scope.WRITE), "a scope the caller was not given");
  }

  @Test
  void bothTokensOfACallerInRotationAreValid() {
    var tokens = CallerTokens.fromConfig(TWO_CALLERS);
    assertEquals("orders", tokens.identify(ORDERS_OLD).orElseThrow().name());
    assertEquals("orders", tokens.identify(ORDERS_NEW).orElseThrow().name());
  }

  @Test
  void anUnknownTokenOrAPrefixOrAHashIdentifiesNobody() {
    var tokens = CallerTokens.fromConfig(TWO_CALLERS);
    assertEquals(Optional.empty(), tokens.identify("someone-else"));
    assertEquals(Optional.empty(), tokens.identify(REPORTS.substring(0, 5)));
    assertEquals(Optional.empty(), tokens.identify(REPORTS + "x"));
    assertEquals(
        Optional.empty(),
        tokens.identify(CallerTokens.sha256Hex(REPORTS)),
        "the stored hash is not a credential");
    assertEquals(Optional.empty(), tokens.identify(""));
  }

  @Test
  void everyConfiguredHashIsComparedWhetherTheFirstTheLastOrNoneMatches() {
    AtomicInteger comparisons = new AtomicInteger();
    var tokens =
        new CallerTokens.Builder()
            .hashed(TWO_CALLERS.getConfigList("api.callers"), "test")
            .build(
                (a, b) -> {
                  comparisons.incrementAndGet();
                  return MessageDigest.isEqual(a, b);
                });
    for (String token : List.of(ORDERS_OLD, REPORTS, "nobody")) {
      comparisons.set(0);
      tokens.identify(token);
      assertEquals(3, comparisons.get(), "comparisons for " + token);
    }
  }

  @Test
  void noCallerConfiguredIdentifiesNobody() {
    var tokens = CallerTokens.fromConfig(meridian("[]"));
    assertTrue(tokens.isEmpty());
    assertEquals(Optional.empty(), tokens.identify("anything"));
    assertEquals(Optional.empty(), tokens.identify(""));
  }

  @Test
  void thePlainApiAndAdminTokensAreCallersApiAndAdmin() {
    var tokens =
        CallerTokens.fromConfig(
            ConfigFactory.parseString(
                    "api.token = \"api-secret\"\nadmin-token = \"admin-secret\\n\"")
                .withFallback(meridian("[]")));
    Caller api = tokens.identify("api-secret").orElseThrow();
    assertEquals("api", api.name());
    assertEquals(EnumSet.of(Scope.READ, Scope.WRITE, Scope.PAYMENTS), api.scopes());
    Caller admin = tokens.identify("admin-secret").orElseThrow();
    assertEquals("admin", admin.name(), "trailing newline of a Secret file ignored");
    assertEquals(EnumSet.of(Scope.ADMIN, Scope.READ), admin.scopes());
  }

  @Test
  void hashesMayBeUpperCaseAndASingleString() {
    var tokens =
        CallerTokens.fromConfig(
            meridian(
                "[{ name = x, scopes = [write], token-sha256 = \""
                    + CallerTokens.sha256Hex("x-token").toUpperCase(Locale.ROOT)
                    + "\" }]"));
    assertEquals("x", tokens.identify("x-token").orElseThrow().name());
  }

  @Test
  void theHashIsSha256OfTheTokensUtf8BytesAsSha256sumPrintsIt() {
    // printf %s abc | sha256sum
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        CallerTokens.sha256Hex("abc"));
  }

  @Test
  void callersFromTheCallersFileAddToTheConfiguredOnes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("callers.conf");
    Files.writeString(file, "callers = [" + caller("billing", "[payments]", "billing-token") + "]");
    var tokens =
        CallerTokens.fromConfig(
            ConfigFactory.parseString("api.callers-file = \"" + file + "\"")
                .withFallback(TWO_CALLERS));
    assertEquals("billing", tokens.identify("billing-token").orElseThrow().name());
    assertEquals("reports", tokens.identify(REPORTS).orElseThrow().name());
  }

  @Test
  void aMissingCallersFileStopsTheNode(@TempDir Path dir) {
    var config =
        ConfigFactory.parseString("api.callers-file = \"" + dir.resolve("absent.conf") + "\"")
            .withFallback(TWO_CALLERS);
    assertThrows(ConfigException.class, () -> CallerTokens.fromConfig(config));
  }

  @Test
  void aMisconfiguredCallerStopsTheNodeAndSaysWhere() {
    String hash = CallerTokens.sha256Hex("t");
    List<String> wrong =
        List.of(
            "[{ name = a, scopes = [read, root], token-sha256 = [\"" + hash + "\"] }]",
            "[{ name = a, scopes = [], token-sha256 = [\"" + hash + "\"] }]",
            "[{ name = a, scopes = [read], token-sha256 = [\"abc\"] }]",
            "[{ name = a, scopes = [read], token-sha256 = [] }]",
            "[{ name = a, scopes = [read] }]",
            "[{ scopes = [read], token-sha256 = [\"" + hash + "\"] }]",
            "[{ name = \"a b\", scopes = [read], token-sha256 = [\"" + hash + "\"] }]",
            "[" + caller("a", "[read]", "t1") + ", " + caller("a", "[write]", "t2") + "]",
            "[" + caller("a", "[read]", "t") + ", " + caller("b", "[write]", "t") + "]");
    for (String callers : wrong) {
      var e =
          assertThrows(
              ConfigException.class, () -> CallerTokens.fromConfig(meridian(callers)), callers);
      assertTrue(e.getMessage().contains("meridian.api.callers["), e.getMessage());
    }
  }

  @Test
  void theDescriptionNamesCallersAndScopesButNoTokenOrHash() {
    String described = CallerTokens.fromConfig(TWO_CALLERS).describe();
    assertEquals("orders [read, write, payments] (2 tokens), reports [read]", described);
  }
}
