package io.meridian.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failover drill: while the write load runs, kill one region's process (SIGKILL), and measure
 * how long its users cannot be written (owner-only writes, sent to the surviving regions), when the
 * region is suspected and declared down (automatically after {@code
 * meridian.failover.auto-down-after}, or at once through the admin endpoint when a token is given),
 * when the first and the last of its users are writable again (re-homing), when the process is back
 * (the demo restarts it), declared up and handed its users back, and, once the load has stopped,
 * when all regions agree again.
 */
final class FailoverDrill {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");

  /** Something that happened, {@code t} seconds after the drill started. */
  record Event(double t, String what) {}

  /**
   * One owner-only write for one of the victim's users: sent at {@code t}, how it ended, how long
   * it took.
   */
  record Probe(double t, int user, boolean ok, String outcome, double latencyMillis) {}

  private final MeridianClient client;
  private final Target target;
  private final String victim;
  private final long pid;
  private final Optional<String> adminToken;
  private final Duration killAfter;
  private final long deadlineNanos;
  private final List<Integer> sample = new ArrayList<>();
  private final List<Integer> others = new ArrayList<>();
  private final List<Event> events = new ArrayList<>();
  private final List<Probe> probes = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private final Target.Region successor;
  private volatile boolean victimAway;
  private volatile boolean stopLoad;
  private volatile String victimStatus = "up";
  private double killedAt = Double.NaN;
  private double downAt = Double.NaN;
  private double seizedAllAt = Double.NaN;
  private double rehomedAllAt = Double.NaN;

  FailoverDrill(
      MeridianClient client,
      Target target,
      String victim,
      long pid,
      Optional<String> adminToken,
      Duration killAfter,
      Duration maxDuration,
      int users) {
    this.client = client;
    this.target = target;
    this.victim = victim;
    this.pid = pid;
    this.adminToken = adminToken;
    this.killAfter = killAfter;
    this.deadlineNanos = startNanos + maxDuration.toNanos();
    String successorName = target.successors.get(victim);
    this.successor =
        target.region(
            successorName == null
                ? target.names().stream().filter(n -> !n.equals(victim)).findFirst().orElseThrow()
                : successorName);
    for (int i = 0; i < users && sample.size() < 24; i++)
      if (client.homeOf(i).equals(victim)) sample.add(i);
    for (int i = 0; i < users && others.size() < 24; i++)
      if (!client.homeOf(i).equals(victim)) others.add(i);
  }

  /** Finds the pid of the process behind {@code region}'s endpoint (its HTTP port) unless given. */
  static long victimPid(Target target, String region, OptionalLong given) {
    if (given.isPresent()) return given.getAsLong();
    int port = target.region(region).endpoint().getPort();
    return Target.pidListeningOn(port)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "cannot find the process listening on port "
                        + port
                        + " (region "
                        + region
                        + ") in /proc; pass --kill-pid"));
  }

  /**
   * Where the load may go now: every region except the victim while it is away (as a load balancer
   * would).
   */
  List<Target.Region> available() {
    if (!victimAway) return target.regions;
    return target.regions.stream().filter(r -> !r.name().equals(victim)).toList();
  }

  boolean loadShouldStop() {
    return stopLoad;
  }

  private double now() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private synchronized void event(String what) {
    events.add(new Event(Math.round(now() * 1000) / 1000.0, what));
    log.info("[failover-drill] t={}s {}", String.format("%.2f", now()), what);
  }

  private boolean pastDeadline() {
    return System.nanoTime() > deadlineNanos;
  }

  /**
   * The drill's controller; runs beside the load and stops it when the region is back and handed
   * back (or at the deadline).
   */
  void control() {
    ScheduledExecutorService scheduler =
        Executors.newScheduledThreadPool(2, LoadGenerator.daemon("bench-drill"));
    try {
      scheduler.scheduleAtFixedRate(this::probeOwnerWrite, 0, 250, TimeUnit.MILLISECONDS);
      scheduler.scheduleWithFixedDelay(this::watchVictimStatus, 0, 100, TimeUnit.MILLISECONDS);
      sleepUntil(killAfter);
      kill();
      waitFor(
          "the victim's process answers HTTP again", this::victimAnswers, Duration.ofMillis(500));
      waitFor(
          "the victim declared up (seen from " + successor.name() + ")",
          () -> victimStatus.equals("up"),
          Duration.ofMillis(100));
      // Like a load balancer's readiness check: the victim gets traffic again once the others see
      // it up.
      victimAway = false;
      waitFor("the victim's users handed back", this::handedBack, Duration.ofMillis(500));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stopLoad = true;
      event("load stopped");
      scheduler.shutdownNow();
    }
    if (pastDeadline()) {
      event("deadline reached before: the convergence check");
      return;
    }
    try {
      long convergeUntil = Math.min(deadlineNanos, System.nanoTime() + CONVERGENCE_WAIT.toNanos());
      while (System.nanoTime() < convergeUntil) {
        if (converged()) {
          event("all regions agree on the sampled users");
          return;
        }
        Thread.sleep(250);
      }
      event(
          "NOT converged "
              + Math.round((System.nanoTime() - startNanos) / 1e9 - stoppedAt())
              + " s after the load stopped: "
              + lastDifference);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      event("convergence check failed: " + e);
    }
  }

  /** How long after the load stops the regions get to agree before the drill says they do not. */
  static final Duration CONVERGENCE_WAIT = Duration.ofSeconds(60);

  private volatile String lastDifference = "";

  private synchronized double stoppedAt() {
    return events.stream()
        .filter(e -> e.what().equals("load stopped"))
        .mapToDouble(Event::t)
        .findFirst()
        .orElse(now());
  }

  private void sleepUntil(Duration sinceStart) throws InterruptedException {
    long wait = startNanos + sinceStart.toNanos() - System.nanoTime();
    if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
  }

  private void kill() {
    victimAway = true;
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty())
      throw new IllegalStateException(
          "process " + pid + " of region " + victim + " is not running");
    process.get().destroyForcibly();
    synchronized (this) {
      killedAt = now();
    }
    event("killed region " + victim + " (pid " + pid + ", SIGKILL)");
    if (adminToken.isPresent()) {
      try {
        HttpRequest down =
            HttpRequest.newBuilder(
                    successor.endpoint().resolve("/v1/admin/regions/" + victim + "/down"))
                .timeout(MeridianClient.REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + adminToken.get())
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> answer = client.http.send(down, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 200) declaredDown();
        event(
            "operator declared "
                + victim
                + " down at "
                + successor.name()
                + ": HTTP "
                + answer.statusCode());
      } catch (Exception e) {
        event("operator down request failed: " + e);
      }
    }
  }

  private interface Check {
    boolean done() throws Exception;
  }

  private void waitFor(String what, Check check, Duration every) throws InterruptedException {
    while (!pastDeadline()) {
      try {
        if (check.done()) {
          event(what);
          return;
        }
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        // not yet (connection refused while the process is away, and the like)
      }
      Thread.sleep(every.toMillis());
    }
    event("deadline reached before: " + what);
  }

  private boolean victimAnswers() throws Exception {
    return client.getText(target.region(victim).endpoint().resolve("/v1/regions")).statusCode()
        == 200;
  }

  private boolean handedBack() throws Exception {
    for (int user : sample) {
      JsonNode doc = client.user(successor.endpoint(), user);
      if (doc == null || !victim.equals(doc.path("owner").asText())) return false;
    }
    return true;
  }

  /**
   * Every sampled user (the victim's and others) reads the same in every region; remembers the
   * first difference.
   */
  private boolean converged() throws Exception {
    List<Integer> all = new ArrayList<>(sample);
    all.addAll(others);
    for (int user : all) {
      JsonNode first = null;
      String firstRegion = null;
      for (Target.Region region : target.regions) {
        JsonNode doc = client.user(region.endpoint(), user);
        if (doc == null) {
          lastDifference = client.userId(user) + " unreadable in " + region.name();
          return false;
        }
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc)
            .remove("homeRegion"); // compared through owner and version
        if (first == null) {
          first = doc;
          firstRegion = region.name();
        } else if (!first.equals(doc)) {
          lastDifference =
              client.userId(user)
                  + ": "
                  + firstRegion
                  + " has points "
                  + first.path("points")
                  + ", version "
                  + first.path("version")
                  + "; "
                  + region.name()
                  + " has points "
                  + doc.path("points")
                  + ", version "
                  + doc.path("version");
          return false;
        }
      }
    }
    return true;
  }

  private void watchVictimStatus() {
    try {
      HttpResponse<String> answer = client.getText(successor.endpoint().resolve("/v1/regions"));
      if (answer.statusCode() != 200) return;
      for (JsonNode region : MeridianClient.JSON.readTree(answer.body()).path("regions")) {
        if (!region.path("region").asText().equals(victim)) continue;
        String status = region.path("status").asText();
        if (!status.equals(victimStatus)) {
          victimStatus = status;
          if (status.equals("down")) declaredDown();
          event(victim + " is " + status + " (seen from " + successor.name() + ")");
        }
      }
      if (!Double.isNaN(downAt)
          && Double.isNaN(seizedAllAt)
          && victimStatus.equals("down")
          && ownedBySuccessor()) {
        synchronized (this) {
          seizedAllAt = now();
        }
        event(
            "all sampled users of "
                + victim
                + " owned by "
                + successor.name()
                + " (eager re-homing)");
      }
    } catch (Exception e) {
      // the successor is busy; next time
    }
  }

  /**
   * The sampled users as the successor sees them, asked all at once (a sequential round would blur
   * the time).
   */
  private boolean ownedBySuccessor() {
    List<java.util.concurrent.CompletableFuture<Boolean>> owned = new ArrayList<>();
    for (int user : sample) {
      owned.add(
          client
              .http
              .sendAsync(
                  client.get(successor.endpoint().resolve("/v1/users/" + client.userId(user))),
                  HttpResponse.BodyHandlers.ofString())
              .thenApply(
                  r -> {
                    try {
                      return r.statusCode() == 200
                          && successor
                              .name()
                              .equals(
                                  MeridianClient.JSON.readTree(r.body()).path("owner").asText());
                    } catch (java.io.IOException e) {
                      return false;
                    }
                  })
              .exceptionally(f -> false));
    }
    return owned.stream().allMatch(java.util.concurrent.CompletableFuture::join);
  }

  /**
   * The first time the victim is seen declared down: note when, and write every sampled user of the
   * victim at once through the successor, each retried until it succeeds. The last first success is
   * when all of them are writable again: re-homing as clients see it (lazy seizure on first
   * command).
   */
  private void declaredDown() {
    synchronized (this) {
      if (!Double.isNaN(downAt)) return;
      downAt = now();
    }
    List<java.util.concurrent.CompletableFuture<Double>> writes = new ArrayList<>();
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int user : sample) writes.add(writeUntilOk(user, until, 0));
    java.util.concurrent.CompletableFuture.allOf(
            writes.toArray(java.util.concurrent.CompletableFuture[]::new))
        .thenRun(
            () -> {
              double last =
                  writes.stream()
                      .mapToDouble(java.util.concurrent.CompletableFuture::join)
                      .max()
                      .orElse(Double.NaN);
              synchronized (this) {
                rehomedAllAt = last;
              }
              if (!Double.isNaN(last))
                event(
                    "all "
                        + sample.size()
                        + " sampled users of "
                        + victim
                        + " written through "
                        + successor.name()
                        + " (burst sent when the region was seen down), the last at t="
                        + String.format("%.2f", last)
                        + "s");
              else
                event(
                    "not all sampled users of "
                        + victim
                        + " could be written within 30 s of being declared down");
            });
  }

  /**
   * Completes with the drill time of the first successful owner-only write for {@code user} (NaN at
   * {@code untilNanos}).
   */
  private java.util.concurrent.CompletableFuture<Double> writeUntilOk(
      int user, long untilNanos, int attempt) {
    Workload.Op op = new Workload.Op(Workload.Kind.PROFILE, user, 1000 + attempt, attempt);
    return client
        .send(op, successor.endpoint())
        .toCompletableFuture()
        .handle((outcome, failure) -> failure == null && outcome.error() == null)
        .thenCompose(
            ok -> {
              if (ok) return java.util.concurrent.CompletableFuture.completedFuture(now());
              if (System.nanoTime() > untilNanos)
                return java.util.concurrent.CompletableFuture.completedFuture(Double.NaN);
              return java.util.concurrent.CompletableFuture.supplyAsync(
                      () -> null,
                      java.util.concurrent.CompletableFuture.delayedExecutor(
                          20, TimeUnit.MILLISECONDS))
                  .thenCompose(ignored -> writeUntilOk(user, untilNanos, attempt + 1));
            });
  }

  private int nextProbe;

  /**
   * An owner-only write (profile) for the next sampled user of the victim, to a surviving region.
   */
  private void probeOwnerWrite() {
    int user = sample.get(nextProbe++ % sample.size());
    List<Target.Region> survivors =
        target.regions.stream().filter(r -> !r.name().equals(victim)).toList();
    URI endpoint = survivors.get(nextProbe % survivors.size()).endpoint();
    double sent = now();
    long sentNanos = System.nanoTime();
    Workload.Op op = new Workload.Op(Workload.Kind.PROFILE, user, nextProbe, nextProbe);
    client
        .send(op, endpoint)
        .whenComplete(
            (outcome, failure) -> {
              double latency = (System.nanoTime() - sentNanos) / 1e6;
              boolean ok = failure == null && outcome.error() == null;
              String what =
                  failure != null
                      ? LoadGenerator.failureName(failure)
                      : ok ? outcome.key() : outcome.error();
              synchronized (this) {
                probes.add(
                    new Probe(
                        Math.round(sent * 1000) / 1000.0,
                        user,
                        ok,
                        what,
                        Math.round(latency * 10) / 10.0));
              }
            });
  }

  /** The drill's figures, in seconds after the kill unless said otherwise. */
  synchronized Map<String, Object> figures() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("victim", victim);
    out.put("victimPid", pid);
    out.put("successor", successor.name());
    out.put(
        "failoverBy",
        adminToken.isPresent()
            ? "operator (admin endpoint right after the kill)"
            : "auto-down (meridian.failover.auto-down-after)");
    out.put("sampledUsers", sample.size());
    out.put("killedAtSeconds", killedAt);
    if (Double.isNaN(killedAt)) return out;
    List<Probe> after =
        probes.stream()
            .filter(p -> p.t() >= killedAt)
            .sorted(java.util.Comparator.comparingDouble(Probe::t))
            .toList();
    List<Probe> failures = after.stream().filter(p -> !p.ok()).toList();
    out.put("probesAfterKill", after.size());
    out.put("failedProbes", failures.size());
    eventTime("is suspect").ifPresent(t -> out.put("suspectAfterKill", round(t - killedAt)));
    if (!Double.isNaN(downAt)) out.put("declaredDownAfterKill", round(downAt - killedAt));
    // Failure windows (the failover, and the hand-back on return): failed probes, each window
    // closed
    // once a second has passed after the last failure's answer without a new failure being sent.
    List<Map<String, Object>> windows = new ArrayList<>();
    List<Probe> current = new ArrayList<>();
    double currentEnd = Double.NEGATIVE_INFINITY;
    for (Probe p : failures) {
      if (!current.isEmpty() && p.t() > currentEnd + 1.0) {
        windows.add(window(current));
        current = new ArrayList<>();
      }
      current.add(p);
      currentEnd =
          Math.max(
              current.size() == 1 ? Double.NEGATIVE_INFINITY : currentEnd,
              p.t() + p.latencyMillis() / 1000);
    }
    if (!current.isEmpty()) windows.add(window(current));
    out.put("errorWindows", windows);
    Optional<Probe> firstOk =
        after.stream()
            .filter(Probe::ok)
            .filter(p -> !failures.isEmpty() && p.t() > failures.get(0).t())
            .findFirst();
    firstOk.ifPresent(
        p ->
            out.put(
                "firstSuccessfulWriteAfterKill",
                round(p.t() + p.latencyMillis() / 1000 - killedAt)));
    if (!Double.isNaN(rehomedAllAt)) {
      out.put("allSampledUsersWritableAfterKill", round(rehomedAllAt - killedAt));
      out.put("rehomingAfterDeclaredDown", round(rehomedAllAt - downAt));
    }
    if (!Double.isNaN(downAt)) {
      firstOk.ifPresent(
          p ->
              out.put(
                  "firstWriteAfterDeclaredDown", round(p.t() + p.latencyMillis() / 1000 - downAt)));
      if (!Double.isNaN(seizedAllAt))
        out.put("eagerRehomingAfterDeclaredDown", round(seizedAllAt - downAt));
    }
    eventTime("answers HTTP again")
        .ifPresent(t -> out.put("processBackAfterKill", round(t - killedAt)));
    eventTime("declared up").ifPresent(t -> out.put("declaredUpAfterKill", round(t - killedAt)));
    eventTime("handed back").ifPresent(t -> out.put("handedBackAfterKill", round(t - killedAt)));
    eventTime("load stopped")
        .ifPresent(
            stopped ->
                eventTime("all regions agree")
                    .ifPresent(t -> out.put("convergedAfterLoadStopped", round(t - stopped))));
    events.stream()
        .filter(e -> e.what().startsWith("NOT converged"))
        .findFirst()
        .ifPresent(e -> out.put("notConverged", e.what()));
    return out;
  }

  /**
   * One window of failed owner-only writes: from the first failure's sending to the last one's
   * answer, in seconds after the kill.
   */
  private Map<String, Object> window(List<Probe> failed) {
    double from = failed.get(0).t();
    double to =
        failed.stream().mapToDouble(p -> p.t() + p.latencyMillis() / 1000).max().orElse(from);
    Map<String, Long> kinds = new java.util.TreeMap<>();
    failed.forEach(p -> kinds.merge(p.outcome(), 1L, Long::sum));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("fromKill", round(from - killedAt));
    out.put("toKill", round(to - killedAt));
    out.put("seconds", round(to - from));
    out.put("failures", kinds);
    long sent = probes.stream().filter(p -> p.t() >= from && p.t() <= to).count();
    out.put("probesSent", sent);
    return out;
  }

  private Optional<Double> eventTime(String contains) {
    return events.stream()
        .filter(e -> e.what().contains(contains) && !e.what().startsWith("deadline"))
        .map(Event::t)
        .filter(t -> t >= killedAt)
        .findFirst();
  }

  private static double round(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }

  synchronized List<Event> events() {
    return List.copyOf(events);
  }

  synchronized List<Probe> probes() {
    return List.copyOf(probes);
  }
}
