package io.meridian.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.topology.Regions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who must confirm a payment, and when the confirmations make it durable: rules over values. */
class ConfirmationPolicyTest {
  private static final Regions REGIONS =
      new Regions(
          List.of("us", "eu", "ap"), Map.of("us", List.of("eu", "ap"), "eu", List.of("us", "ap")));

  private static List<String> confirmers(
      ConfirmationPolicy policy, String owner, Set<String> declaredDown) {
    return policy.confirmers(owner, REGIONS, declaredDown::contains);
  }

  @Test
  void theConfiguredNamesAreReadWithDashes() {
    assertEquals(ConfirmationPolicy.SUCCESSOR, ConfirmationPolicy.fromConfig("successor"));
    assertEquals(ConfirmationPolicy.ANY_OTHER, ConfirmationPolicy.fromConfig("any-other"));
    assertEquals(ConfirmationPolicy.ALL, ConfirmationPolicy.fromConfig("ALL"));
    assertThrows(IllegalArgumentException.class, () -> ConfirmationPolicy.fromConfig("majority"));
  }

  @Test
  void theSuccessorPolicyAsksTheFirstSuccessorNotDeclaredDown() {
    assertEquals(List.of("eu"), confirmers(ConfirmationPolicy.SUCCESSOR, "us", Set.of()));
    assertEquals(List.of("ap"), confirmers(ConfirmationPolicy.SUCCESSOR, "us", Set.of("eu")));
    assertEquals(List.of(), confirmers(ConfirmationPolicy.SUCCESSOR, "us", Set.of("eu", "ap")));
  }

  @Test
  void anyOtherAndAllAskEveryOtherRegionNotDeclaredDown() {
    assertEquals(List.of("eu", "ap"), confirmers(ConfirmationPolicy.ANY_OTHER, "us", Set.of()));
    assertEquals(List.of("us", "ap"), confirmers(ConfirmationPolicy.ALL, "eu", Set.of()));
    assertEquals(List.of("us"), confirmers(ConfirmationPolicy.ALL, "eu", Set.of("ap")));
  }

  @Test
  void oneConfirmationIsDurableUnlessThePolicyIsAll() {
    assertTrue(
        new Confirmation(ConfirmationPolicy.SUCCESSOR, List.of("eu"), List.of("eu")).durable());
    assertTrue(
        new Confirmation(ConfirmationPolicy.ANY_OTHER, List.of("eu", "ap"), List.of("ap"))
            .durable());
    assertFalse(
        new Confirmation(ConfirmationPolicy.ALL, List.of("eu", "ap"), List.of("ap")).durable());
    assertTrue(
        new Confirmation(ConfirmationPolicy.ALL, List.of("eu", "ap"), List.of("ap", "eu"))
            .durable());
  }

  @Test
  void noConfirmationIsNeverDurableEvenWithNobodyToAsk() {
    assertFalse(new Confirmation(ConfirmationPolicy.SUCCESSOR, List.of("eu"), List.of()).durable());
    assertFalse(new Confirmation(ConfirmationPolicy.ALL, List.of(), List.of()).durable());
  }

  @Test
  void theMissingRegionsAreNamedForTheClient() {
    assertEquals(
        "region(s) eu, ap",
        new Confirmation(ConfirmationPolicy.ALL, List.of("eu", "ap"), List.of()).missing());
    assertEquals(
        "region(s) ap",
        new Confirmation(ConfirmationPolicy.ALL, List.of("eu", "ap"), List.of("eu")).missing());
    assertEquals(
        "no other region",
        new Confirmation(ConfirmationPolicy.SUCCESSOR, List.of(), List.of()).missing());
  }
}
