package io.meridian.client;

import java.time.Duration;
import java.util.List;

/**
 * How a call ended: every attempt in order, the last one deciding. {@code deadlineReached}: the
 * client stopped retrying because the call's deadline had come (or the next wait would pass it).
 */
public record CallResult(
    ApiRequest request, List<Answer> attempts, Duration took, boolean deadlineReached) {

  public Answer last() {
    return attempts.get(attempts.size() - 1);
  }

  public boolean isSuccess() {
    return last().isSuccess();
  }

  /**
   * Whether some attempt may have been executed although the call did not succeed: an attempt
   * without an answer that was not refused, or a 503 that says the write may have happened ({@code
   * owner_unavailable}, {@code not_durable_yet}, {@code timeout}). With an idempotency key such an
   * attempt is applied at most once, whatever happens next.
   */
  public boolean mayHaveBeenApplied() {
    for (Answer answer : attempts)
      if (answer.isTransportFailure() ? !answer.refused() : RetryPolicy.isUncertain(answer))
        return true;
    return false;
  }
}
