package io.meridian.tools.bench;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End-to-end replication lag as a client sees it, without polling: the probe's own users (written
 * by nothing else) know which count of region A's events the next write there will make ({@code
 * version[A] + 1}); a read that waits for that count ({@code GET
 * /v1/users/{id}?waitForVersion=A:n}) is sent to region B first, then the write to A. Lag = A's
 * answer to B's answer. The resolution is one HTTP answer's one-way time on loopback (well under a
 * millisecond), not a poll interval; a lag shorter than that reads as 0.
 */
final class LagProbe implements Runnable {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");
  private static final long GIVE_UP_MILLIS = 10_000;

  /** Probe users, each written only by the probe, homes spread over the regions. */
  static final int PROBE_USERS = 12;

  /** One probe: when (ms since the run's measurement start), from where to where, and the lag. */
  record Sample(double t, String from, String to, double lagMillis) {}

  private final MeridianClient client;
  private final Supplier<List<Target.Region>> available;
  private final long intervalMillis;
  private final long startMillis;
  private final SplittableRandom random;

  /**
   * Probability that a probe writes in the probe user's home region, as the load does
   * (--home-affinity).
   */
  private final double homeAffinity;

  /** Per probe user: the highest count of each region's events any answer has shown. */
  private final List<Map<String, Long>> known = new ArrayList<>();

  private final Histogram lags = new Histogram(3);
  private final List<Sample> samples = new ArrayList<>();
  private int notVisible;
  private int discarded;
  private volatile boolean running = true;
  private Thread thread;

  LagProbe(
      MeridianClient client,
      Supplier<List<Target.Region>> available,
      double probesPerSecond,
      long startMillis,
      long seed,
      double homeAffinity) {
    this.homeAffinity = homeAffinity;
    this.client = client;
    this.available = available;
    this.intervalMillis = Math.max(10, (long) (1000 / probesPerSecond));
    this.startMillis = startMillis;
    this.random = new SplittableRandom(seed);
  }

  String probeUser(int index) {
    return client.runId + "-lag" + index;
  }

  String homeOf(int index) {
    return client.target.names().get(index % client.target.names().size());
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
    try {
      createProbeUsers();
    } catch (InterruptedException e) {
      return;
    }
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

  /** Creates the probe users in their homes (retrying refusals), learning their versions. */
  private void createProbeUsers() throws InterruptedException {
    for (int i = 0; i < PROBE_USERS; i++) {
      String home = homeOf(i);
      Map<String, Long> versions = new HashMap<>();
      known.add(versions);
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (running && System.nanoTime() < deadline) {
        URI endpoint = client.target.regions.get(i % client.target.regions.size()).endpoint();
        try {
          HttpResponse<String> created =
              client.http.send(
                  client.json(
                      endpoint.resolve("/v1/users"),
                      "POST",
                      "{\"userId\":\"" + probeUser(i) + "\",\"homeRegion\":\"" + home + "\"}"),
                  HttpResponse.BodyHandlers.ofString());
          if (created.statusCode() == 201) {
            learn(versions, created.body());
            break;
          }
          if (created.statusCode() == 409) {
            HttpResponse<String> read =
                client.getText(
                    endpoint.resolve("/v1/users/" + probeUser(i) + "?consistency=owner"));
            if (read.statusCode() == 200) {
              learn(versions, read.body());
              break;
            }
          }
        } catch (java.io.IOException e) {
          log.debug("lag probe user {} not created yet: {}", probeUser(i), e.toString());
        }
        Thread.sleep(200);
      }
    }
  }

  private static void learn(Map<String, Long> versions, String userDocument)
      throws java.io.IOException {
    MeridianClient.JSON
        .readTree(userDocument)
        .path("version")
        .fields()
        .forEachRemaining(e -> versions.merge(e.getKey(), e.getValue().asLong(), Math::max));
  }

  private void probeOnce() throws Exception {
    List<Target.Region> regions = available.get();
    if (regions.size() < 2) return;
    int user = random.nextInt(PROBE_USERS);
    Target.Region from =
        random.nextDouble() < homeAffinity
            ? regions.stream().filter(r -> r.name().equals(homeOf(user))).findFirst().orElse(null)
            : null;
    if (from == null) from = regions.get(random.nextInt(regions.size()));
    Target.Region to = regions.get(random.nextInt(regions.size()));
    while (to.equals(from)) to = regions.get(random.nextInt(regions.size()));
    Map<String, Long> versions = known.get(user);
    long next = versions.getOrDefault(from.name(), 0L) + 1;
    String path = "/v1/users/" + probeUser(user);
    // The waiting read first: it answers the moment region `to` applies write `next` of `from`.
    CompletableFuture<long[]> seen =
        client
            .http
            .sendAsync(
                client.get(
                    to.endpoint().resolve(path + "?waitForVersion=" + from.name() + ":" + next)),
                HttpResponse.BodyHandlers.discarding())
            .thenApply(response -> new long[] {response.statusCode(), System.nanoTime()});
    HttpResponse<String> written =
        client.http.send(
            client.json(from.endpoint().resolve(path + "/points"), "POST", "{\"delta\":1}"),
            HttpResponse.BodyHandlers.ofString());
    long acked = System.nanoTime();
    double t = (System.currentTimeMillis() - startMillis) / 1000.0;
    if (written.statusCode() != 200) {
      seen.cancel(true);
      return;
    }
    learn(versions, written.body());
    long[] answer;
    try {
      answer = seen.get(GIVE_UP_MILLIS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      answer = new long[] {0, 0};
    }
    synchronized (this) {
      if (versions.getOrDefault(from.name(), 0L) != next) {
        // Another event of that region came first (a move, a seizure): the wait may have been
        // answered by it.
        discarded++;
      } else if (answer[0] == 200) {
        double lag = Math.max(0, answer[1] - acked) / 1e6;
        lags.recordValue(Math.max(1, Math.round(lag * 1000)));
        samples.add(new Sample(t, from.name(), to.name(), Math.round(lag * 100) / 100.0));
      } else {
        notVisible++;
      }
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

  /** Probes whose write was not the one the waiting read waited for. */
  synchronized int discarded() {
    return discarded;
  }
}
