package io.meridian.tools.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The figures of {@code bench scaling} derived from its raw samples: per row the table's columns
 * (cores, heap, CPU and CQL per write, cost per live replica), across rows the straight-line fits
 * and the estimates of the rows not run, and the summary for the log. Pure functions over the
 * report's maps, so the report can be re-derived from its JSON.
 */
@SuppressWarnings("unchecked")
final class ScalingFigures {
  private ScalingFigures() {}

  /** Cores used by the region processes together in a sample ({@code cpu.byProcess}). */
  static Double regionsCores(Map<String, Object> sample) {
    return sumByProcess(sample, "coresUsed", true);
  }

  static Double processCores(Map<String, Object> sample, String process) {
    Map<String, Object> p = process(sample, process);
    return p == null ? null : number(p.get("coresUsed"));
  }

  /** CPU ms per operation of the region processes together in a {@code ProcCpu.cost}. */
  static Double regionsCpuPerOp(Map<String, Object> cost) {
    return sumByProcess(Map.of("cpu", cost), "cpuMillisPerOp", true);
  }

  private static Double sumByProcess(Map<String, Object> sample, String field, boolean regions) {
    if (sample == null || !(sample.get("cpu") instanceof Map<?, ?> cpu)) return null;
    Map<String, Object> byProcess = (Map<String, Object>) cpu.get("byProcess");
    double sum = 0;
    boolean any = false;
    for (var e : byProcess.entrySet()) {
      if (regions != e.getKey().startsWith("region ")) continue;
      Double v = number(((Map<String, Object>) e.getValue()).get(field));
      if (v == null) continue;
      sum += v;
      any = true;
    }
    return any ? Report.round3(sum) : null;
  }

  private static Map<String, Object> process(Map<String, Object> sample, String name) {
    if (sample == null || !(sample.get("cpu") instanceof Map<?, ?> cpu)) return null;
    return (Map<String, Object>) ((Map<String, Object>) cpu.get("byProcess")).get(name);
  }

  static Double number(Object value) {
    return value instanceof Number n ? n.doubleValue() : null;
  }

  /** Live replicas of all regions in a sample: the mean of the counts before and after it. */
  static Double liveReplicas(Map<String, Object> sample) {
    if (sample == null) return null;
    Double before = total(sample.get("liveReplicasBefore"));
    Double after = total(sample.get("liveReplicasAfter"));
    if (before == null || after == null) return before != null ? before : after;
    return Report.round((before + after) / 2);
  }

  private static Double total(Object perRegion) {
    if (!(perRegion instanceof Map<?, ?> m) || m.isEmpty()) return null;
    double sum = 0;
    for (Object v : m.values()) if (v instanceof Number n) sum += n.doubleValue();
    return sum;
  }

  /** Mean over regions of the heap after a full GC, MB. */
  static Double meanHeapMb(Map<String, Object> heap) {
    if (heap == null) return null;
    double sum = 0;
    int n = 0;
    for (Object f : heap.values()) {
      Double mb = number(((Map<String, Object>) f).get("heapUsedAfterFullGcMb"));
      if (mb == null) continue;
      sum += mb;
      n++;
    }
    return n == 0 ? null : Report.round(sum / n);
  }

  /**
   * KB of heap per live replica: per region, (heap live - heap passivated) / (live replicas then -
   * live replicas after passivation), averaged over the regions where at least 100 replicas went.
   */
  static Double heapKbPerLiveReplica(Map<String, Object> live, Map<String, Object> passivated) {
    if (live == null || passivated == null) return null;
    double sum = 0;
    int n = 0;
    for (var e : live.entrySet()) {
      Map<String, Object> a = (Map<String, Object>) e.getValue();
      Map<String, Object> b = (Map<String, Object>) passivated.get(e.getKey());
      if (b == null) continue;
      Double heapA = number(a.get("heapUsedAfterFullGcMb"));
      Double heapB = number(b.get("heapUsedAfterFullGcMb"));
      Double liveA = number(a.get("liveReplicas"));
      Double liveB = number(b.get("liveReplicas"));
      if (heapA == null || heapB == null || liveA == null || liveB == null) continue;
      if (liveA - liveB < 100) continue;
      sum += (heapA - heapB) * 1024 / (liveA - liveB);
      n++;
    }
    return n == 0 ? null : Report.round(sum / n);
  }

  /**
   * Cores per 1,000 live replicas: (cores in the live idle sample - cores in the reference sample)
   * / (live replicas then - in the reference) x 1,000; null if fewer than 100 replicas differ.
   */
  static Double coresPerThousandLive(Double cores, Double live, Double refCores, Double refLive) {
    if (cores == null || live == null || refCores == null || refLive == null) return null;
    if (live - refLive < 100) return null;
    return Report.round3((cores - refCores) / (live - refLive) * 1000);
  }

  /** The row's table columns, from its samples. */
  static Map<String, Object> derived(Map<String, Object> row) {
    Map<String, Object> d = new LinkedHashMap<>();
    Map<String, Object> creation = (Map<String, Object>) row.get("creation");
    Map<String, Object> empty = (Map<String, Object>) row.get("emptyIdle");
    Map<String, Object> wave = (Map<String, Object>) row.get("wave");
    Map<String, Object> liveIdle = (Map<String, Object>) row.get("liveIdle");
    Map<String, Object> passivatedIdle = (Map<String, Object>) row.get("passivatedIdle");
    Map<String, Object> heapLive = (Map<String, Object>) row.get("heapLive");
    Map<String, Object> heapPassivated = (Map<String, Object>) row.get("heapPassivated");
    Map<String, Object> writes = (Map<String, Object>) row.get("writes");
    if (creation != null) {
      d.put("createSeconds", creation.get("seconds"));
      d.put("createsPerSecond", creation.get("perSecond"));
      d.put("createRetries", creation.get("retried"));
    }
    d.put("emptyRegionsCores", regionsCores(empty));
    d.put("emptyCassandraCores", processCores(empty, "cassandra"));
    d.put("waveRegionsCores", regionsCores(wave));
    d.put("waveCassandraCores", processCores(wave, "cassandra"));
    d.put("liveIdleRegionsCores", regionsCores(liveIdle));
    d.put("liveIdleCassandraCores", processCores(liveIdle, "cassandra"));
    d.put("liveIdleCqlPerSecond", liveIdle == null ? null : liveIdle.get("cqlStatementsPerSecond"));
    Double live = liveReplicas(liveIdle);
    d.put("liveReplicasInIdleSample", live);
    d.put("passivatedIdleRegionsCores", regionsCores(passivatedIdle));
    d.put("passivatedIdleCassandraCores", processCores(passivatedIdle, "cassandra"));
    Double passivatedLive = liveReplicas(passivatedIdle);
    d.put("liveReplicasInPassivatedSample", passivatedLive);
    // The reference without live replicas: after passivation if measured, else the empty system.
    boolean afterPassivation = passivatedIdle != null;
    Map<String, Object> ref = afterPassivation ? passivatedIdle : empty;
    Double refLive = afterPassivation ? passivatedLive : Double.valueOf(0);
    d.put(
        "regionsCoresPer1000LiveReplicas",
        coresPerThousandLive(regionsCores(liveIdle), live, regionsCores(ref), refLive));
    d.put(
        "cassandraCoresPer1000LiveReplicas",
        coresPerThousandLive(
            processCores(liveIdle, "cassandra"), live, processCores(ref, "cassandra"), refLive));
    d.put("idleReference", afterPassivation ? "passivated" : "empty system");
    d.put("heapLiveMbPerRegion", meanHeapMb(heapLive));
    d.put("heapPassivatedMbPerRegion", meanHeapMb(heapPassivated));
    d.put("heapKbPerLiveReplica", heapKbPerLiveReplica(heapLive, heapPassivated));
    if (writes != null) {
      Map<String, Object> latency = (Map<String, Object>) writes.get("latency");
      Map<String, Object> cpu = (Map<String, Object>) writes.get("cpu");
      d.put("writesAchievedPerSecond", writes.get("achievedPerSecond"));
      d.put("writeP50Millis", latency.get("p50Millis"));
      d.put("writeP99Millis", latency.get("p99Millis"));
      d.put("writeErrors", writes.get("errors"));
      d.put("regionsCpuMsPerWrite", regionsCpuPerOp(cpu));
      Map<String, Object> cassandra =
          (Map<String, Object>) ((Map<String, Object>) cpu.get("byProcess")).get("cassandra");
      d.put("cassandraCpuMsPerWrite", cassandra == null ? null : cassandra.get("cpuMillisPerOp"));
      d.put(
          "regionsMarginalCpuMsPerWrite",
          sumByProcess(Map.of("cpu", cpu), "marginalCpuMillisPerOp", true));
      d.put(
          "cassandraMarginalCpuMsPerWrite",
          cassandra == null ? null : cassandra.get("marginalCpuMillisPerOp"));
      d.put("cqlStatementsPerClientWrite", writes.get("cqlStatementsPerClientWrite"));
      d.put(
          "marginalCqlStatementsPerClientWrite", writes.get("marginalCqlStatementsPerClientWrite"));
      d.put("loadAverageDuringWrites", writes.get("loadAverageAfter"));
    }
    d.put("loadAverageDuringLiveIdle", liveIdle == null ? null : liveIdle.get("loadAverageAfter"));
    return d;
  }

  /**
   * Across the measured rows: heap per region and idle cores as lines over live replicas, and for
   * every row not run the estimate they give (with what it assumes).
   */
  static Map<String, Object> estimates(List<Map<String, Object>> rows) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<double[]> heap = new ArrayList<>(); // live replicas per region -> heap MB per region
    List<double[]> idle = new ArrayList<>(); // live replicas (all regions) -> regions cores
    List<double[]> kb = new ArrayList<>();
    for (Map<String, Object> row : rows) {
      if (!"measured".equals(row.get("status"))) continue;
      int regions = ((List<?>) row.get("regions")).size();
      for (String key : List.of("heapLive", "heapPassivated")) {
        Map<String, Object> h = (Map<String, Object>) row.get(key);
        if (h == null) continue;
        for (Object f : h.values()) {
          Double mb = number(((Map<String, Object>) f).get("heapUsedAfterFullGcMb"));
          Double live = number(((Map<String, Object>) f).get("liveReplicas"));
          if (mb != null && live != null) heap.add(new double[] {live, mb, regions});
        }
      }
      Map<String, Object> d = (Map<String, Object>) row.get("derived");
      if (d != null && number(d.get("heapKbPerLiveReplica")) != null)
        kb.add(new double[] {regions, number(d.get("heapKbPerLiveReplica"))});
      for (String key : List.of("liveIdle", "passivatedIdle")) {
        Map<String, Object> s = (Map<String, Object>) row.get(key);
        Double cores = regionsCores(s);
        Double live = liveReplicas(s);
        if (cores != null && live != null) idle.add(new double[] {live, cores, regions});
      }
    }
    Optional<ScalingPlan.Line> heapLine = fit(heap);
    Optional<ScalingPlan.Line> idleLine = fit(idle);
    heapLine.ifPresent(
        l ->
            out.put(
                "heapMbPerRegion",
                Map.of(
                    "interceptMb",
                    Report.round(l.intercept()),
                    "kbPerLiveReplica",
                    Report.round(l.slope() * 1024),
                    "points",
                    l.points(),
                    "over",
                    "every region of every measured row, live and after passivation")));
    idleLine.ifPresent(
        l ->
            out.put(
                "idleRegionsCores",
                Map.of(
                    "interceptCores",
                    Report.round3(l.intercept()),
                    "coresPer1000LiveReplicas",
                    Report.round3(l.slope() * 1000),
                    "points",
                    l.points(),
                    "over",
                    "live idle and passivated idle samples of every measured row")));
    List<Map<String, Object>> notRun = new ArrayList<>();
    for (Map<String, Object> row : rows) {
      if ("measured".equals(row.get("status"))) continue;
      int users = ((Number) row.get("users")).intValue();
      int regions = ((List<?>) row.get("regions")).size();
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("users", users);
      e.put("regions", row.get("regions"));
      e.put("status", row.get("status"));
      e.put("reason", row.containsKey("reason") ? row.get("reason") : row.get("failure"));
      heapLine.ifPresent(
          l -> {
            e.put("heapMbPerRegionAllLive", Report.round(l.at(users)));
            e.put(
                "heapMbPerRegionAtActiveEntityLimit10000",
                Report.round(l.at(Math.min(users, 10_000))));
          });
      idleLine.ifPresent(
          l ->
              e.put(
                  "idleRegionsCoresAllLive",
                  Report.round(l.at((double) Math.min(users, 10_000) * regions))));
      e.put(
          "assumes",
          "straight lines over the measured rows; a node keeps at most 10,000 live replicas (cluster.conf active-entity-limit), so beyond 10,000 users per region the heap and idle cost stop growing and the rest is recovered on demand");
      notRun.add(e);
    }
    out.put("rowsNotRun", notRun);
    return out;
  }

  private static Optional<ScalingPlan.Line> fit(List<double[]> points) {
    double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
    double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
    return ScalingPlan.fit(x, y);
  }

  /** The table for the log: one line per row. */
  static String summary(Map<String, Object> figures) {
    StringBuilder out = new StringBuilder("\n\nScaling (one fresh demo per row)\n");
    out.append(
        String.format(
            Locale.ROOT,
            "  %-7s %-7s %-9s %8s %7s %13s %13s %13s %9s %9s %15s %11s %8s %8s %7s %15s%n",
            "regions",
            "users",
            "status",
            "create s",
            "per s",
            "wave r/C",
            "live idle r/C",
            "passiv. r/C",
            "live rep.",
            "heap MB",
            "heap MB passiv.",
            "KB/replica",
            "p50 ms",
            "p99 ms",
            "CQL/w",
            "CPU ms/w r/C"));
    for (Map<String, Object> row : (List<Map<String, Object>>) figures.get("rows")) {
      Map<String, Object> d = (Map<String, Object>) row.getOrDefault("derived", Map.of());
      out.append(
          String.format(
              Locale.ROOT,
              "  %-7s %-7s %-9s %8s %7s %13s %13s %13s %9s %9s %15s %11s %8s %8s %7s %15s%n",
              ((List<?>) row.get("regions")).size(),
              row.get("users"),
              row.get("status"),
              d.get("createSeconds"),
              d.get("createsPerSecond"),
              d.get("waveRegionsCores") + "/" + d.get("waveCassandraCores"),
              d.get("liveIdleRegionsCores") + "/" + d.get("liveIdleCassandraCores"),
              d.get("passivatedIdleRegionsCores") + "/" + d.get("passivatedIdleCassandraCores"),
              d.get("liveReplicasInIdleSample"),
              d.get("heapLiveMbPerRegion"),
              d.get("heapPassivatedMbPerRegion"),
              d.get("heapKbPerLiveReplica"),
              d.get("writeP50Millis"),
              d.get("writeP99Millis"),
              d.get("cqlStatementsPerClientWrite"),
              d.get("regionsCpuMsPerWrite") + "/" + d.get("cassandraCpuMsPerWrite")));
      if (!"measured".equals(row.get("status")))
        out.append("          ")
            .append(
                row.containsKey("reason")
                    ? row.get("reason")
                    : row.get("failedIn") + ": " + row.get("failure"))
            .append('\n');
    }
    out.append(
        "  (r/C: regions summed / Cassandra, cores or CPU ms; live rep.: live replicas of all regions in the idle sample)\n");
    Object history = figures.get("history");
    if (history != null) out.append("history (bench recovery): ").append(history).append('\n');
    out.append("estimates: ").append(figures.get("estimates")).append('\n');
    return out.toString();
  }
}
