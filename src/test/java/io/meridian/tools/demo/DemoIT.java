package io.meridian.tools.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.cluster.FreePorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ./meridian demo} as a user runs it: a real process tree (launcher, Cassandra, one process
 * per region). Waits for the banner, writes and reads in every region over HTTP with the API token
 * the banner prints (generated: MERIDIAN_API_TOKEN is not set; the admin token is), then sends
 * SIGTERM and checks that nothing it started survives.
 */
class DemoIT {
  private static final Path PROJECT =
      Path.of(System.getProperty("meridian.project.dir", ".")).toAbsolutePath();

  @Test
  void demoServesEveryRegionAndStopsEverythingOnSigterm() throws Exception {
    // One block of nine free ports: three separate searches could overlap (seen in ChaosIT).
    int httpBase = FreePorts.freeBase(9);
    int remoteBase = httpBase + 3;
    int managementBase = httpBase + 6;
    var builder =
        new ProcessBuilder(
                PROJECT.resolve("meridian").toString(),
                "demo",
                "--base-http-port",
                Integer.toString(httpBase),
                "--base-remote-port",
                Integer.toString(remoteBase),
                "--base-management-port",
                Integer.toString(managementBase),
                "--data-dir",
                PROJECT.resolve("target/demo-it").toString(),
                "--no-restart")
            .directory(PROJECT.toFile())
            .redirectErrorStream(true);
    builder.environment().put("MERIDIAN_ADMIN_TOKEN", "demo-it-token");
    builder.environment().remove("MERIDIAN_API_TOKEN");
    Process demo = builder.start();
    List<String> output = new ArrayList<>();
    CountDownLatch up = new CountDownLatch(1);
    Thread reader = new Thread(() -> readOutput(demo, output, up), "demo-output");
    reader.setDaemon(true);
    reader.start();
    List<ProcessHandle> started = new ArrayList<>();
    try {
      assertTrue(
          up.await(240, TimeUnit.SECONDS),
          "the demo did not come up in 240 s:\n" + String.join("\n", tail(output)));
      String banner = String.join("\n", output);
      assertTrue(banner.contains("Admin token: demo-it-token"), banner);
      Matcher apiTokenLine = Pattern.compile("API token: ([A-Za-z0-9_-]{43})\\s").matcher(banner);
      assertTrue(apiTokenLine.find(), "a generated 256-bit API token in the banner:\n" + banner);
      String apiToken = apiTokenLine.group(1);
      assertTrue(
          banner.contains(
              "export MERIDIAN_API_TOKEN=" + apiToken + " MERIDIAN_ADMIN_TOKEN=demo-it-token"),
          banner);
      assertTrue(
          banner.contains("-H \"Authorization: Bearer $MERIDIAN_API_TOKEN\""),
          "curl lines with the token:\n" + banner);
      started.addAll(demo.descendants().toList());
      assertTrue(
          started.size() >= 4,
          "expected Cassandra and three regions among " + started.size() + " child processes");

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String[] regions = {"us", "eu", "ap"};
      for (int i = 0; i < regions.length; i++) {
        int port = httpBase + i;
        Matcher endpoint =
            Pattern.compile(regions[i] + "\\s+http://127\\.0\\.0\\.1:" + port).matcher(banner);
        assertTrue(endpoint.find(), "banner names " + regions[i] + " on " + port + ":\n" + banner);
        String userId = "demo-" + regions[i];
        var anonymous =
            send(http, port, "POST", "/v1/users", "{\"userId\":\"" + userId + "\"}", null);
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        var created =
            send(http, port, "POST", "/v1/users", "{\"userId\":\"" + userId + "\"}", apiToken);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(regions[i], created.headers().firstValue("X-Meridian-Owner").orElse(null));
        var read = send(http, port, "GET", "/v1/users/" + userId, null, apiToken);
        assertEquals(200, read.statusCode(), read.body());
        assertEquals(regions[i], read.headers().firstValue("X-Meridian-Served-By").orElse(null));
      }
    } finally {
      started.addAll(demo.descendants().toList());
      demo.destroy(); // SIGTERM, as Ctrl-C's sibling
      boolean exited = demo.waitFor(90, TimeUnit.SECONDS);
      if (!exited) demo.destroyForcibly();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (started.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline)
        TimeUnit.MILLISECONDS.sleep(200);
      List<ProcessHandle> survivors = started.stream().filter(ProcessHandle::isAlive).toList();
      survivors.forEach(ProcessHandle::destroyForcibly);
      assertTrue(exited, "the demo did not exit on SIGTERM");
      assertTrue(
          survivors.isEmpty(),
          "processes survived the demo: "
              + survivors.stream()
                  .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                  .toList());
    }
  }

  private static HttpResponse<String> send(
      HttpClient http, int port, String method, String path, String body, String token)
      throws IOException, InterruptedException {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) request.header("Content-Type", "application/json");
    if (token != null) request.header("Authorization", "Bearer " + token);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void readOutput(Process demo, List<String> output, CountDownLatch up) {
    try (var lines =
        new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        synchronized (output) {
          output.add(line);
        }
        if (line.contains("Ctrl-C stops everything")) up.countDown();
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  private static List<String> tail(List<String> output) {
    synchronized (output) {
      return new ArrayList<>(output.subList(Math.max(0, output.size() - 60), output.size()));
    }
  }
}
