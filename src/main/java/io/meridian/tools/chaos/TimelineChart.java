package io.meridian.tools.chaos;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * timeline.png (XChart): operation outcomes per second, and the replication lag each region
 * reports, both with the faults drawn as bands above the data, one lane per region.
 */
public final class TimelineChart {
  private static final int WIDTH = 1100;
  private static final int HEIGHT = 420;
  private static final Map<String, Color> OUTCOME_COLORS =
      Map.of(
          "ok", new Color(0, 140, 0), "failed", new Color(200, 120, 0), "indeterminate", Color.RED);
  private static final Map<String, Color> FAULT_COLORS =
      Map.of(
          "kill",
          Color.BLACK,
          "pause-region",
          new Color(120, 60, 160),
          "pause-cassandra",
          new Color(0, 90, 170),
          "admin-down-up",
          new Color(190, 0, 0),
          "move",
          new Color(0, 150, 150));

  private TimelineChart() {}

  public static void save(Path file, History.Snapshot history, long t0Millis, List<String> regions)
      throws IOException {
    List<Chart<?, ?>> charts =
        List.of(outcomes(history, t0Millis, regions), lag(history, t0Millis, regions));
    BitmapEncoder.saveBitmap(charts, 2, 1, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static XYChart outcomes(History.Snapshot history, long t0Millis, List<String> regions) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Operations per second by outcome; faults as bands (one lane per region)")
            .xAxisTitle("s since the workload started")
            .yAxisTitle("operations/s")
            .build();
    style(chart);
    Map<String, TreeMap<Long, Integer>> perSecond = new TreeMap<>();
    for (String outcome : List.of("ok", "failed", "indeterminate"))
      perSecond.put(outcome, new TreeMap<>());
    long last = 0;
    for (Operation op : history.operations()) {
      long second = Math.floorDiv(op.endMillis() - t0Millis, 1000);
      if (second < 0) continue;
      last = Math.max(last, second);
      perSecond.get(op.outcome().label()).merge(second, 1, Integer::sum);
    }
    double top = 1;
    for (var entry : perSecond.entrySet()) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (long s = 0; s <= last; s++) {
        x.add((double) s);
        y.add((double) entry.getValue().getOrDefault(s, 0));
      }
      top = Math.max(top, y.stream().mapToDouble(Double::doubleValue).max().orElse(0));
      XYSeries series = chart.addSeries(entry.getKey(), x, y);
      series.setMarker(SeriesMarkers.NONE);
      series.setLineColor(OUTCOME_COLORS.get(entry.getKey()));
    }
    addFaultBands(chart, history, t0Millis, regions, top);
    return chart;
  }

  private static XYChart lag(History.Snapshot history, long t0Millis, List<String> regions) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Replication lag reported in GET /v1/regions (max over observers, per second)")
            .xAxisTitle("s since the workload started")
            .yAxisTitle("ms")
            .build();
    style(chart);
    Map<String, TreeMap<Long, Long>> byRegion = new TreeMap<>();
    for (StatusSample s : history.statusSamples()) {
      if (s.replicationLagMillis() < 0 || s.atMillis() < t0Millis) continue;
      byRegion
          .computeIfAbsent(s.region(), r -> new TreeMap<>())
          .merge((s.atMillis() - t0Millis) / 1000, s.replicationLagMillis(), Math::max);
    }
    double top = 1;
    for (var entry : byRegion.entrySet()) {
      List<Double> x = entry.getValue().keySet().stream().map(Long::doubleValue).toList();
      List<Double> y = entry.getValue().values().stream().map(Long::doubleValue).toList();
      top = Math.max(top, y.stream().mapToDouble(Double::doubleValue).max().orElse(0));
      chart.addSeries("lag " + entry.getKey(), x, y).setMarker(SeriesMarkers.NONE);
    }
    if (byRegion.isEmpty()) chart.addSeries("no samples", List.of(0.0), List.of(0.0));
    addFaultBands(chart, history, t0Millis, regions, top);
    return chart;
  }

  /**
   * Each fault as a thick horizontal bar from start to end, in its region's lane above the data.
   */
  private static void addFaultBands(
      XYChart chart, History.Snapshot history, long t0Millis, List<String> regions, double top) {
    List<String> lanes = new ArrayList<>(regions);
    lanes.add(FaultPlan.CASSANDRA);
    int n = 0;
    for (FaultRecord fault : history.faults()) {
      int lane = Math.max(0, lanes.indexOf(fault.region()));
      double y = top * (1.08 + 0.07 * lane);
      double from = (fault.startMillis() - t0Millis) / 1000.0;
      double to = Math.max(from + 0.5, (fault.endMillis() - t0Millis) / 1000.0);
      XYSeries band =
          chart.addSeries(
              fault.kind() + " " + fault.region() + " #" + (++n), List.of(from, to), List.of(y, y));
      band.setMarker(SeriesMarkers.NONE);
      band.setLineColor(FAULT_COLORS.getOrDefault(fault.kind(), Color.GRAY));
      band.setLineStyle(new BasicStroke(8f));
    }
  }

  private static void style(XYChart chart) {
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setLegendFont(chart.getStyler().getLegendFont().deriveFont(10f));
  }
}
