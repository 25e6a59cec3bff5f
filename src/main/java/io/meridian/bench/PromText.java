package io.meridian.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A scrape of {@code GET /metrics} (Prometheus text format): series with their labels and values. */
final class PromText {
  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

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

  double sum(String name, Map<String, String> where) {
    return by(name, "__none__", where).values().stream().mapToDouble(Double::doubleValue).sum();
  }
}
