package io.meridian.user;

import java.util.Optional;

/**
 * The port through which {@link UserGateway} learns which regions it may send to now, and what to
 * do about a user whose owner's region is down. The region room implements it (RegionService); the
 * user package defines it, so that users depend on no region code.
 */
public interface RegionAvailability {
  boolean isAvailable(String region);

  /**
   * The region that would take over {@code owner}'s users (its first available successor), to route
   * to when the owner's region is unavailable from here; empty when nobody can. The successor
   * itself decides whether it takes over (only where the owner is declared down).
   */
  default Optional<String> takeoverFor(String owner) {
    return Optional.empty();
  }

  /** False on the minority side of a partition: single-writer commands are refused there. */
  default boolean hasOwnershipQuorum() {
    return true;
  }

  /** Declared down in the region directory (by an operator, or a majority of the regions). */
  default boolean isDeclaredDown(String region) {
    return false;
  }

  /**
   * True for a while after this node's own region was declared up again following a down: a replica
   * that did not run while the region was away recovers its old claim from this region's journal,
   * so a claim of ownership here is checked against the other regions first.
   */
  default boolean ownClaimsMayBeStale() {
    return false;
  }

  /**
   * When {@code region}'s current declaration was made (ms, the declaring node's clock), if it is
   * declared down: how long a seizure took counts from there (ownership history).
   */
  default Long declaredDownAt(String region) {
    return null;
  }

  RegionAvailability ALL_UP = region -> true;
}
