package io.meridian.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End-to-end replication lag as a client sees it: add a point to a user in region A, note the count
 * of A's events that A's answer shows ({@code version[A]}), then read the user in another region B
 * every few milliseconds until B shows at least that count. Lag = A's answer to B's first answer
 * that includes the write; the resolution is the poll interval plus one read.
 */
final class LagProbe implements Runnable {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");
  private static final long POLL_MILLIS = 5;
  private static final long GIVE_UP_MILLIS = 10_000;

  /** One probe: when (ms since the run's measurement start), from where to where, and the lag. */
  record Sample(double t, String from, String to, double lagMillis) {}

  private final MeridianClient client;
  private final Supplier<List<Target.Region>> available;
  private final int users;
  private final long intervalMillis;
  private final long startMillis;
  private final SplittableRandom random;

  /**
   * Probability that a probe writes in the user's home region, as the load does (--home-affinity).
   */
  private final double homeAffinity;

  private final Histogram lags = new Histogram(3);
  private final List<Sample> samples = new ArrayList<>();
  private int notVisible;
  private volatile boolean running = true;
  private Thread thread;

  LagProbe(
      MeridianClient client,
      Supplier<List<Target.Region>> available,
      int users,
      double probesPerSecond,
      long startMillis,
      long seed,
      double homeAffinity) {
    this.homeAffinity = homeAffinity;
    this.client = client;
    this.available = available;
    this.users = users;
    this.intervalMillis = Math.max(10, (long) (1000 / probesPerSecond));
    this.startMillis = startMillis;
    this.random = new SplittableRandom(seed);
  }

  LagProbe start() {
    thread = new Thread(this, "bench-lag-probe");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  void stop() throws InterruptedException {
    running = false;
    if (thread != null) thread.join(GIVE_UP_MILLIS + 5_000);
  }

  @Override
  public void run() {
    while (running) {
      long began = System.currentTimeMillis();
      try {
        probeOnce();
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        log.debug("lag probe failed: {}", e.toString());
      }
      long sleep = intervalMillis - (System.currentTimeMillis() - began);
      if (sleep > 0) {
        try {
          Thread.sleep(sleep);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void probeOnce() throws Exception {
    List<Target.Region> regions = available.get();
    if (regions.size() < 2) return;
    int user = random.nextInt(users);
    Target.Region from =
        random.nextDouble() < homeAffinity
            ? regions.stream()
                .filter(r -> r.name().equals(client.homeOf(user)))
                .findFirst()
                .orElse(null)
            : null;
    if (from == null) from = regions.get(random.nextInt(regions.size()));
    Target.Region to = regions.get(random.nextInt(regions.size()));
    while (to.equals(from)) to = regions.get(random.nextInt(regions.size()));
    var write =
        MeridianClient.json(
            from.endpoint().resolve("/v1/users/" + client.userId(user) + "/points"),
            "POST",
            "{\"delta\":1}");
    HttpResponse<String> written = client.http.send(write, HttpResponse.BodyHandlers.ofString());
    long acked = System.nanoTime();
    double t = (System.currentTimeMillis() - startMillis) / 1000.0;
    if (written.statusCode() != 200) return;
    long count =
        MeridianClient.JSON.readTree(written.body()).path("version").path(from.name()).asLong();
    URI read = to.endpoint().resolve("/v1/users/" + client.userId(user));
    while (running || System.nanoTime() - acked < GIVE_UP_MILLIS * 1_000_000) {
      HttpResponse<String> seen = client.getText(read);
      if (seen.statusCode() == 200) {
        JsonNode version = MeridianClient.JSON.readTree(seen.body()).path("version");
        if (version.path(from.name()).asLong() >= count) {
          double lag = (System.nanoTime() - acked) / 1e6;
          synchronized (this) {
            lags.recordValue(Math.max(1, Math.round(lag * 1000)));
            samples.add(new Sample(t, from.name(), to.name(), Math.round(lag * 10) / 10.0));
          }
          return;
        }
      }
      if (System.nanoTime() - acked > GIVE_UP_MILLIS * 1_000_000) break;
      Thread.sleep(POLL_MILLIS);
    }
    synchronized (this) {
      notVisible++;
    }
  }

  /** Lags in microseconds. */
  synchronized Histogram lags() {
    return lags.copy();
  }

  synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  synchronized int notVisible() {
    return notVisible;
  }
}
