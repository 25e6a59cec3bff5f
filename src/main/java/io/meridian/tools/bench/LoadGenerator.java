package io.meridian.tools.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one {@link Sender} with a bounded number of operations in flight (closed loop), or at a
 * fixed rate (open loop, still bounded in flight), records latencies in HdrHistograms (in
 * microseconds) and logs one progress line per second. With a rate, latency counts from the
 * intended start, so a stall shows in the percentiles instead of silently lowering the load
 * (coordinated omission).
 */
final class LoadGenerator {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");

  /**
   * How one operation ended. {@code key} names its histogram (e.g. "profile/forwarded"); {@code
   * error} is null on success.
   */
  record Outcome(String key, String error) {
    static Outcome ok(String key) {
      return new Outcome(key, null);
    }

    static Outcome failed(String key, String error) {
      return new Outcome(key, error);
    }
  }

  interface Sender {
    CompletionStage<Outcome> send(Workload.Op op);
  }

  record Settings(
      String name, int concurrency, double ratePerSecond, Duration warmup, Duration duration) {}

  /** One second of the measured run. {@code t}: seconds since the start of the measurement. */
  record Second(double t, long ok, long errors, double p50Millis, double p99Millis) {}

  /** Latencies of successful operations by key, errors by kind, and the per-second series. */
  record Result(
      String name,
      double seconds,
      Map<String, Histogram> latencies,
      Map<String, Long> errors,
      List<Second> series,
      long startedAtMillis) {
    long ok() {
      return latencies.values().stream().mapToLong(Histogram::getTotalCount).sum();
    }

    long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    double throughput() {
      return seconds <= 0 ? 0 : ok() / seconds;
    }

    /** Throughput of the write kinds only (keys start with the kind's label). */
    double writeThroughput() {
      long writes = 0;
      for (var entry : latencies.entrySet())
        if (kindOf(entry.getKey()).write) writes += entry.getValue().getTotalCount();
      return seconds <= 0 ? 0 : writes / seconds;
    }

    Histogram all() {
      Histogram all = new Histogram(3);
      latencies.values().forEach(all::add);
      return all;
    }

    static Workload.Kind kindOf(String key) {
      String label = key.contains("/") ? key.substring(0, key.indexOf('/')) : key;
      return Workload.Kind.valueOf(label.toUpperCase(java.util.Locale.ROOT));
    }
  }

  private final Settings settings;
  private final Map<String, Recorder> recorders = new ConcurrentHashMap<>();
  private final Map<String, Histogram> totals = new TreeMap<>();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final LongAdder errorsInInterval = new LongAdder();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<Second> series = new ArrayList<>();
  private volatile long measureFrom;

  LoadGenerator(Settings settings) {
    this.settings = settings;
  }

  /**
   * Runs until the warmup and the duration have passed, or {@code stop} says so; returns the
   * measured figures.
   */
  Result run(java.util.function.Supplier<Workload.Op> ops, Sender sender, BooleanSupplier stop)
      throws InterruptedException {
    return run(ops, sender, stop, () -> {});
  }

  /**
   * As {@link #run(java.util.function.Supplier, Sender, BooleanSupplier)}; {@code atMeasureStart}
   * runs (on another thread) when the warmup ends.
   */
  Result run(
      java.util.function.Supplier<Workload.Op> ops,
      Sender sender,
      BooleanSupplier stop,
      Runnable atMeasureStart)
      throws InterruptedException {
    int concurrency = settings.concurrency();
    Semaphore permits = new Semaphore(concurrency);
    long start = System.nanoTime();
    measureFrom = start + settings.warmup().toNanos();
    long end = measureFrom + settings.duration().toNanos();
    long startedAtMillis = System.currentTimeMillis() + settings.warmup().toMillis();
    // Two threads: the measure-start hook (scrapes, Cassandra counters) must not delay the progress
    // ticks.
    ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2, daemon("bench-progress"));
    ticker.schedule(atMeasureStart, settings.warmup().toNanos(), TimeUnit.NANOSECONDS);
    ticker.scheduleAtFixedRate(() -> tick(true), 1, 1, TimeUnit.SECONDS);
    long interval = settings.ratePerSecond() > 0 ? (long) (1e9 / settings.ratePerSecond()) : 0;
    long next = start;
    long stoppedAt;
    try {
      send:
      while (true) {
        long now = System.nanoTime();
        if (now >= end || stop.getAsBoolean()) {
          stoppedAt = now;
          break;
        }
        long intended = now;
        if (interval > 0) {
          next += interval;
          if (next > now) LockSupport.parkNanos(next - now);
          intended = next;
          // At a rate, a due operation waits for a permit (the wait counts in its latency) rather
          // than being skipped, which would silently lower the load.
          while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            if (System.nanoTime() >= end || stop.getAsBoolean()) {
              stoppedAt = System.nanoTime();
              break send;
            }
          }
        } else if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
        if (interval == 0) intended = System.nanoTime();
        Workload.Op op = ops.get();
        CompletionStage<Outcome> sent;
        try {
          sent = sender.send(op);
        } catch (RuntimeException e) {
          sent = CompletableFuture.failedFuture(e);
        }
        inFlight.incrementAndGet();
        long startedAt = intended;
        sent.whenComplete(
            (outcome, failure) -> {
              long latencyNanos = System.nanoTime() - startedAt;
              inFlight.decrementAndGet();
              // Recorded before the permit goes back: the end of the run waits for the permits.
              try {
                if (startedAt < measureFrom) return;
                if (failure != null) error(failureName(failure));
                else if (outcome.error() != null) error(outcome.error());
                else
                  recorders
                      .computeIfAbsent(outcome.key(), k -> new Recorder(3))
                      .recordValue(Math.max(1, latencyNanos / 1_000));
              } finally {
                permits.release();
              }
            });
      }
      // Let what is in flight finish (bounded: every sender has its own timeout).
      permits.tryAcquire(concurrency, 30, TimeUnit.SECONDS);
    } finally {
      ticker.shutdownNow();
    }
    tick(false);
    double seconds = Math.max(0, (stoppedAt - measureFrom) / 1e9);
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
    synchronized (this) {
      return new Result(
          settings.name(),
          seconds,
          new TreeMap<>(totals),
          errorCounts,
          List.copyOf(series),
          startedAtMillis);
    }
  }

  private void error(String kind) {
    errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    errorsInInterval.increment();
  }

  static String failureName(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof java.util.concurrent.CompletionException
            || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof java.net.http.HttpTimeoutException
        || cause instanceof java.util.concurrent.TimeoutException) return "timeout";
    if (cause instanceof java.net.ConnectException) return "connection refused";
    return cause.getClass().getSimpleName();
  }

  /**
   * Moves the interval histograms into the totals and logs the second that just ended (the last,
   * partial one is not a second of the series).
   */
  private synchronized void tick(boolean fullSecond) {
    Histogram interval = new Histogram(3);
    for (var entry : recorders.entrySet()) {
      Histogram h = entry.getValue().getIntervalHistogram();
      totals.computeIfAbsent(entry.getKey(), k -> new Histogram(3)).add(h);
      interval.add(h);
    }
    long errs = errorsInInterval.sumThenReset();
    double t = (System.nanoTime() - measureFrom) / 1e9;
    if (t < 0) {
      log.info(
          "[{}] warming up: {} ok/s, {} err/s, p99 {} ms, in flight {}",
          settings.name(),
          interval.getTotalCount(),
          errs,
          millis(interval.getValueAtPercentile(99)),
          inFlight.get());
      return;
    }
    // The tick at the end of the warmup covers no measured time; the last, partial one is not a
    // full second.
    if (!fullSecond || t < 0.5) return;
    series.add(
        new Second(
            t,
            interval.getTotalCount(),
            errs,
            millis(interval.getValueAtPercentile(50)),
            millis(interval.getValueAtPercentile(99))));
    log.info(
        "[{}] {}s: {} ok/s, {} err/s, p50 {} ms, p99 {} ms, in flight {}",
        settings.name(),
        Math.round(t),
        interval.getTotalCount(),
        errs,
        millis(interval.getValueAtPercentile(50)),
        millis(interval.getValueAtPercentile(99)),
        inFlight.get());
  }

  static double millis(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
