package io.meridian.topology;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.persistence.typed.ReplicaId;

/**
 * The configured regions, in their fixed order, and each region's failover order.
 *
 * <p>The order is part of the protocol: it breaks ties between ownership claims of equal epoch (the
 * region listed first wins), so every replica must be configured with the same list.
 */
public record Regions(List<String> names, Map<String, List<String>> failoverOrder) {

  public Regions {
    names = List.copyOf(names);
    if (names.isEmpty())
      throw new IllegalArgumentException("meridian.regions must name at least one region");
    if (Set.copyOf(names).size() != names.size())
      throw new IllegalArgumentException("meridian.regions has duplicates: " + names);
    var orders = new LinkedHashMap<String, List<String>>();
    for (String region : names) {
      List<String> order = failoverOrder.getOrDefault(region, List.of());
      for (String successor : order) {
        if (!names.contains(successor) || successor.equals(region)) {
          throw new IllegalArgumentException(
              "failover order of "
                  + region
                  + " names "
                  + successor
                  + ", which is not another configured region");
        }
      }
      var complete = new ArrayList<>(order);
      // Regions the operator did not list still follow, in the fixed order, so a successor always
      // exists.
      for (String other : names)
        if (!other.equals(region) && !complete.contains(other)) complete.add(other);
      orders.put(region, List.copyOf(complete));
    }
    failoverOrder = Map.copyOf(orders);
  }

  /** Reads {@code meridian.regions} and {@code meridian.failover.order.<region>}. */
  public static Regions fromConfig(Config meridian) {
    List<String> names = meridian.getStringList("regions");
    var orders = new LinkedHashMap<String, List<String>>();
    for (String region : names) {
      String path = "failover.order." + region;
      orders.put(region, meridian.hasPath(path) ? meridian.getStringList(path) : List.of());
    }
    return new Regions(names, orders);
  }

  public static Regions of(String... names) {
    return new Regions(List.of(names), Map.of());
  }

  public boolean contains(String region) {
    return names.contains(region);
  }

  /** Position in the fixed order; lower wins a tie. */
  public int rank(String region) {
    int rank = names.indexOf(region);
    if (rank < 0) throw new IllegalArgumentException("unknown region " + region);
    return rank;
  }

  public List<String> successorsOf(String region) {
    return failoverOrder.getOrDefault(region, List.of());
  }

  /** The first region in {@code region}'s failover order for which {@code usable} holds. */
  public Optional<String> successorOf(String region, java.util.function.Predicate<String> usable) {
    return successorsOf(region).stream().filter(usable).findFirst();
  }

  public Set<ReplicaId> replicaIds() {
    return names.stream()
        .map(ReplicaId::new)
        .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
  }
}
