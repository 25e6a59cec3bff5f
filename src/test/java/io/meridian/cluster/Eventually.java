package io.meridian.cluster;

import java.time.Duration;

/** Retries an assertion until it holds or the time is up (the HTTP-level twin of awaitAssert). */
public final class Eventually {
  private Eventually() {}

  public static void eventually(Duration timeout, Runnable assertion) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        assertion.run();
        return;
      } catch (AssertionError | RuntimeException e) {
        if (System.nanoTime() > deadline) throw e;
        ThreeRegions.sleepMillis(100);
      }
    }
  }
}
