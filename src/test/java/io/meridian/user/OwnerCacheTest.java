package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The gateway's owner cache: what a reply teaches it, what it forgets, and that a region's status
 * change leaves nothing behind, not even what a command begun before it answers afterwards.
 */
class OwnerCacheTest {

  private static User.Reply acceptedOwnedBy(String owner) {
    return new User.Accepted(
        new User.View(
            "u-1", owner, owner, 1, Map.of(), 0, List.of(), BigDecimal.ZERO, false, Map.of()));
  }

  @Test
  void anAcceptedReplyTeachesTheOwnerItsViewNames() {
    var cache = new OwnerCache(10);
    cache.learn("u-1", acceptedOwnedBy("eu"), cache.generation());
    assertEquals(Optional.of("eu"), cache.ownerOf("u-1"));
  }

  @Test
  void aNotOwnerReplyReplacesTheRememberedOwner() {
    var cache = new OwnerCache(10);
    cache.remember("u-1", "eu");
    cache.learn("u-1", new User.NotOwner("ap", 2), cache.generation());
    assertEquals(Optional.of("ap"), cache.ownerOf("u-1"));
  }

  @Test
  void anUnknownUserIsForgottenAndOtherRefusalsChangeNothing() {
    var cache = new OwnerCache(10);
    cache.remember("u-1", "eu");
    cache.learn(
        "u-1", new User.Rejected(User.Reason.INSUFFICIENT_FUNDS, "balance 0"), cache.generation());
    assertEquals(Optional.of("eu"), cache.ownerOf("u-1"));
    cache.learn("u-1", new User.Rejected(User.Reason.UNKNOWN_USER, "no"), cache.generation());
    assertEquals(Optional.empty(), cache.ownerOf("u-1"));
  }

  @Test
  void aRegionStatusChangeForgetsEveryOwner() {
    var cache = new OwnerCache(10);
    cache.remember("u-1", "eu");
    cache.remember("u-2", "ap");
    cache.clear();
    assertEquals(Optional.empty(), cache.ownerOf("u-1"));
    assertEquals(Optional.empty(), cache.ownerOf("u-2"));
    assertEquals(0, cache.size());
  }

  @Test
  void aReplyToACommandBegunBeforeAStatusChangeTeachesNothing() {
    var cache = new OwnerCache(10);
    long before = cache.generation();
    cache.clear(); // eu declared down while the command was under way
    cache.learn("u-1", acceptedOwnedBy("eu"), before);
    assertEquals(Optional.empty(), cache.ownerOf("u-1"));
    cache.learn("u-1", acceptedOwnedBy("us"), cache.generation());
    assertEquals(Optional.of("us"), cache.ownerOf("u-1"));
  }

  @Test
  void boundedTheLeastRecentlyUsedGoesFirst() {
    var cache = new OwnerCache(2);
    cache.remember("u-1", "eu");
    cache.remember("u-2", "eu");
    cache.ownerOf("u-1"); // used: u-2 is now the eldest
    cache.remember("u-3", "ap");
    assertEquals(2, cache.size());
    assertEquals(Optional.of("eu"), cache.ownerOf("u-1"));
    assertEquals(Optional.empty(), cache.ownerOf("u-2"));
    assertEquals(Optional.of("ap"), cache.ownerOf("u-3"));
  }

  @Test
  void aFailedCommandForgetsItsUser() {
    var cache = new OwnerCache(10);
    cache.remember("u-1", "eu");
    cache.forget("u-1");
    assertEquals(Optional.empty(), cache.ownerOf("u-1"));
  }

  @Test
  void capacityMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new OwnerCache(0));
  }
}
