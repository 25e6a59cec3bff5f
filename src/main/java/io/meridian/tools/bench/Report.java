package io.meridian.tools.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Turns figures into the log's summary table and the JSON file. */
final class Report {
  private Report() {}

  /** Percentiles in ms of a histogram recorded in microseconds. */
  static Map<String, Object> percentiles(Histogram h) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("count", h.getTotalCount());
    if (h.getTotalCount() == 0) return out;
    out.put("meanMillis", round(h.getMean() / 1000));
    out.put("p50Millis", ms(h.getValueAtPercentile(50)));
    out.put("p90Millis", ms(h.getValueAtPercentile(90)));
    out.put("p95Millis", ms(h.getValueAtPercentile(95)));
    out.put("p99Millis", ms(h.getValueAtPercentile(99)));
    out.put("p999Millis", ms(h.getValueAtPercentile(99.9)));
    out.put("maxMillis", ms(h.getMaxValue()));
    return out;
  }

  static List<Double> chartLine(Histogram h) {
    return List.of(
        ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(95)),
        ms(h.getValueAtPercentile(99)),
        ms(h.getValueAtPercentile(99.9)),
        ms(h.getMaxValue()));
  }

  static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }

  static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  static double round3(double value) {
    return Math.round(value * 1000) / 1000.0;
  }

  static String row(String name, long count, double perSecond, Histogram h) {
    if (h.getTotalCount() == 0)
      return String.format(
          Locale.ROOT,
          "  %-22s %9d %9.1f %8s %8s %8s %8s%n",
          name,
          count,
          perSecond,
          "-",
          "-",
          "-",
          "-");
    return String.format(
        Locale.ROOT,
        "  %-22s %9d %9.1f %8.2f %8.2f %8.2f %8.2f%n",
        name,
        count,
        perSecond,
        ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(95)),
        ms(h.getValueAtPercentile(99)),
        ms(h.getMaxValue()));
  }

  static String header() {
    return String.format(
        Locale.ROOT,
        "  %-22s %9s %9s %8s %8s %8s %8s%n",
        "operation",
        "count",
        "per s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms");
  }

  /** The rows of one run: one per key, then all. */
  static String table(LoadGenerator.Result result) {
    StringBuilder out = new StringBuilder(header());
    result
        .latencies()
        .forEach(
            (key, h) ->
                out.append(
                    row(
                        key,
                        h.getTotalCount(),
                        h.getTotalCount() / Math.max(1e-9, result.seconds()),
                        h)));
    Histogram all = result.all();
    out.append(row("all", all.getTotalCount(), result.throughput(), all));
    return out.toString();
  }

  static Map<String, Object> result(LoadGenerator.Result result) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("seconds", round(result.seconds()));
    out.put("ok", result.ok());
    out.put("throughputPerSecond", round(result.throughput()));
    out.put("writeThroughputPerSecond", round(result.writeThroughput()));
    out.put("errors", result.errors());
    out.put("all", percentiles(result.all()));
    Map<String, Object> byKey = new LinkedHashMap<>();
    result.latencies().forEach((key, h) -> byKey.put(key, percentiles(h)));
    out.put("byOperation", byKey);
    out.put("perSecond", result.series());
    return out;
  }

  static void writeJson(Path file, Map<String, Object> figures) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    MeridianClient.JSON
        .copy()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(file.toFile(), figures);
  }
}
