package io.meridian.payment;

import java.util.List;

/**
 * Which regions had to confirm a payment and which did in time; the policy decides whether that is
 * durable.
 */
public record Confirmation(
    ConfirmationPolicy policy, List<String> needed, List<String> confirmedBy) {

  public Confirmation {
    needed = List.copyOf(needed);
    confirmedBy = List.copyOf(confirmedBy);
  }

  /**
   * Applied by another region as the policy requires: by at least one, and by all of them for
   * {@code all}.
   */
  public boolean durable() {
    if (confirmedBy.isEmpty()) return false;
    return policy != ConfirmationPolicy.ALL || confirmedBy.containsAll(needed);
  }

  /** The regions that did not confirm, as a client reads them. */
  public String missing() {
    List<String> missing = needed.stream().filter(r -> !confirmedBy.contains(r)).toList();
    return missing.isEmpty() ? "no other region" : "region(s) " + String.join(", ", missing);
  }
}
