package io.meridian.tools.chaos;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Carries out a {@link FaultPlan} against the running system and records each fault as it happened.
 *
 * <p>A region fault starts at its planned time, or later if the previous fault's region is not back
 * up yet (the system promises to survive one faulty region, not two); it ends when it is healed and
 * every region reports every region {@code up} again. Paused processes are remembered so that
 * {@link #healAll()} (also from the shutdown hook) never leaves a process stopped.
 */
public final class FaultInjector {
  static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(120);
  private static final int INJECTOR_CLIENT = -1;

  private final FaultPlan plan;
  private final RecordingClient requests;
  private final History history;
  private final RegionHealth health;
  private final List<WorkloadUser> users;
  private final java.util.function.Consumer<String> progress;
  private final Set<Long> paused = ConcurrentHashMap.newKeySet();
  private volatile long lastHealMillis;
  private volatile String partitioned;

  public FaultInjector(
      FaultPlan plan,
      RecordingClient requests,
      History history,
      List<WorkloadUser> users,
      java.util.function.Consumer<String> progress) {
    this.plan = plan;
    this.requests = requests;
    this.history = history;
    this.health = new RegionHealth(requests.http());
    this.users = List.copyOf(users);
    this.progress = progress;
  }

  /** Wall-clock time the last fault healed (its region was seen up again); 0 before any. */
  public long lastHealMillis() {
    return lastHealMillis;
  }

  /** Runs the whole plan, {@code t0Nanos} being the workload's start. */
  public void run(long t0Nanos) throws InterruptedException {
    for (PlannedFault planned : plan.faults()) {
      sleepUntil(t0Nanos, planned.atMillis());
      if (planned.kind().regionFault() || planned.kind() == FaultKind.PAUSE_CASSANDRA) {
        if (!health.awaitAllUp(RECOVERY_TIMEOUT))
          progress.accept(
              "chaos: not every region is up before "
                  + describe(planned)
                  + "; injecting it anyway");
      }
      // Started late (the previous region was slow to come back): it still lasts as long as
      // planned.
      long late =
          Math.max(
              0, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0Nanos) - planned.atMillis());
      PlannedFault fault =
          new PlannedFault(
              planned.kind(),
              planned.region(),
              planned.userIndex(),
              planned.atMillis() + late,
              planned.healAtMillis() + late);
      long started = System.currentTimeMillis();
      progress.accept(
          String.format(
              "chaos: t=%ds %s",
              TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0Nanos), describe(fault)));
      String detail =
          switch (fault.kind()) {
            case KILL -> kill(fault);
            case PAUSE_REGION -> pause(fault, regionPid(fault.region()), t0Nanos);
            case PAUSE_CASSANDRA -> pause(fault, cassandraPid(), t0Nanos);
            case ADMIN_DOWN_UP -> adminDownUp(fault, t0Nanos);
            case MOVE -> move(fault);
            case PARTITION -> partition(fault, t0Nanos, false);
            case ASYMMETRIC_PARTITION -> partition(fault, t0Nanos, true);
          };
      if (fault.kind() != FaultKind.MOVE) {
        if (fault.kind() == FaultKind.KILL) sleepUntil(t0Nanos, fault.healAtMillis());
        boolean up = health.awaitAllUp(RECOVERY_TIMEOUT);
        detail +=
            up
                ? "; every region up again"
                : "; NOT every region up after " + RECOVERY_TIMEOUT.toSeconds() + " s";
      }
      long ended = System.currentTimeMillis();
      history.record(new FaultRecord(fault.kind().label(), fault.region(), started, ended, detail));
      lastHealMillis = ended;
      progress.accept(
          String.format(
              "chaos: healed %s after %d ms (%s)", describe(fault), ended - started, detail));
    }
  }

  private String kill(PlannedFault fault) {
    Optional<Long> pid = regionPid(fault.region());
    if (pid.isEmpty())
      return "no process listens on " + fault.region() + "'s HTTP port: not killed";
    boolean killed = Signals.kill9(pid.get());
    return (killed ? "SIGKILL pid " : "could not SIGKILL pid ") + pid.get();
  }

  private String pause(PlannedFault fault, Optional<Long> pid, long t0Nanos)
      throws InterruptedException {
    if (pid.isEmpty()) return "no process found for " + fault.region() + ": not paused";
    paused.add(pid.get());
    boolean stopped = Signals.stop(pid.get());
    try {
      sleepUntil(t0Nanos, fault.healAtMillis());
    } finally {
      Signals.resume(pid.get());
      paused.remove(pid.get());
    }
    return (stopped ? "SIGSTOP" : "could not SIGSTOP")
        + " pid "
        + pid.get()
        + " for "
        + (fault.healAtMillis() - fault.atMillis())
        + " ms, then SIGCONT";
  }

  private String adminDownUp(PlannedFault fault, long t0Nanos) throws InterruptedException {
    String other = otherRegion(fault.region(), 0);
    MeridianHttp.Answer down =
        requests.http().admin(other, "/v1/admin/regions/" + fault.region() + "/down");
    sleepUntil(t0Nanos, fault.healAtMillis());
    // Up again, sent to the other surviving region: an operator may use any node.
    MeridianHttp.Answer up =
        requests
            .http()
            .admin(otherRegion(fault.region(), 1), "/v1/admin/regions/" + fault.region() + "/up");
    for (int attempt = 0; up.status() != 200 && attempt < 10; attempt++) {
      TimeUnit.SECONDS.sleep(1); // an operator retrying
      up =
          requests
              .http()
              .admin(
                  otherRegion(fault.region(), attempt),
                  "/v1/admin/regions/" + fault.region() + "/up");
    }
    return "down via "
        + other
        + " -> "
        + down.status()
        + (down.error() == null ? "" : " " + down.error())
        + ", up -> "
        + up.status()
        + (up.error() == null ? "" : " " + up.error());
  }

  private String move(PlannedFault fault) {
    WorkloadUser user = users.get(fault.userIndex() % users.size());
    String via = otherRegion(fault.region(), fault.userIndex());
    Operation op =
        requests.call(
            INJECTOR_CLIENT,
            via,
            "move",
            Map.of("userId", user.userId(), "toRegion", fault.region()),
            "POST",
            "/v1/users/" + user.userId() + "/move",
            "{\"toRegion\":\"" + fault.region() + "\"}");
    return "move "
        + user.userId()
        + " to "
        + fault.region()
        + " via "
        + via
        + " -> "
        + op.status()
        + (op.error() == null ? "" : " " + op.error());
  }

  /**
   * Cuts the region's cluster traffic with every other region: both ways (each side drops the
   * other), or, asymmetric, only what the region sends (it still receives). HTTP is not affected.
   */
  private String partition(PlannedFault fault, long t0Nanos, boolean asymmetric)
      throws InterruptedException {
    String cut = fault.region();
    partitioned = cut;
    StringBuilder detail =
        new StringBuilder(
            asymmetric
                ? "blackhole " + cut + " -> others (send)"
                : "blackhole " + cut + " <-> others");
    try {
      for (String other : others(cut)) {
        detail
            .append("; ")
            .append(cut)
            .append("->")
            .append(other)
            .append(": ")
            .append(chaos(cut, "blackhole", other, asymmetric ? "send" : "both"));
        if (!asymmetric)
          detail
              .append("; ")
              .append(other)
              .append("->")
              .append(cut)
              .append(": ")
              .append(chaos(other, "blackhole", cut, "both"));
      }
      sleepUntil(t0Nanos, fault.healAtMillis());
    } finally {
      detail.append("; healed: ").append(healPartition(cut));
    }
    return detail.toString();
  }

  private String healPartition(String cut) {
    StringBuilder result = new StringBuilder();
    for (String other : others(cut)) {
      result
          .append(chaos(cut, "heal", other, "both"))
          .append(' ')
          .append(chaos(other, "heal", cut, "both"))
          .append(' ');
    }
    partitioned = null;
    return result.toString().trim();
  }

  private String chaos(String at, String action, String to, String direction) {
    MeridianHttp.Answer answer =
        requests
            .http()
            .admin(
                at,
                "/v1/admin/chaos/" + action,
                "{\"from\":\""
                    + at
                    + "\",\"to\":\""
                    + to
                    + "\",\"direction\":\""
                    + direction
                    + "\"}");
    return answer.status() + (answer.error() == null ? "" : " " + answer.error());
  }

  private List<String> others(String region) {
    return plan.regions().stream().filter(r -> !r.equals(region)).toList();
  }

  /**
   * SIGCONT for every process this injector stopped, and heals a partition: after the run and from
   * the shutdown hook.
   */
  public void healAll() {
    for (Long pid : paused) {
      Signals.resume(pid);
      paused.remove(pid);
    }
    String cut = partitioned;
    if (cut != null) healPartition(cut);
  }

  private Optional<Long> regionPid(String region) {
    return ListeningProcess.pidListeningOn(requests.http().endpoints().uri(region).getPort());
  }

  private Optional<Long> cassandraPid() {
    int port = requests.http().endpoints().cassandraPort();
    return port > 0 ? ListeningProcess.pidListeningOn(port) : Optional.empty();
  }

  private String otherRegion(String region, int offset) {
    List<String> others = plan.regions().stream().filter(r -> !r.equals(region)).toList();
    return others.get(Math.floorMod(offset, others.size()));
  }

  private static String describe(PlannedFault fault) {
    return switch (fault.kind()) {
      case MOVE -> "move user #" + fault.userIndex() + " to " + fault.region();
      case PAUSE_CASSANDRA ->
          "pause-cassandra " + (fault.healAtMillis() - fault.atMillis()) + " ms";
      default ->
          fault.kind().label()
              + " "
              + fault.region()
              + (fault.kind() == FaultKind.KILL
                  ? ""
                  : " for " + (fault.healAtMillis() - fault.atMillis()) + " ms");
    };
  }

  private static void sleepUntil(long t0Nanos, long offsetMillis) throws InterruptedException {
    long wait = t0Nanos + TimeUnit.MILLISECONDS.toNanos(offsetMillis) - System.nanoTime();
    if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait); // the plan's schedule
  }
}
