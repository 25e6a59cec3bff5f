package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Samples {@code GET /v1/regions} of every region once a second during the run (one thread per
 * observer, so a paused region does not delay the others' samples) and records what each says about
 * every region: the checker counts false downs from it, the chart draws replication lag.
 */
public final class RegionStatusWatcher implements AutoCloseable {
  private final MeridianHttp http;
  private final History history;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  public RegionStatusWatcher(MeridianHttp http, History history) {
    this.http = http;
    this.history = history;
  }

  public void start() {
    for (String observer : http.endpoints().regionNames()) {
      Thread thread = new Thread(() -> watch(observer), "chaos-status-" + observer);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  private void watch(String observer) {
    while (running) {
      long started = System.currentTimeMillis();
      MeridianHttp.Answer answer = http.send(observer, "GET", "/v1/regions", null);
      if (answer.status() == 200 && answer.json() != null) {
        for (JsonNode region : answer.json().path("regions")) {
          history.record(
              new StatusSample(
                  started,
                  observer,
                  region.path("region").asText(),
                  region.path("status").asText(),
                  region.path("replicationLagMillis").asLong(-1)));
        }
      }
      long rest = 1000 - (System.currentTimeMillis() - started);
      try {
        if (rest > 0) TimeUnit.MILLISECONDS.sleep(rest); // sampling period
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread thread : threads) thread.join(10_000);
  }
}
