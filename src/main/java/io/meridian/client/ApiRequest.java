package io.meridian.client;

import java.time.Duration;

/**
 * One call of the API, before it is sent: what {@link MeridianClient}'s typed methods build, and
 * what a tool sends through {@link MeridianClient#send} for full control.
 *
 * @param operation a name for metrics and logs ({@code adjust-points}, ...)
 * @param path the path and query, starting with {@code /v1/}
 * @param body the JSON body, or null
 * @param userId the user the call is about (for the owner cache), or null
 * @param homeHint for {@link Routing#OWNER}: the user's home region if the request names it (a
 *     create), or null
 * @param idempotencyKey the {@code Idempotency-Key} every attempt sends, or null for none
 * @param firstRegion the region of the first attempt, overriding {@code routing}; null: by routing
 * @param deadline the time the whole call may take, or null for the client's default
 * @param retryable whether a failed attempt may be sent again: true for reads, keyed writes and
 *     payments (idempotent by their id); a write without a key is sent once
 */
public record ApiRequest(
    String operation,
    String method,
    String path,
    String body,
    Routing routing,
    String userId,
    String homeHint,
    String idempotencyKey,
    String firstRegion,
    Duration deadline,
    boolean retryable) {

  /** A read (GET) at the home region; retryable. */
  public static ApiRequest read(String operation, String path, String userId) {
    return new ApiRequest(
        operation, "GET", path, null, Routing.HOME, userId, null, null, null, null, true);
  }

  /** The same request with its first attempt at {@code region}. */
  public ApiRequest at(String region) {
    return new ApiRequest(
        operation,
        method,
        path,
        body,
        routing,
        userId,
        homeHint,
        idempotencyKey,
        region,
        deadline,
        retryable);
  }

  /** The same request with {@code region} as the user's home for {@link Routing#OWNER}. */
  public ApiRequest withHome(String region) {
    return new ApiRequest(
        operation,
        method,
        path,
        body,
        routing,
        userId,
        region,
        idempotencyKey,
        firstRegion,
        deadline,
        retryable);
  }

  /** The same request with another deadline. */
  public ApiRequest within(Duration callDeadline) {
    return new ApiRequest(
        operation,
        method,
        path,
        body,
        routing,
        userId,
        homeHint,
        idempotencyKey,
        firstRegion,
        callDeadline,
        retryable);
  }

  /** The same request with {@code key} as its Idempotency-Key (null: none, sent once). */
  public ApiRequest withIdempotencyKey(String key) {
    return new ApiRequest(
        operation,
        method,
        path,
        body,
        routing,
        userId,
        homeHint,
        key,
        firstRegion,
        deadline,
        key != null || method.equals("GET"));
  }
}
