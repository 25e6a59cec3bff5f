package io.meridian.client;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When {@link MeridianClient} sends a call again: after an attempt without an HTTP answer, a 503 or
 * a 429, while attempts remain and the call's deadline allows the wait. The wait grows from {@code
 * initialBackoff}, doubling up to {@code maxBackoff}, with jitter (half to all of it), and is never
 * shorter than the answer's {@code Retry-After}. Only requests that are safe to repeat are retried
 * ({@link ApiRequest#retryable()}): reads, writes with an Idempotency-Key, payments; any other
 * request only after an answer that says nothing was executed ({@link #nothingExecuted}).
 *
 * <p>A 4xx other than 429 is never retried: the request itself is wrong, and sending it again gets
 * the same answer.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

  /** 503 codes the API documents as "refused before anything was executed" (docs/api.md). */
  static final Set<String> REFUSED_503 =
      Set.of("ownership_unconfirmed", "region_unavailable", "no_quorum");

  public RetryPolicy {
    if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1");
  }

  /** Retries until the deadline: 50 ms first, doubling to 1 s. */
  public static RetryPolicy standard() {
    return new RetryPolicy(Integer.MAX_VALUE, Duration.ofMillis(50), Duration.ofSeconds(1));
  }

  /** One attempt, never another (a benchmark that times single attempts). */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
  }

  /** No HTTP answer, a 503 or a 429: another attempt may succeed. */
  public static boolean isRetryable(Answer answer) {
    return answer.isTransportFailure() || answer.status() == 503 || answer.status() == 429;
  }

  /**
   * An answer that says nothing was executed: the connection was refused, a 429, or a 503 the API
   * documents as refused before execution. Any request may be sent again after it, also a write
   * without an Idempotency-Key.
   */
  public static boolean nothingExecuted(Answer answer) {
    if (answer.isTransportFailure()) return answer.refused();
    return answer.status() == 429
        || (answer.status() == 503
            && answer.errorCode() != null
            && REFUSED_503.contains(answer.errorCode()));
  }

  /**
   * A 503 that does not say the request was refused before execution: it may have happened (the
   * owner did not answer in time, a payment not yet confirmed, the request timeout).
   */
  public static boolean isUncertain(Answer answer) {
    return answer.status() == 503
        && (answer.errorCode() == null || !REFUSED_503.contains(answer.errorCode()));
  }

  /** The wait before attempt {@code attemptsSoFar + 1}, in ms. */
  long backoffMillis(int attemptsSoFar, Answer previous) {
    long cap = maxBackoff.toMillis();
    long grown = initialBackoff.toMillis() << Math.min(20, Math.max(0, attemptsSoFar - 1));
    long backoff = Math.min(cap, grown);
    long jittered =
        backoff <= 1
            ? backoff
            : backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    long retryAfter = previous.retryAfter() == null ? 0 : previous.retryAfter().toMillis();
    return Math.max(jittered, retryAfter);
  }
}
