package io.meridian.region;

import io.meridian.cluster.ThreeRegions;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Clients of a multi-region deployment as the design expects them to behave: each operation goes to
 * a region first and, when it gets no answer (refused, reset, timed out) or a retryable answer
 * (503, 429), to the next region, round after round, until it is answered or its budget is spent.
 * Workers run operations one after the other; the first region rotates, so every region gets its
 * share of first attempts. Counts every attempt by region and outcome, and every operation that
 * failed (budget spent, or an answer that is neither 2xx nor retryable).
 */
final class RetryingLoad implements AutoCloseable {
  /** One operation; {@code onSuccess} sees the 2xx answer. */
  record Operation(
      String method, String path, String body, Consumer<HttpResponse<String>> onSuccess) {}

  /** The operation a worker runs as its {@code sequence}-th. */
  interface Mix {
    Operation next(int worker, long sequence);
  }

  private final ThreeRegions regions;
  private final Duration budget;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> workers = new ArrayList<>();
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final Map<String, AtomicLong> attempts = new ConcurrentHashMap<>();

  private RetryingLoad(ThreeRegions regions, Duration budget) {
    this.regions = regions;
    this.budget = budget;
  }

  static RetryingLoad start(ThreeRegions regions, int workerCount, Duration budget, Mix mix) {
    var load = new RetryingLoad(regions, budget);
    for (int w = 0; w < workerCount; w++) {
      int worker = w;
      Thread thread =
          new Thread(
              () -> {
                for (long sequence = 0; load.running.get(); sequence++)
                  load.run(worker, sequence, mix.next(worker, sequence));
              },
              "retrying-load-" + w);
      load.workers.add(thread);
      thread.start();
    }
    return load;
  }

  private void run(int worker, long sequence, Operation operation) {
    List<String> order = ThreeRegions.REGIONS;
    int first = (int) ((worker + sequence) % order.size());
    long deadline = System.nanoTime() + budget.toNanos();
    String last = "";
    for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
      if (attempt == 1) retried.incrementAndGet();
      if (attempt > 0 && attempt % order.size() == 0) FailoverClient.pause(100);
      String region = order.get((first + attempt) % order.size());
      try {
        HttpResponse<String> response =
            regions
                .client()
                .send(
                    regions.request(region, operation.method(), operation.path(), operation.body()),
                    HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        count(region, String.valueOf(status));
        if (status >= 200 && status < 300) {
          operation.onSuccess().accept(response);
          succeeded.incrementAndGet();
          return;
        }
        last = region + " " + status + " " + response.body();
        if (status != 503 && status != 429) break;
      } catch (IOException e) {
        count(region, e.getClass().getSimpleName());
        last = region + " " + e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    failures.add(operation.method() + " " + operation.path() + ": " + last);
  }

  private void count(String region, String outcome) {
    attempts.computeIfAbsent(region + " " + outcome, k -> new AtomicLong()).incrementAndGet();
  }

  long succeeded() {
    return succeeded.get();
  }

  /** Operations whose first attempt was not answered with success. */
  long retried() {
    return retried.get();
  }

  List<String> failures() {
    return List.copyOf(failures);
  }

  /** Attempts per "region outcome" (status code or exception class). */
  Map<String, Long> attempts() {
    var counts = new TreeMap<String, Long>();
    attempts.forEach((key, value) -> counts.put(key, value.get()));
    return counts;
  }

  /** Waits (polling the count) until {@code count} more operations succeeded. */
  void awaitMoreSucceeded(long count, Duration timeout) {
    long target = succeeded.get() + count;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (succeeded.get() < target) {
      if (System.nanoTime() > deadline)
        throw new AssertionError(
            "load made no progress: " + succeeded.get() + " of " + target + ", " + attempts());
      FailoverClient.pause(50);
    }
  }

  /** Stops the workers after their current operation. */
  @Override
  public void close() {
    running.set(false);
    for (Thread worker : workers) {
      try {
        worker.join(budget.toMillis() + 30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
