package io.meridian.http;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One token bucket per caller key: {@code burst} tokens at most, refilled at {@code perSecond}; a
 * request takes one token or is refused with the time until one is there. Pure but for the clock,
 * which is given (nanoseconds), so the arithmetic is tested without waiting.
 *
 * <p>Memory is bounded: a caller whose bucket is full again (idle for {@code burst / perSecond}) is
 * exactly as if it had never come, so it is forgotten; and at most {@code maxCallers} are kept, the
 * least recently seen forgotten first when more come (it then starts again with a full bucket: more
 * lenient, never stricter). Both are O(1) per request: callers are kept in the order they were last
 * seen, so the idle ones are at the head.
 */
final class CallerBuckets {

  /** What a request gets: allowed, or refused until {@code retryAfter} has passed. */
  record Decision(boolean allowed, Duration retryAfter) {
    static final Decision ALLOWED = new Decision(true, Duration.ZERO);
  }

  private static final class Bucket {
    double tokens;
    long lastNanos;

    Bucket(double tokens, long lastNanos) {
      this.tokens = tokens;
      this.lastNanos = lastNanos;
    }
  }

  private final double perSecond;
  private final double burst;
  private final int maxCallers;
  private final long refillFromEmptyNanos;
  private final LongSupplier nanoTime;

  /** Access order: the caller seen longest ago first. Guarded by {@code this}. */
  private final LinkedHashMap<String, Bucket> buckets = new LinkedHashMap<>(16, 0.75f, true);

  CallerBuckets(double perSecond, int burst, int maxCallers, LongSupplier nanoTime) {
    if (!(perSecond > 0) || burst < 1 || maxCallers < 1)
      throw new IllegalArgumentException(
          "rate limit: requests-per-second must be positive, burst and max-callers at least 1");
    this.perSecond = perSecond;
    this.burst = burst;
    this.maxCallers = maxCallers;
    this.refillFromEmptyNanos = (long) Math.ceil(burst / perSecond * 1e9);
    this.nanoTime = nanoTime;
  }

  /** Takes a token from {@code caller}'s bucket, or says how long until there is one. */
  synchronized Decision tryTake(String caller) {
    long now = nanoTime.getAsLong();
    forgetIdle(now);
    Bucket bucket = buckets.get(caller);
    if (bucket == null) {
      if (buckets.size() >= maxCallers) {
        Iterator<Map.Entry<String, Bucket>> eldest = buckets.entrySet().iterator();
        eldest.next();
        eldest.remove();
      }
      bucket = new Bucket(burst, now);
      buckets.put(caller, bucket);
    } else {
      double refilled = (now - bucket.lastNanos) / 1e9 * perSecond;
      bucket.tokens = Math.min(burst, bucket.tokens + refilled);
      bucket.lastNanos = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Decision.ALLOWED;
    }
    long waitNanos = (long) Math.ceil((1 - bucket.tokens) / perSecond * 1e9);
    return new Decision(false, Duration.ofNanos(waitNanos));
  }

  /** Callers remembered now. */
  synchronized int size() {
    return buckets.size();
  }

  /**
   * Forgets the callers not seen for at least the time a bucket takes to refill from empty: their
   * buckets are full, like a new caller's. They are at the head (access order), so this stops at
   * the first caller seen more recently.
   */
  private void forgetIdle(long now) {
    for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
      if (now - it.next().lastNanos < refillFromEmptyNanos) return;
      it.remove();
    }
  }
}
