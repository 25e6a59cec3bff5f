package io.meridian.payment;

import io.meridian.topology.Regions;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which other regions must have applied a payment before it is acknowledged ({@code
 * meridian.payments.confirmation}).
 */
public enum ConfirmationPolicy {
  /** The owner's failover successor, the region that would take over its users (the default). */
  SUCCESSOR,
  /** Any one other region, the first to answer. */
  ANY_OTHER,
  /** Every other region not declared down. */
  ALL;

  /** Reads the configured name: {@code successor}, {@code any-other} or {@code all}. */
  public static ConfirmationPolicy fromConfig(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  /**
   * The regions whose replica must have the payment of a user owned by {@code owner}. Only a region
   * <em>declared</em> down is passed over, never one that is merely unreachable from this node: the
   * successor that confirms must be the region that takes over the owner's users (takeover also
   * skips only declared-down regions), and reachability is one node's opinion. So while the
   * successor is unreachable but not declared down, {@code successor} leaves the payment not
   * durable yet instead of settling for a region that would not take over; {@code all} waits for
   * every region not declared down.
   */
  List<String> confirmers(String owner, Regions regions, Predicate<String> declaredDown) {
    return switch (this) {
      case SUCCESSOR ->
          regions.successorsOf(owner).stream()
              .filter(r -> !declaredDown.test(r))
              .findFirst()
              .map(List::of)
              .orElse(List.of());
      case ANY_OTHER, ALL ->
          regions.names().stream().filter(r -> !r.equals(owner) && !declaredDown.test(r)).toList();
    };
  }
}
