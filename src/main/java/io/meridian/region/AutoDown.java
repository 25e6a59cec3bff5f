package io.meridian.region;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The automatic-down rule, as a function of values (RegionMonitor only gathers them).
 *
 * <p>Region R is declared down when this node reaches a majority of the regions (no split-brain
 * down) and a majority of the regions other than R have seen R unreachable for at least {@code
 * after}. A region has seen R unreachable only if every live node of it that has reported says so:
 * one node's flaky link does not speak for its region. Only reports of nodes that are live members
 * now count: a dead node's last report ("unreachable since …") would otherwise count forever. And
 * no clocks are compared across nodes: a report carries for how long its node had seen R
 * unreachable when it published (its own clock), and this node adds the time since it received the
 * report (its own clock).
 */
public final class AutoDown {
  private AutoDown() {}

  /**
   * What one node reported, as this node holds it.
   *
   * @param unreachableForMillis per unreachable region, for how long the reporting node had seen it
   *     unreachable when it published (measured on its own clock)
   * @param receivedAtMillis when this node received the report (this node's clock)
   */
  public record Report(
      String node,
      String observerRegion,
      Map<String, Long> unreachableForMillis,
      long receivedAtMillis) {}

  /**
   * @param regions all configured regions
   * @param ownRegion this node's region
   * @param liveNodes per region, the nodes that are live members reachable from here now (for this
   *     node's own region, at least this node)
   * @param reports the newest report of each node
   * @param declaredDown regions already declared down
   * @param hasQuorum whether this node reaches a majority of the regions
   * @return the regions to declare down now, in configured order
   */
  public static Set<String> regionsToDown(
      List<String> regions,
      String ownRegion,
      Map<String, Set<String>> liveNodes,
      Collection<Report> reports,
      Set<String> declaredDown,
      boolean hasQuorum,
      long nowMillis,
      long afterMillis) {
    Set<String> down = new LinkedHashSet<>();
    if (!hasQuorum) return down;
    int others = regions.size() - 1;
    for (String region : regions) {
      if (region.equals(ownRegion) || declaredDown.contains(region)) continue;
      long agreeing =
          regions.stream()
              .filter(observer -> !observer.equals(region))
              .filter(
                  observer ->
                      regionHasSeenUnreachable(
                          observer, region, liveNodes, reports, nowMillis, afterMillis))
              .count();
      if (agreeing * 2 > others) down.add(region);
    }
    return down;
  }

  /**
   * Every live node of {@code observer} that has reported has seen {@code region} unreachable for
   * {@code after}; at least one has.
   */
  static boolean regionHasSeenUnreachable(
      String observer,
      String region,
      Map<String, Set<String>> liveNodes,
      Collection<Report> reports,
      long nowMillis,
      long afterMillis) {
    Set<String> live = liveNodes.getOrDefault(observer, Set.of());
    boolean any = false;
    for (Report report : reports) {
      if (!report.observerRegion().equals(observer) || !live.contains(report.node())) continue;
      Long unreachableFor = report.unreachableForMillis().get(region);
      if (unreachableFor == null) return false;
      long sinceReceived = Math.max(0, nowMillis - report.receivedAtMillis());
      if (unreachableFor + sinceReceived < afterMillis) return false;
      any = true;
    }
    return any;
  }
}
