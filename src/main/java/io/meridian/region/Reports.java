package io.meridian.region;

import io.meridian.region.RegionDirectory.Observation;
import io.meridian.region.RegionDirectory.Observations;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each node's newest report as this node holds it, with when this node received it, so that {@link
 * AutoDown} compares no other node's clock: a report is new when its publication time changed, and
 * the time it arrived here is this node's.
 */
final class Reports {
  static final Reports NONE = new Reports(Map.of(), Map.of());

  private final Map<String, AutoDown.Report> byNode;

  /** When each node published the report held (a new publication time: a new report). */
  private final Map<String, Long> publishedAt;

  private Reports(Map<String, AutoDown.Report> byNode, Map<String, Long> publishedAt) {
    this.byNode = Map.copyOf(byNode);
    this.publishedAt = Map.copyOf(publishedAt);
  }

  /** Takes in the observations as replicated, received at {@code nowMillis} (this node's clock). */
  Reports received(Observations observations, long nowMillis) {
    var reports = new HashMap<>(byNode);
    var published = new HashMap<>(publishedAt);
    observations
        .byNode()
        .forEach(
            (node, observation) -> {
              Long known = published.put(node, observation.at());
              if (known == null || known != observation.at()) {
                reports.put(
                    node,
                    new AutoDown.Report(
                        node, observation.observerRegion(), durations(observation), nowMillis));
              }
            });
    return new Reports(reports, published);
  }

  Collection<AutoDown.Report> all() {
    return List.copyOf(byNode.values());
  }

  /**
   * For how long the reporting node had seen each region unreachable when it published (its own
   * clock).
   */
  private static Map<String, Long> durations(Observation observation) {
    var durations = new HashMap<String, Long>();
    observation
        .unreachableSince()
        .forEach((region, since) -> durations.put(region, Math.max(0, observation.at() - since)));
    return Map.copyOf(durations);
  }
}
