package io.meridian.tools.bench;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The run's picture (XChart, PNG): latency percentiles, throughput, replication lag, and the
 * failover timeline or the baselines.
 */
final class Charts {
  private static final int WIDTH = 800;
  private static final int HEIGHT = 480;
  static final List<String> PERCENTILES = List.of("p50", "p90", "p95", "p99", "p99.9", "max");

  private Charts() {}

  /** One latency line: its name and its values in ms at {@link #PERCENTILES}. */
  record Line(String name, List<Double> millis) {}

  static void save(
      Path file,
      String title,
      List<Line> latency,
      List<LoadGenerator.Second> series,
      List<LagProbe.Sample> lags,
      FailoverDrill drill,
      Map<String, Double> throughputs)
      throws IOException {
    List<Chart<?, ?>> charts = new ArrayList<>();
    charts.add(latencyChart(title, latency));
    charts.add(throughputChart(series, drill));
    charts.add(lagChart(lags));
    charts.add(drill != null ? failoverChart(drill) : baselineChart(throughputs));
    BitmapEncoder.saveBitmap(charts, 2, 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static CategoryChart latencyChart(String title, List<Line> lines) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Latency percentiles (ms, log) - " + title)
            .xAxisTitle("percentile")
            .yAxisTitle("ms")
            .build();
    chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setLegendFont(chart.getStyler().getLegendFont().deriveFont(10f));
    for (Line line : lines) {
      List<Double> values = line.millis().stream().map(v -> Math.max(0.01, v)).toList();
      chart.addSeries(line.name(), PERCENTILES, values);
    }
    if (lines.isEmpty())
      chart.addSeries("no data", PERCENTILES, List.of(1.0, 1.0, 1.0, 1.0, 1.0, 1.0));
    return chart;
  }

  private static XYChart throughputChart(List<LoadGenerator.Second> series, FailoverDrill drill) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Meridian throughput per second")
            .xAxisTitle("s")
            .yAxisTitle("operations/s")
            .build();
    chart
        .getStyler()
        .setLegendPosition(
            drill != null ? Styler.LegendPosition.OutsideE : Styler.LegendPosition.InsideNE);
    List<Double> t = new ArrayList<>();
    List<Double> ok = new ArrayList<>();
    List<Double> errors = new ArrayList<>();
    for (LoadGenerator.Second s : series) {
      t.add(s.t());
      ok.add((double) s.ok());
      errors.add((double) s.errors());
    }
    if (t.isEmpty()) {
      t.add(0.0);
      ok.add(0.0);
      errors.add(0.0);
    }
    chart.addSeries("ok/s", t, ok).setMarker(SeriesMarkers.NONE);
    chart.addSeries("errors/s", t, errors).setMarker(SeriesMarkers.NONE).setLineColor(Color.RED);
    if (drill != null)
      addEventLines(chart, drill, ok.stream().mapToDouble(Double::doubleValue).max().orElse(1));
    return chart;
  }

  private static XYChart lagChart(List<LagProbe.Sample> samples) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Replication lag, end to end (write acknowledged in A -> visible in B)")
            .xAxisTitle("s")
            .yAxisTitle("ms")
            .build();
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(4);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    Map<String, List<LagProbe.Sample>> byPair = new java.util.TreeMap<>();
    for (LagProbe.Sample s : samples)
      byPair.computeIfAbsent(s.from() + " -> " + s.to(), k -> new ArrayList<>()).add(s);
    byPair.forEach(
        (pair, list) ->
            chart.addSeries(
                pair,
                list.stream().map(LagProbe.Sample::t).toList(),
                list.stream().map(LagProbe.Sample::lagMillis).toList()));
    if (byPair.isEmpty()) chart.addSeries("no samples", List.of(0.0), List.of(0.0));
    return chart;
  }

  private static XYChart failoverChart(FailoverDrill drill) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Failover: owner-only writes for the killed region's users")
            .xAxisTitle("s")
            .yAxisTitle("request latency (ms)")
            .build();
    chart.getStyler().setMarkerSize(5);
    // Outside: failures sit at the top (ask timeouts), where an inside legend would hide them.
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setLegendFont(chart.getStyler().getLegendFont().deriveFont(10f));
    List<FailoverDrill.Probe> probes = drill.probes();
    List<FailoverDrill.Probe> ok = probes.stream().filter(FailoverDrill.Probe::ok).toList();
    List<FailoverDrill.Probe> failed = probes.stream().filter(p -> !p.ok()).toList();
    double max =
        Math.max(
            1, probes.stream().mapToDouble(FailoverDrill.Probe::latencyMillis).max().orElse(1));
    addScatter(chart, "write ok", ok, new Color(0, 140, 0));
    addScatter(chart, "write failed", failed, Color.RED);
    addEventLines(chart, drill, max);
    return chart;
  }

  private static void addScatter(
      XYChart chart, String name, List<FailoverDrill.Probe> probes, Color color) {
    List<Double> x =
        probes.isEmpty() ? List.of(0.0) : probes.stream().map(FailoverDrill.Probe::t).toList();
    List<Double> y =
        probes.isEmpty()
            ? List.of(0.0)
            : probes.stream().map(FailoverDrill.Probe::latencyMillis).toList();
    XYSeries series = chart.addSeries(name + " (" + probes.size() + ")", x, y);
    series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    series.setMarkerColor(color);
  }

  /** The drill's events as vertical lines. */
  private static void addEventLines(XYChart chart, FailoverDrill drill, double height) {
    java.util.Set<String> names = new java.util.HashSet<>();
    for (FailoverDrill.Event event : drill.events()) {
      String name = shortName(event.what());
      if (name == null || !names.add(name)) continue;
      XYSeries line =
          chart.addSeries(
              name + " " + String.format("%.1fs", event.t()),
              List.of(event.t(), event.t()),
              List.of(0.0, height));
      line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      line.setMarker(SeriesMarkers.NONE);
    }
  }

  private static String shortName(String what) {
    if (what.startsWith("killed")) return "kill";
    if (what.contains(" is suspect")) return "suspect";
    if (what.contains(" is down") || what.startsWith("operator declared")) return "down";
    if (what.contains("eager re-homing")) return "re-homed";
    if (what.contains("answers HTTP again")) return "process back";
    if (what.contains("declared up")) return "up";
    if (what.contains("handed back")) return "handed back";
    if (what.contains("all regions agree")) return "converged";
    return null;
  }

  private static CategoryChart baselineChart(Map<String, Double> throughputs) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Throughput: Meridian vs single-region baselines (same run)")
            .yAxisTitle("operations/s")
            .build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setLabelsVisible(true);
    List<String> names = new ArrayList<>(throughputs.keySet());
    List<Double> values = new ArrayList<>(throughputs.values());
    if (names.isEmpty()) {
      names.add("no data");
      values.add(0.0);
    }
    chart.addSeries("ops/s", names, values);
    return chart;
  }

  /**
   * {@code --compare}: the median throughput of each throughput phase (bars), and the median p50
   * and p99 of each latency phase (bars, log scale), side by side.
   */
  static void saveComparison(
      Path file, Map<String, Double> throughputs, Map<String, List<Double>> p50AndP99)
      throws IOException {
    CategoryChart throughput =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Throughput, closed loop (median of the repetitions)")
            .yAxisTitle("operations/s")
            .build();
    throughput.getStyler().setLegendVisible(false);
    throughput.getStyler().setLabelsVisible(true);
    throughput.getStyler().setXAxisLabelRotation(20);
    throughput.addSeries(
        "ops/s",
        throughputs.isEmpty() ? List.of("no data") : new ArrayList<>(throughputs.keySet()),
        throughputs.isEmpty() ? List.of(0.0) : new ArrayList<>(throughputs.values()));
    CategoryChart latency =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Latency, open loop (median of the repetitions; ms)")
            .yAxisTitle("ms")
            .build();
    latency.getStyler().setXAxisLabelRotation(20);
    List<String> names =
        p50AndP99.isEmpty() ? List.of("no data") : new ArrayList<>(p50AndP99.keySet());
    List<Double> p50 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    for (String name : names) {
      List<Double> v = p50AndP99.getOrDefault(name, List.of(1.0, 1.0));
      p50.add(Math.max(0.01, v.get(0)));
      p99.add(Math.max(0.01, v.get(1)));
    }
    latency.addSeries("p50", names, p50);
    latency.addSeries("p99", names, p99);
    List<Chart<?, ?>> charts = new ArrayList<>();
    charts.add(throughput);
    charts.add(latency);
    BitmapEncoder.saveBitmap(charts, 1, 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /**
   * The open-loop curve: p50 and p99 (from the intended send time) against the offered rate, with
   * the p99 bound; and the achieved rate against the offered one.
   */
  static void saveRateCurve(
      Path file,
      List<Double> offered,
      List<Double> achieved,
      List<Double> p50,
      List<Double> p99,
      double boundMillis,
      Double maxSustainable)
      throws IOException {
    XYChart latency =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(
                "Open loop: latency vs offered rate (max sustainable: "
                    + (maxSustainable == null ? "none" : maxSustainable + " ops/s")
                    + ")")
            .xAxisTitle("offered operations/s")
            .yAxisTitle("ms (log)")
            .build();
    latency.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    latency.addSeries("p50", offered, p50.stream().map(v -> Math.max(0.01, v)).toList());
    latency
        .addSeries("p99", offered, p99.stream().map(v -> Math.max(0.01, v)).toList())
        .setLineColor(Color.RED);
    double lo = offered.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double hi = offered.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    XYSeries bound =
        latency.addSeries(
            "p99 bound " + boundMillis + " ms", List.of(lo, hi), List.of(boundMillis, boundMillis));
    bound.setMarker(SeriesMarkers.NONE);
    bound.setLineColor(Color.GRAY);
    XYChart rates =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Open loop: achieved vs offered rate")
            .xAxisTitle("offered operations/s")
            .yAxisTitle("operations/s")
            .build();
    rates.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    rates.addSeries("achieved (ok answers/s)", offered, achieved);
    rates.addSeries("offered", offered, offered).setMarker(SeriesMarkers.NONE);
    BitmapEncoder.saveBitmap(
        List.<Chart<?, ?>>of(latency, rates),
        1,
        2,
        file.toString(),
        BitmapEncoder.BitmapFormat.PNG);
  }
}
