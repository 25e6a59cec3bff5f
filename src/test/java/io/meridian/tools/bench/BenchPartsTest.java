package io.meridian.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench's own parts: the operation mix, the metrics parser, the demo banner, and the load
 * generator's bounds.
 */
class BenchPartsTest {

  @Test
  void mixedWorkloadIsHalfReadsAndWritesAreSpreadOverTheKinds() {
    Workload.Source source = Workload.MIXED.source(42, 10);
    int reads = 0;
    int total = 30_000;
    for (int i = 0; i < total; i++) {
      Workload.Op op = source.next();
      if (op.kind() == Workload.Kind.READ) reads++;
      assertTrue(op.user() >= 0 && op.user() < 10);
      assertEquals(i, op.seq());
    }
    assertEquals(0.5, reads / (double) total, 0.02);
    assertEquals(Workload.FAILOVER_DRILL, Workload.parse("failover-drill"));
    assertThrows(IllegalArgumentException.class, () -> Workload.parse("nope"));
  }

  @Test
  void paymentAmountsAreValidForTheApi() {
    Workload.Source source = Workload.PAYMENTS.source(7, 3);
    for (int i = 0; i < 1_000; i++) {
      var amount = source.next().amount();
      assertTrue(amount.signum() > 0 && amount.scale() == 2, "amount " + amount);
    }
  }

  @Test
  void histogramQuantilesCoverOnlyTheObservationsOfTheMeasuredTime() {
    PromText before =
        PromText.parse(
            String.join(
                "\n",
                "meridian_replication_lag_seconds_bucket{origin=\"us\",le=\"0.01\"} 100",
                "meridian_replication_lag_seconds_bucket{origin=\"us\",le=\"0.05\"} 100",
                "meridian_replication_lag_seconds_bucket{origin=\"us\",le=\"+Inf\"} 100"));
    // 100 new observations: 50 at most 10 ms, 40 more at most 50 ms, 10 more above.
    PromText after =
        PromText.parse(
            String.join(
                "\n",
                "meridian_replication_lag_seconds_bucket{origin=\"us\",le=\"0.01\"} 150",
                "meridian_replication_lag_seconds_bucket{origin=\"us\",le=\"0.05\"} 190",
                "meridian_replication_lag_seconds_bucket{origin=\"us\",le=\"+Inf\"} 200",
                "meridian_replication_lag_seconds_bucket{origin=\"eu\",le=\"+Inf\"} 7"));
    var us = Map.of("origin", "us");
    assertEquals(
        0.01,
        PromText.quantileBetween(before, after, "meridian_replication_lag_seconds", us, 0.5),
        1e-9);
    assertEquals(
        0.03,
        PromText.quantileBetween(before, after, "meridian_replication_lag_seconds", us, 0.7),
        1e-9);
    assertEquals(
        0.05,
        PromText.quantileBetween(before, after, "meridian_replication_lag_seconds", us, 0.99),
        1e-9,
        "the +Inf bucket: its lower bound");
    assertEquals(
        null,
        PromText.quantileBetween(after, after, "meridian_replication_lag_seconds", us, 0.5),
        "nothing observed");
  }

  @Test
  void prometheusTextIsReadByNameAndLabels() {
    String text =
        String.join(
            "\n",
            "# HELP meridian_replication_lag_seconds Origin decision time to applied in this region",
            "# TYPE meridian_replication_lag_seconds summary",
            "meridian_replication_lag_seconds{origin=\"us\",region=\"eu\",quantile=\"0.99\"} 0.2",
            "meridian_replication_lag_seconds{origin=\"ap\",region=\"eu\",quantile=\"0.99\"} 0.4",
            "meridian_replication_lag_seconds_count{origin=\"us\",region=\"eu\"} 12",
            "meridian_http_responses_total{region=\"eu\",status=\"200\"} 5.0",
            "meridian_http_responses_total{region=\"eu\",status=\"503\"} 2.0",
            "jvm_threads_live_threads 33");
    PromText scrape = PromText.parse(text);
    assertEquals(
        Map.of("us", 0.2, "ap", 0.4),
        scrape.by("meridian_replication_lag_seconds", "origin", Map.of("quantile", "0.99")));
    assertEquals(7.0, scrape.sum("meridian_http_responses_total", Map.of()));
    assertEquals(33.0, scrape.sum("jvm_threads_live_threads", Map.of()));
  }

  @Test
  void theDemoBannerGivesCassandraAndTheAdminToken(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("demo.log");
    Files.writeString(
        log, "Meridian is up: 3 regions\n  Cassandra at 127.0.0.1:39041\n  Admin token: abc123\n");
    assertEquals(
        "127.0.0.1:39041",
        Target.fromDemoLog(log, Pattern.compile("Cassandra at (\\S+)")).orElseThrow());
    assertEquals(
        "abc123", Target.fromDemoLog(log, Pattern.compile("Admin token: (\\S+)")).orElseThrow());
  }

  @Test
  void onlyLoopbackEndpointsAreAccepted() {
    Target.requireLoopback(java.net.URI.create("http://127.0.0.1:8081"));
    Target.requireLoopback(java.net.URI.create("http://localhost:8081"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Target.requireLoopback(java.net.URI.create("http://10.1.2.3:8081")));
  }

  @Test
  void theLoadGeneratorNeverExceedsItsConcurrencyAndCountsErrorsApart() throws Exception {
    ScheduledExecutorService replies = Executors.newScheduledThreadPool(2);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    LoadGenerator.Sender sender =
        op -> {
          maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          CompletableFuture<LoadGenerator.Outcome> done = new CompletableFuture<>();
          boolean fail = sent.incrementAndGet() % 10 == 0;
          replies.schedule(
              () -> {
                inFlight.decrementAndGet();
                done.complete(
                    fail
                        ? LoadGenerator.Outcome.failed(op.kind().label(), "http 503")
                        : LoadGenerator.Outcome.ok(op.kind().label()));
              },
              2,
              TimeUnit.MILLISECONDS);
          return done;
        };
    try {
      var settings =
          new LoadGenerator.Settings("test", 4, 0, Duration.ZERO, Duration.ofMillis(600));
      LoadGenerator.Result result =
          new LoadGenerator(settings).run(Workload.WRITES.source(1, 5)::next, sender, () -> false);
      assertTrue(maxInFlight.get() <= 4, "in flight at most 4, was " + maxInFlight.get());
      assertTrue(result.ok() > 100, "ok " + result.ok());
      assertEquals(result.errorCount(), result.errors().get("http 503"));
      assertEquals(0.1, result.errorCount() / (double) (result.ok() + result.errorCount()), 0.03);
      assertEquals(result.throughput(), result.writeThroughput(), 1e-9);
    } finally {
      replies.shutdownNow();
    }
  }

  @Test
  void aRateLimitedRunSendsAboutTheRate() throws Exception {
    LoadGenerator.Sender instant =
        op -> CompletableFuture.completedFuture(LoadGenerator.Outcome.ok(op.kind().label()));
    var settings =
        new LoadGenerator.Settings("rated", 8, 200, Duration.ZERO, Duration.ofSeconds(1));
    LoadGenerator.Result result =
        new LoadGenerator(settings).run(Workload.READS.source(3, 5)::next, instant, () -> false);
    assertEquals(200, result.ok(), 30);
  }
}
