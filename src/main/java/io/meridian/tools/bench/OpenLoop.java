package io.meridian.tools.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Open-loop latency: operations sent at fixed intervals from a start time, one step per rate
 * ({@code --rates}), whatever the answers do. Operation {@code i} of a step is due at {@code start
 * + i / rate}; its latency counts from that intended time, not from when it was actually sent, so a
 * stall of the system (or of this sender) shows in the percentiles instead of silently lowering the
 * load (the coordinated-omission correction). Sends are asynchronous: a slow answer does not delay
 * later sends; only when {@code maxInFlight} requests are outstanding does the sender wait, and the
 * wait counts in the latency of the operations it delays.
 */
final class OpenLoop {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");

  /** What one rate's step measured. Latencies in microseconds, from the intended send time. */
  record Step(
      double offeredPerSecond,
      double seconds,
      long sent,
      Histogram latency,
      Map<String, Histogram> byKey,
      Map<String, Long> errors,
      long maxSendDelayMicros) {
    long ok() {
      return latency.getTotalCount();
    }

    long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    double achievedPerSecond() {
      return seconds <= 0 ? 0 : ok() / seconds;
    }

    double p99Millis() {
      return Report.ms(latency.getValueAtPercentile(99));
    }
  }

  /**
   * When a step passes: its p99 under the bound, (almost) every operation completed ({@code
   * achieved >= minAchievedShare x offered}) and errors at most {@code maxErrorShare} of what was
   * sent.
   */
  record Bound(double p99Millis, double minAchievedShare, double maxErrorShare) {
    static Bound of(double p99Millis) {
      return new Bound(p99Millis, 0.95, 0.01);
    }

    boolean passes(Step step) {
      return step.ok() > 0
          && step.p99Millis() <= p99Millis
          && step.achievedPerSecond() >= minAchievedShare * step.offeredPerSecond()
          && step.errorCount() <= maxErrorShare * Math.max(1, step.sent());
    }

    String rule() {
      return "the highest offered rate whose p99 (from the intended send time) <= "
          + p99Millis
          + " ms, with achieved >= "
          + minAchievedShare
          + " x offered and errors <= "
          + maxErrorShare
          + " of sent";
    }
  }

  /** Nanoseconds after the step's start at which operation {@code i} is due. */
  static long intendedOffsetNanos(double ratePerSecond, long i) {
    return Math.round(i * 1e9 / ratePerSecond);
  }

  /** Operations of a step of {@code stepNanos} at {@code rate}: those due before its end. */
  static long operationsInStep(double ratePerSecond, long stepNanos) {
    return (long) Math.ceil(stepNanos * ratePerSecond / 1e9 - 1e-9);
  }

  /**
   * The latency to record: from the intended send time to the answer, in microseconds (at least 1).
   */
  static long correctedMicros(long intendedNanos, long answeredNanos) {
    return Math.max(1, (answeredNanos - intendedNanos) / 1_000);
  }

  /** The highest offered rate that passes, or null if none does. */
  static Double maxSustainableRate(List<Step> steps, Bound bound) {
    Double best = null;
    for (Step step : steps)
      if (bound.passes(step) && (best == null || step.offeredPerSecond() > best))
        best = step.offeredPerSecond();
    return best;
  }

  private final int maxInFlight;
  private final Duration drainTimeout;

  OpenLoop(int maxInFlight, Duration drainTimeout) {
    this.maxInFlight = maxInFlight;
    this.drainTimeout = drainTimeout;
  }

  /**
   * Runs one step: {@code warmup} at the rate (not recorded), then {@code duration} recorded; waits
   * for the step's answers (at most {@code drainTimeout}) so the next step starts clean.
   */
  Step step(
      double ratePerSecond,
      Duration warmup,
      Duration duration,
      Supplier<Workload.Op> ops,
      LoadGenerator.Sender sender)
      throws InterruptedException {
    Recorder all = new Recorder(3);
    Map<String, Recorder> byKey = new ConcurrentHashMap<>();
    Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    LongAdder sentMeasured = new LongAdder();
    Semaphore permits = new Semaphore(maxInFlight);
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long total = operationsInStep(ratePerSecond, warmup.toNanos() + duration.toNanos());
    long maxDelay = 0;
    for (long i = 0; i < total; i++) {
      long intended = start + intendedOffsetNanos(ratePerSecond, i);
      long now = System.nanoTime();
      while (now < intended) {
        LockSupport.parkNanos(intended - now);
        now = System.nanoTime();
      }
      permits.acquire();
      boolean measured = intended >= measureFrom;
      if (measured) {
        sentMeasured.increment();
        maxDelay = Math.max(maxDelay, (System.nanoTime() - intended) / 1_000);
      }
      CompletionStage<LoadGenerator.Outcome> sent;
      try {
        sent = sender.send(ops.get());
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete(
          (outcome, failure) -> {
            long answered = System.nanoTime();
            // The permit goes back only once the answer is recorded: the step's end waits for all
            // permits, and a permit released first let it read the histograms one answer short.
            try {
              if (!measured) return;
              String error =
                  failure != null
                      ? LoadGenerator.failureName(failure)
                      : outcome.error() != null ? outcome.error() : null;
              if (error != null) {
                errors.computeIfAbsent(error, k -> new LongAdder()).increment();
                return;
              }
              long micros = correctedMicros(intended, answered);
              all.recordValue(micros);
              byKey.computeIfAbsent(outcome.key(), k -> new Recorder(3)).recordValue(micros);
            } finally {
              permits.release();
            }
          });
    }
    boolean drained =
        permits.tryAcquire(maxInFlight, drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
    if (drained) permits.release(maxInFlight);
    Map<String, Histogram> keys = new TreeMap<>();
    byKey.forEach((k, r) -> keys.put(k, r.getIntervalHistogram()));
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
    if (!drained)
      errorCounts.put(
          "unanswered after the step (+" + drainTimeout.toSeconds() + " s)",
          (long) (maxInFlight - permits.availablePermits()));
    Step step =
        new Step(
            ratePerSecond,
            duration.toNanos() / 1e9,
            sentMeasured.sum(),
            all.getIntervalHistogram(),
            keys,
            errorCounts,
            maxDelay);
    log.info(
        "[open loop {} ops/s] achieved {}/s, p50 {} ms, p99 {} ms, max {} ms, errors {}, max send delay {} ms",
        ratePerSecond,
        Report.round(step.achievedPerSecond()),
        Report.ms(step.latency().getValueAtPercentile(50)),
        step.p99Millis(),
        Report.ms(step.latency().getMaxValue()),
        step.errorCount(),
        Report.ms(maxDelay));
    return step;
  }

  /** A step's figures for the JSON file. */
  static Map<String, Object> figures(Step step) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("offeredPerSecond", step.offeredPerSecond());
    out.put("achievedPerSecond", Report.round(step.achievedPerSecond()));
    out.put("seconds", Report.round(step.seconds()));
    out.put("sent", step.sent());
    out.put("ok", step.ok());
    out.put("errors", step.errors());
    out.put("latency", Report.percentiles(step.latency()));
    Map<String, Object> byKey = new LinkedHashMap<>();
    step.byKey().forEach((k, h) -> byKey.put(k, Report.percentiles(h)));
    out.put("byOperation", byKey);
    out.put("maxSendDelayMillis", Report.ms(step.maxSendDelayMicros()));
    return out;
  }

  /** All steps merged, as a {@link LoadGenerator.Result} for the figures every run has. */
  static LoadGenerator.Result merged(String name, List<Step> steps, long startedAtMillis) {
    Map<String, Histogram> latencies = new TreeMap<>();
    Map<String, Long> errors = new TreeMap<>();
    double seconds = 0;
    for (Step step : steps) {
      seconds += step.seconds();
      step.byKey().forEach((k, h) -> latencies.computeIfAbsent(k, x -> new Histogram(3)).add(h));
      step.errors().forEach((k, v) -> errors.merge(k, v, Long::sum));
    }
    return new LoadGenerator.Result(
        name, seconds, latencies, errors, new ArrayList<>(), startedAtMillis);
  }
}
