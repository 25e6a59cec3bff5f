package io.meridian.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Who may call {@code /v1}: each caller's name and scopes, and the SHA-256 digests of the bearer
 * tokens that identify it (docs/api.md, "Authentication"; docs/decisions.md, "Callers authenticate
 * with bearer tokens"). Only digests are kept, never a token: a caller configured in {@code
 * meridian.api.callers} (or the file {@code meridian.api.callers-file}, a mounted Kubernetes
 * Secret) is given as digests, and the two plain tokens from the environment are hashed as they are
 * read: {@code meridian.api.token} ({@code MERIDIAN_API_TOKEN}, caller {@code api}: read, write,
 * payments) and {@code meridian.admin-token} ({@code MERIDIAN_ADMIN_TOKEN}, caller {@code admin}:
 * admin and read). Several digests per caller are valid at once, which is how a token is rotated.
 */
final class CallerTokens {
  static final String API_CALLER = "api";
  static final String ADMIN_CALLER = "admin";
  static final Set<Scope> API_SCOPES = EnumSet.of(Scope.READ, Scope.WRITE, Scope.PAYMENTS);

  /**
   * The operator's token reads too: the operator console reads regions and users with it, and a
   * read is less than what the admin scope already allows (declaring a region down).
   */
  static final Set<Scope> ADMIN_SCOPES = EnumSet.of(Scope.ADMIN, Scope.READ);

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

  /** One valid token (as its digest) and the caller it identifies. */
  private record Entry(Caller caller, byte[] digest) {}

  private final List<Entry> entries;
  private final BiPredicate<byte[], byte[]> sameDigest;

  private CallerTokens(List<Entry> entries, BiPredicate<byte[], byte[]> sameDigest) {
    this.entries = List.copyOf(entries);
    this.sameDigest = sameDigest;
  }

  /**
   * The callers in {@code meridian} ({@code api.token}, {@code admin-token}, {@code api.callers},
   * {@code api.callers-file}); a wrong entry fails here, so a node never starts with a caller list
   * it misread.
   */
  static CallerTokens fromConfig(Config meridian) {
    var tokens = new Builder();
    tokens.plain(API_CALLER, API_SCOPES, meridian.getString("api.token"));
    tokens.plain(ADMIN_CALLER, ADMIN_SCOPES, meridian.getString("admin-token"));
    tokens.hashed(meridian.getConfigList("api.callers"), "meridian.api.callers");
    String file = meridian.getString("api.callers-file").trim();
    if (!file.isEmpty()) {
      Config callers;
      try {
        callers =
            ConfigFactory.parseFile(
                new File(file), ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new ConfigException.BadValue(
            "meridian.api.callers-file", "cannot read " + file + ": " + e.getMessage(), e);
      }
      if (!callers.hasPath("callers"))
        throw new ConfigException.BadValue(
            "meridian.api.callers-file", file + " must hold callers = [...]");
      tokens.hashed(callers.getConfigList("callers"), file + ": callers");
    }
    return tokens.build(MessageDigest::isEqual);
  }

  /**
   * The caller a bearer token identifies. The token's digest is compared with every configured
   * digest, in constant time each and without stopping at a match, so the time taken says neither
   * how much of a digest matched nor which entry did.
   */
  Optional<Caller> identify(String token) {
    byte[] digest = sha256(token);
    Caller found = null;
    for (Entry entry : entries) {
      if (sameDigest.test(digest, entry.digest())) found = entry.caller();
    }
    return Optional.ofNullable(found);
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Caller names, their scopes and how many tokens each has: for the log, never the digests. */
  String describe() {
    return entries.stream()
        .collect(
            Collectors.groupingBy(
                Entry::caller, java.util.LinkedHashMap::new, Collectors.counting()))
        .entrySet()
        .stream()
        .map(
            e ->
                e.getKey().name()
                    + " "
                    + e.getKey().scopes().stream().map(Scope::configName).toList()
                    + (e.getValue() > 1 ? " (" + e.getValue() + " tokens)" : ""))
        .collect(Collectors.joining(", "));
  }

  /** The SHA-256 of a token's UTF-8 bytes, as {@code printf %s "$TOKEN" | sha256sum} prints it. */
  static String sha256Hex(String token) {
    return HexFormat.of().formatHex(sha256(token));
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Collects callers and checks them: unique names, known scopes, well-formed unique digests. */
  static final class Builder {
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Set<String> digests = new HashSet<>();

    /** A caller whose one token is given in plain text (from the environment); blank: none. */
    Builder plain(String name, Set<Scope> scopes, String token) {
      String trimmed = token.trim(); // a Secret written from a file often ends with a newline
      if (trimmed.isEmpty()) return this;
      return add(new Caller(name, scopes), List.of(sha256Hex(trimmed)), name);
    }

    /** Callers given as {@code {name, scopes, token-sha256}} entries. */
    Builder hashed(List<? extends Config> callers, String where) {
      for (int i = 0; i < callers.size(); i++) {
        Config c = callers.get(i);
        String at = where + "[" + i + "]";
        String name = required(c, "name", at).getString("name");
        List<Scope> scopes = new ArrayList<>();
        for (String scope : required(c, "scopes", at).getStringList("scopes")) {
          scopes.add(
              Scope.parse(scope)
                  .orElseThrow(
                      () ->
                          new ConfigException.BadValue(
                              at + ".scopes",
                              "unknown scope '" + scope + "'; use read, write, payments, admin")));
        }
        if (scopes.isEmpty())
          throw new ConfigException.BadValue(at + ".scopes", "a caller needs at least one scope");
        required(c, "token-sha256", at);
        List<String> hashes =
            c.getValue("token-sha256").valueType() == ConfigValueType.LIST
                ? c.getStringList("token-sha256")
                : List.of(c.getString("token-sha256"));
        add(new Caller(name, EnumSet.copyOf(scopes)), hashes, at);
      }
      return this;
    }

    CallerTokens build(BiPredicate<byte[], byte[]> sameDigest) {
      return new CallerTokens(entries, sameDigest);
    }

    private Builder add(Caller caller, List<String> hashes, String at) {
      if (!NAME.matcher(caller.name()).matches())
        throw new ConfigException.BadValue(
            at + ".name",
            "a caller name is 1-64 of A-Z a-z 0-9 . _ : -, not '" + caller.name() + "'");
      if (!names.add(caller.name()))
        throw new ConfigException.BadValue(
            at + ".name",
            "caller '"
                + caller.name()
                + "' is configured twice (list all its token hashes in one entry)");
      if (hashes.isEmpty())
        throw new ConfigException.BadValue(at + ".token-sha256", "a caller needs a token hash");
      for (String hash : hashes) {
        if (!SHA256_HEX.matcher(hash).matches())
          throw new ConfigException.BadValue(
              at + ".token-sha256", "a token hash is 64 hex digits (sha256sum of the token)");
        String normalized = hash.toLowerCase(java.util.Locale.ROOT);
        if (!digests.add(normalized))
          throw new ConfigException.BadValue(
              at + ".token-sha256",
              "the same token hash is configured twice: a token must identify one caller");
        entries.add(new Entry(caller, HexFormat.of().parseHex(normalized)));
      }
      return this;
    }

    private static Config required(Config c, String key, String at) {
      if (!c.hasPath(key))
        throw new ConfigException.BadValue(
            at + "." + key, "missing; a caller has name, scopes, token-sha256");
      return c;
    }
  }
}
