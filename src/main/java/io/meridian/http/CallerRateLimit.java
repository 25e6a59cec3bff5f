package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The per-caller rate limit of the API (docs/api.md, "Rate limit"), as a directive around the
 * {@code /v1} routes: each caller has a token bucket on this node ({@link CallerBuckets}); a
 * request beyond it is answered 429 {@code rate_limited} with {@code Retry-After} (whole seconds,
 * at least 1) and reaches no route, so it changes nothing.
 *
 * <p>The caller is the SHA-256 of the bearer token when the request has one, else the client's IP
 * address (the connection's, from {@code pekko.http.server.remote-address-attribute}, never a
 * header the client writes). The limit is checked before authentication, so that a flood without a
 * valid token is refused as cheaply; a token is hashed, never kept.
 */
final class CallerRateLimit {

  /**
   * {@code meridian.rate-limit}.
   *
   * @param requestsPerSecond sustained requests per caller
   * @param burst requests an idle caller may send at once
   * @param maxCallers callers remembered at most
   */
  record Settings(boolean enabled, double requestsPerSecond, int burst, int maxCallers) {
    static Settings fromConfig(Config meridian) {
      Config limit = meridian.getConfig("rate-limit");
      return new Settings(
          limit.getBoolean("enabled"),
          limit.getDouble("requests-per-second"),
          limit.getInt("burst"),
          limit.getInt("max-callers"));
    }
  }

  private static final String BEARER = "bearer ";

  private final Settings settings;
  private final CallerBuckets buckets;
  private final ResponseMapper responses;

  CallerRateLimit(Settings settings, LongSupplier nanoTime, ResponseMapper responses) {
    this.settings = settings;
    this.buckets =
        new CallerBuckets(
            settings.requestsPerSecond(), settings.burst(), settings.maxCallers(), nanoTime);
    this.responses = responses;
  }

  /** {@code inner} for a request within its caller's limit, 429 for one beyond. */
  Route limit(Supplier<Route> inner) {
    if (!settings.enabled()) return inner.get();
    return extractRequest(
        request -> {
          CallerBuckets.Decision decision = buckets.tryTake(callerOf(request));
          if (decision.allowed()) return inner.get();
          long seconds = Math.max(1, (decision.retryAfter().toMillis() + 999) / 1000);
          return complete(
              responses.error(
                  StatusCodes.TOO_MANY_REQUESTS,
                  "rate_limited",
                  "more than "
                      + settings.burst()
                      + " requests at once or "
                      + settings.requestsPerSecond()
                      + " per second from this caller; retry after "
                      + seconds
                      + " s",
                  List.of(RawHeader.create("Retry-After", Long.toString(seconds)))));
        });
  }

  /**
   * {@code token:<sha-256 hex>} of the bearer token, else {@code ip:<address>} of the connection.
   */
  static String callerOf(HttpRequest request) {
    var authorization = request.getHeader("Authorization");
    if (authorization.isPresent()) {
      String value = authorization.get().value().trim();
      if (value.length() > BEARER.length()
          && value.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER))
        return "token:" + sha256Hex(value.substring(BEARER.length()).trim());
    }
    return "ip:"
        + request
            .getAttribute(AttributeKeys.remoteAddress)
            .flatMap(address -> address.getAddress())
            .map(address -> address.getHostAddress())
            .orElse("unknown");
  }

  private static String sha256Hex(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
