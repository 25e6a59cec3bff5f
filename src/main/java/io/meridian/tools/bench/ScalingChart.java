package io.meridian.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The two pictures of {@code bench scaling} (XChart, SVG): cost per user (heap per region after a
 * full GC, live and after passivation, and idle cores, against users, one line per region count)
 * and cost per region (CQL statements and region CPU per client write against regions, one line per
 * user count).
 */
final class ScalingChart {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;

  private ScalingChart() {}

  @SuppressWarnings("unchecked")
  static void save(Path usersFile, Path regionsFile, List<Map<String, Object>> rows)
      throws IOException {
    // regions -> users -> derived, and users -> regions -> derived, measured rows only
    Map<Integer, TreeMap<Integer, Map<String, Object>>> byRegions = new TreeMap<>();
    Map<Integer, TreeMap<Integer, Map<String, Object>>> byUsers = new TreeMap<>();
    for (Map<String, Object> row : rows) {
      if (!"measured".equals(row.get("status"))) continue;
      int regions = ((List<?>) row.get("regions")).size();
      int users = ((Number) row.get("users")).intValue();
      Map<String, Object> d = (Map<String, Object>) row.get("derived");
      byRegions.computeIfAbsent(regions, k -> new TreeMap<>()).put(users, d);
      byUsers.computeIfAbsent(users, k -> new TreeMap<>()).put(regions, d);
    }
    XYChart users =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(
                "Cost per user: heap per region after full GC, idle CPU (one fresh demo per row)")
            .xAxisTitle("users")
            .yAxisTitle("MB heap per region")
            .build();
    users.getStyler().setXAxisLogarithmic(true);
    users.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    users.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
    users.setYAxisGroupTitle(1, "cores (region processes summed)");
    users.getStyler().setYAxisMin(0, 0.0);
    users.getStyler().setYAxisMin(1, 0.0);
    boolean any = false;
    for (var e : byRegions.entrySet()) {
      String n = e.getKey() + " regions";
      any |= line(users, "heap, users live, " + n, e.getValue(), "heapLiveMbPerRegion", 0, false);
      line(users, "heap, passivated, " + n, e.getValue(), "heapPassivatedMbPerRegion", 0, true);
      line(users, "idle cores, live, " + n, e.getValue(), "liveIdleRegionsCores", 1, true);
    }
    if (!any) users.addSeries("no measured row", new double[] {1, 10}, new double[] {0, 0});
    write(users, usersFile);

    XYChart regions =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Cost per region: per client write at a low fixed rate")
            .xAxisTitle("regions")
            .yAxisTitle("CQL statements per client write")
            .build();
    regions.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    regions.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
    regions.setYAxisGroupTitle(1, "CPU ms per write (region processes summed)");
    regions.getStyler().setYAxisMin(0, 0.0);
    regions.getStyler().setYAxisMin(1, 0.0);
    any = false;
    for (var e : byUsers.entrySet()) {
      String n = String.format(java.util.Locale.ROOT, "%,d users", e.getKey());
      any |=
          line(regions, "CQL/write, " + n, e.getValue(), "cqlStatementsPerClientWrite", 0, false);
      line(regions, "region CPU ms/write, " + n, e.getValue(), "regionsCpuMsPerWrite", 1, true);
    }
    if (!any) regions.addSeries("no measured row", new double[] {2, 3}, new double[] {0, 0});
    write(regions, regionsFile);
  }

  /** A line of {@code field} over the map's keys; false if no point had the field. */
  private static boolean line(
      XYChart chart,
      String name,
      TreeMap<Integer, Map<String, Object>> points,
      String field,
      int yGroup,
      boolean dashed) {
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    Function<Object, Double> number = ScalingFigures::number;
    points.forEach(
        (k, d) -> {
          Double v = number.apply(d.get(field));
          if (v == null) return;
          x.add(k.doubleValue());
          y.add(v);
        });
    if (x.isEmpty()) return false;
    XYSeries series = chart.addSeries(name, x, y);
    series.setYAxisGroup(yGroup);
    series.setMarker(yGroup == 0 ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
    if (dashed) series.setLineStyle(SeriesLines.DASH_DASH);
    return true;
  }

  private static void write(XYChart chart, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    VectorGraphicsEncoder.saveVectorGraphic(
        chart, file.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
  }
}
