package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token buckets' arithmetic and memory bound, on a clock the test moves. */
class CallerBucketsTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private CallerBuckets buckets(double perSecond, int burst, int maxCallers) {
    return new CallerBuckets(perSecond, burst, maxCallers, now::get);
  }

  private void advance(Duration by) {
    now.addAndGet(by.toNanos());
  }

  @Test
  void aNewCallerMaySendTheBurstAtOnceAndNotOneMore() {
    var buckets = buckets(2, 3, 10);
    for (int i = 0; i < 3; i++) assertTrue(buckets.tryTake("a").allowed(), "request " + i);

    var refused = buckets.tryTake("a");

    assertFalse(refused.allowed());
    assertEquals(Duration.ofMillis(500), refused.retryAfter(), "one token at 2/s takes 500 ms");
  }

  @Test
  void tokensComeBackAtTheRateAndNotFaster() {
    var buckets = buckets(4, 2, 10);
    buckets.tryTake("a");
    buckets.tryTake("a");

    advance(Duration.ofMillis(249));
    var early = buckets.tryTake("a");
    assertFalse(early.allowed(), "0.996 of a token is not a token");
    assertEquals(1, early.retryAfter().toMillis(), "the missing 0.004 token takes 1 ms");

    advance(Duration.ofMillis(1));
    assertTrue(buckets.tryTake("a").allowed(), "a token after 250 ms at 4/s");
    assertFalse(buckets.tryTake("a").allowed(), "and only one");
  }

  @Test
  void aRefusedRequestTakesNothingSoTheWaitDoesNotGrow() {
    var buckets = buckets(1, 1, 10);
    buckets.tryTake("a");
    advance(Duration.ofMillis(400));

    var first = buckets.tryTake("a");
    var second = buckets.tryTake("a");

    assertEquals(Duration.ofMillis(600), first.retryAfter());
    assertEquals(first.retryAfter(), second.retryAfter());
    advance(Duration.ofMillis(600));
    assertTrue(buckets.tryTake("a").allowed());
  }

  @Test
  void theBucketNeverHoldsMoreThanTheBurst() {
    var buckets = buckets(10, 3, 10);
    buckets.tryTake("a"); // 2 left
    advance(Duration.ofMillis(290)); // 2.9 more would make 4.9

    for (int i = 0; i < 3; i++) assertTrue(buckets.tryTake("a").allowed());
    assertFalse(buckets.tryTake("a").allowed(), "3 at most, not 4");
  }

  @Test
  void aCallerIdleForHoursStillGetsOnlyTheBurst() {
    var buckets = buckets(10, 3, 10);
    buckets.tryTake("a");
    advance(Duration.ofHours(1));

    for (int i = 0; i < 3; i++) assertTrue(buckets.tryTake("a").allowed());
    assertFalse(buckets.tryTake("a").allowed(), "an hour idle gives 3, not 36,000");
  }

  @Test
  void callersHaveBucketsOfTheirOwn() {
    var buckets = buckets(1, 1, 10);
    assertTrue(buckets.tryTake("a").allowed());
    assertFalse(buckets.tryTake("a").allowed());

    assertTrue(buckets.tryTake("b").allowed());
  }

  @Test
  void aCallerIdleUntilItsBucketIsFullIsForgotten() {
    var buckets = buckets(2, 4, 10); // full again 2 s after empty
    for (int i = 0; i < 4; i++) buckets.tryTake("idle");
    advance(Duration.ofMillis(1_999));
    buckets.tryTake("busy");
    assertEquals(2, buckets.size(), "not yet full: kept");

    advance(Duration.ofMillis(1));
    buckets.tryTake("busy");

    assertEquals(1, buckets.size(), "full again: forgotten");
    for (int i = 0; i < 4; i++) assertTrue(buckets.tryTake("idle").allowed(), "back with 4");
  }

  @Test
  void beyondMaxCallersTheLeastRecentlySeenIsForgottenAndStartsFull() {
    var buckets = buckets(0.001, 1, 2);
    buckets.tryTake("a");
    buckets.tryTake("b");
    buckets.tryTake("a"); // refused; a is now the most recently seen

    buckets.tryTake("c");

    assertEquals(2, buckets.size());
    assertFalse(buckets.tryTake("a").allowed(), "a was kept, still empty");
    assertTrue(buckets.tryTake("b").allowed(), "b was forgotten, so it starts full again");
  }

  @Test
  void settingsMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> buckets(0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> buckets(1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> buckets(1, 1, 0));
  }
}
