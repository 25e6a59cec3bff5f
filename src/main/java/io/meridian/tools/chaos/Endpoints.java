package io.meridian.tools.chaos;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * Where the system under test is and how to call it: each region's HTTP base URL, the admin token
 * (scope admin), the API token every other request carries (scopes read, write, payments), and
 * Cassandra's CQL port (0 when unknown, which rules out {@code pause-cassandra}).
 */
public record Endpoints(
    Map<String, URI> regions, String adminToken, String apiToken, int cassandraPort) {

  public Endpoints {
    // Insertion order is kept: it is the region order of the fault plan, so the same seed gives the
    // same plan (Map.copyOf would iterate in an order that changes from one JVM to the next).
    regions = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(regions));
  }

  /** The regions in the order they were given. */
  public List<String> regionNames() {
    return List.copyOf(regions.keySet());
  }

  public URI uri(String region) {
    URI uri = regions.get(region);
    if (uri == null) throw new IllegalArgumentException("no endpoint for region " + region);
    return uri;
  }
}
