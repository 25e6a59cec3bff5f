package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** "Is every region up?", asked of every region through {@code GET /v1/regions}. */
public final class RegionHealth {
  private final MeridianHttp http;

  public RegionHealth(MeridianHttp http) {
    this.http = http;
  }

  /** Every endpoint answers and reports every region {@code up}. */
  public boolean allUp() {
    for (String observer : http.endpoints().regionNames()) {
      MeridianHttp.Answer answer = http.send(observer, "GET", "/v1/regions", null);
      if (answer.status() != 200 || answer.json() == null) return false;
      for (JsonNode region : answer.json().path("regions")) {
        if (!"up".equals(region.path("status").asText())) return false;
      }
    }
    return true;
  }

  /** Polls {@link #allUp()} once a second; false when the timeout passed first. */
  public boolean awaitAllUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!allUp()) {
      if (System.nanoTime() > deadline) return false;
      TimeUnit.SECONDS.sleep(1); // polling the HTTP API: there is nothing to wait on
    }
    return true;
  }
}
