package io.meridian.tools.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of {@code GET /metrics} (Prometheus text format): series with their labels and values.
 */
final class PromText {
  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  record Series(String name, Map<String, String> labels, double value) {}

  final java.util.List<Series> series;

  private PromText(java.util.List<Series> series) {
    this.series = series;
  }

  static PromText parse(String text) {
    java.util.List<Series> series = new java.util.ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) continue;
      Matcher m = LINE.matcher(line);
      if (!m.find()) continue;
      Map<String, String> labels = new TreeMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) labels.put(l.group(1), l.group(2));
      }
      try {
        series.add(new Series(m.group(1), labels, Double.parseDouble(m.group(4))));
      } catch (NumberFormatException ignored) {
        // NaN and friends are parsed by Double; anything else is not a sample
      }
    }
    return new PromText(series);
  }

  static PromText empty() {
    return new PromText(java.util.List.of());
  }

  /** Values of {@code name}, keyed by the label {@code by} (labels in {@code where} must match). */
  Map<String, Double> by(String name, String by, Map<String, String> where) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Series s : series) {
      if (!s.name().equals(name) || !s.labels().entrySet().containsAll(where.entrySet())) continue;
      out.merge(s.labels().getOrDefault(by, ""), s.value(), Double::sum);
    }
    return out;
  }

  /**
   * The {@code q} quantile of the observations a histogram ({@code <name>_bucket} series with label
   * {@code le}) gained between {@code before} and {@code after}, for the series matching {@code
   * where}; linear within a bucket, as Prometheus' {@code histogram_quantile}. Null when nothing
   * was observed.
   */
  static Double quantileBetween(
      PromText before, PromText after, String name, Map<String, String> where, double q) {
    java.util.TreeMap<Double, Double> cumulative = new java.util.TreeMap<>();
    for (Series s : after.series) {
      if (!s.name().equals(name + "_bucket")
          || !s.labels().entrySet().containsAll(where.entrySet())) continue;
      double le =
          s.labels().get("le").equals("+Inf")
              ? Double.POSITIVE_INFINITY
              : Double.parseDouble(s.labels().get("le"));
      double was =
          before.series.stream()
              .filter(b -> b.name().equals(s.name()) && b.labels().equals(s.labels()))
              .mapToDouble(Series::value)
              .sum();
      cumulative.merge(le, s.value() - was, Double::sum);
    }
    if (cumulative.isEmpty()) return null;
    double total = cumulative.lastEntry().getValue();
    if (total <= 0) return null;
    double rank = q * total;
    double lowerBound = 0;
    double lowerCount = 0;
    for (var bucket : cumulative.entrySet()) {
      if (bucket.getValue() >= rank) {
        if (bucket.getKey().isInfinite()) return lowerBound;
        double inBucket = bucket.getValue() - lowerCount;
        return inBucket <= 0
            ? bucket.getKey()
            : lowerBound + (bucket.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
      }
      lowerBound = bucket.getKey();
      lowerCount = bucket.getValue();
    }
    return lowerBound;
  }

  double sum(String name, Map<String, String> where) {
    return by(name, "__none__", where).values().stream().mapToDouble(Double::doubleValue).sum();
  }
}
