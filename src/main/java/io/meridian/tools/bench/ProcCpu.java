package io.meridian.tools.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Where the machine's time goes: CPU time (user + system) of the processes of a run, read from
 * {@code /proc/<pid>/stat} before and after a measured phase, and of the whole machine from {@code
 * /proc/stat}; divided by the operations done, CPU milliseconds per operation. Linux only; a
 * process that cannot be read is left out.
 */
final class ProcCpu {
  private ProcCpu() {}

  /** A process of the run: "region us", "cassandra", "bench (this JVM)". */
  record Proc(String name, long pid) {}

  /** CPU ticks of one process: user + system, and its start time (to tell a restarted pid). */
  record Ticks(long cpu, long startTime) {}

  /** One reading: per process name, its ticks; and the machine's busy ticks (all cores). */
  record Sample(long atNanos, Map<String, Ticks> processes, long machineBusy) {}

  private static volatile Long clockTicks;

  /** {@code getconf CLK_TCK} (100 on Linux unless the kernel was built otherwise). */
  static long clockTicksPerSecond() {
    Long known = clockTicks;
    if (known != null) return known;
    long hz = 100;
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() == 0 && out.matches("\\d+")) hz = Long.parseLong(out);
    } catch (IOException e) {
      // keep 100
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clockTicks = hz;
    return hz;
  }

  /**
   * utime + stime (fields 14 and 15) and starttime (field 22) of a {@code /proc/<pid>/stat} line.
   * The command name (field 2) is in parentheses and may hold spaces and parentheses: the fields
   * are counted from the last ')'.
   */
  static Ticks parseStat(String line) {
    int close = line.lastIndexOf(')');
    if (close < 0) throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + line);
    String[] f = line.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state): field n is f[n - 3].
    long utime = Long.parseLong(f[14 - 3]);
    long stime = Long.parseLong(f[15 - 3]);
    long start = Long.parseLong(f[22 - 3]);
    return new Ticks(utime + stime, start);
  }

  /**
   * Busy ticks of the machine from the first line of {@code /proc/stat} ("cpu user nice system idle
   * iowait irq softirq steal ..."): everything but idle and iowait.
   */
  static long parseMachineBusy(String firstLine) {
    String[] f = firstLine.trim().split("\\s+");
    if (!f[0].equals("cpu")) throw new IllegalArgumentException("not /proc/stat: " + firstLine);
    long busy = 0;
    for (int i = 1; i < f.length && i <= 8; i++) {
      if (i == 4 || i == 5) continue; // idle, iowait
      busy += Long.parseLong(f[i]);
    }
    return busy;
  }

  static Sample sample(List<Proc> processes) {
    Map<String, Ticks> ticks = new LinkedHashMap<>();
    for (Proc proc : processes) {
      try {
        ticks.put(
            proc.name(),
            parseStat(Files.readString(Path.of("/proc", Long.toString(proc.pid()), "stat"))));
      } catch (IOException | RuntimeException e) {
        // gone, or not ours
      }
    }
    long machine = -1;
    try {
      machine = parseMachineBusy(Files.readAllLines(Path.of("/proc/stat")).get(0));
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return new Sample(System.nanoTime(), ticks, machine);
  }

  /**
   * The run's processes: each region's (the process listening on its HTTP port), Cassandra's (the
   * one listening on its CQL port), and this JVM.
   */
  static List<Proc> discover(Target target, java.util.Optional<String> cassandraAt) {
    List<Proc> out = new ArrayList<>();
    for (Target.Region region : target.regions) {
      OptionalLong pid = Target.pidListeningOn(region.endpoint().getPort());
      if (pid.isPresent()) out.add(new Proc("region " + region.name(), pid.getAsLong()));
    }
    cassandraAt.ifPresent(
        at -> {
          try {
            int port = Integer.parseInt(at.substring(at.lastIndexOf(':') + 1));
            OptionalLong pid = Target.pidListeningOn(port);
            if (pid.isPresent()) out.add(new Proc("cassandra", pid.getAsLong()));
          } catch (NumberFormatException e) {
            // no port in the address
          }
        });
    out.add(new Proc("bench (load generator JVM)", ProcessHandle.current().pid()));
    return out;
  }

  /**
   * Per process between two samples: CPU ms, CPU ms per operation, cores used on average; then the
   * machine's total and what the listed processes do not account for (other builds, the OS).
   */
  static Map<String, Object> cost(Sample before, Sample after, long operations, long hz) {
    Map<String, Object> out = new LinkedHashMap<>();
    double wallSeconds = (after.atNanos() - before.atNanos()) / 1e9;
    double msPerTick = 1000.0 / hz;
    Map<String, Object> byProcess = new LinkedHashMap<>();
    double listed = 0;
    for (var entry : after.processes().entrySet()) {
      Ticks was = before.processes().get(entry.getKey());
      Map<String, Object> f = new LinkedHashMap<>();
      if (was == null || was.startTime() != entry.getValue().startTime()) {
        f.put("note", "process started during the phase (restarted?): not counted");
        byProcess.put(entry.getKey(), f);
        continue;
      }
      double ms = (entry.getValue().cpu() - was.cpu()) * msPerTick;
      listed += ms;
      byProcess.put(entry.getKey(), figures(ms, operations, wallSeconds));
    }
    out.put("seconds", Report.round(wallSeconds));
    out.put("operations", operations);
    out.put("byProcess", byProcess);
    out.put("listedProcesses", figures(listed, operations, wallSeconds));
    if (before.machineBusy() >= 0 && after.machineBusy() >= 0) {
      double machine = (after.machineBusy() - before.machineBusy()) * msPerTick;
      out.put("machine", figures(machine, operations, wallSeconds));
      out.put("otherProcesses", figures(Math.max(0, machine - listed), operations, wallSeconds));
    }
    out.put(
        "how",
        "utime+stime from /proc/<pid>/stat (and /proc/stat for the machine), "
            + hz
            + " ticks/s (getconf CLK_TCK), before and after the phase; ms per operation = CPU ms / operations completed");
    return out;
  }

  /**
   * Adds to each process of {@code cost} its marginal CPU per operation: its CPU minus what it used
   * without load in the same time ({@code idle}'s cores), per operation.
   */
  @SuppressWarnings("unchecked")
  static void addMarginal(Map<String, Object> cost, Map<String, Object> idle) {
    double seconds = ((Number) cost.get("seconds")).doubleValue();
    long operations = ((Number) cost.get("operations")).longValue();
    if (operations <= 0) return;
    Map<String, Object> idleByProcess = (Map<String, Object>) idle.get("byProcess");
    java.util.function.BiConsumer<Map<String, Object>, Map<String, Object>> add =
        (f, i) -> {
          if (f == null || i == null || !(f.get("cpuMillis") instanceof Double ms)) return;
          if (!(i.get("coresUsed") instanceof Double idleCores)) return;
          f.put("idleCores", idleCores);
          f.put(
              "marginalCpuMillisPerOp",
              Report.round3((ms - idleCores * seconds * 1000) / operations));
        };
    Map<String, Object> byProcess = (Map<String, Object>) cost.get("byProcess");
    byProcess.forEach(
        (name, f) ->
            add.accept((Map<String, Object>) f, (Map<String, Object>) idleByProcess.get(name)));
    for (String total : List.of("listedProcesses", "machine", "otherProcesses"))
      add.accept((Map<String, Object>) cost.get(total), (Map<String, Object>) idle.get(total));
  }

  private static Map<String, Object> figures(double cpuMillis, long operations, double seconds) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("cpuMillis", Report.round(cpuMillis));
    f.put("cpuMillisPerOp", operations > 0 ? Report.round3(cpuMillis / operations) : null);
    f.put("coresUsed", seconds > 0 ? Report.round(cpuMillis / 1000 / seconds) : null);
    return f;
  }

  /** One line per process for the summary: "region us 1.23 ms/op (0.45 cores)". */
  @SuppressWarnings("unchecked")
  static String summary(Map<String, Object> cost) {
    StringBuilder out = new StringBuilder();
    Map<String, Object> byProcess = (Map<String, Object>) cost.get("byProcess");
    byProcess.forEach((name, f) -> out.append(line(name, (Map<String, Object>) f)));
    out.append(line("all listed", (Map<String, Object>) cost.get("listedProcesses")));
    if (cost.get("machine") != null) {
      out.append(line("machine (all processes)", (Map<String, Object>) cost.get("machine")));
      out.append(line("other processes", (Map<String, Object>) cost.get("otherProcesses")));
    }
    return out.toString();
  }

  private static String line(String name, Map<String, Object> f) {
    if (f.containsKey("note")) return String.format("  %-28s %s%n", name, f.get("note"));
    return String.format(
        java.util.Locale.ROOT,
        "  %-28s %8s CPU ms/op  %6s cores  (%s CPU ms)%n",
        name,
        f.get("cpuMillisPerOp"),
        f.get("coresUsed"),
        f.get("cpuMillis"));
  }
}
