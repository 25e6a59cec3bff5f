package io.meridian.client;

import java.time.Duration;

/**
 * What one attempt got: an HTTP answer ({@code status} > 0), or none ({@code status} 0, {@code
 * failure} names why; {@code refused}: the connection was refused, so the request reached no
 * server).
 *
 * @param region the region the attempt was sent to
 * @param errorCode the {@code error} of an error body, else null
 * @param servedBy {@code X-Meridian-Served-By}, or null
 * @param owner {@code X-Meridian-Owner}, or null
 * @param retryAfter {@code Retry-After}, or null
 */
public record Answer(
    String region,
    int status,
    String body,
    String errorCode,
    String servedBy,
    String owner,
    Duration retryAfter,
    String failure,
    boolean refused,
    Duration took) {

  public boolean isSuccess() {
    return status >= 200 && status < 300;
  }

  /** No HTTP answer: a connection failure or a timeout. */
  public boolean isTransportFailure() {
    return status == 0;
  }

  /** A short description for logs and exceptions. */
  public String describe() {
    if (status == 0) return region + ": " + failure + (refused ? " (refused)" : "");
    return region + ": " + status + (errorCode == null ? "" : " " + errorCode);
  }
}
