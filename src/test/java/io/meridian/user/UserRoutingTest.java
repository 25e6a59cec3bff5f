package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meridian.user.UserGateway.Route;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Where a single-writer command goes, as a function of what this node sees. The regression this
 * holds: right after an operator declared eu down through us, ap (whose directory has not learned
 * it yet, but which no longer sees eu's downed members) answered 503 region_unavailable for eu's
 * users, while us already served them; ap now routes to eu's successor, which decides.
 */
class UserRoutingTest {

  /**
   * What a node sees: regions it can send to, regions it has declared down, and the successor it
   * would pick.
   */
  private record Seen(Set<String> available, Set<String> declaredDown, Optional<String> successor)
      implements RegionAvailability {
    @Override
    public boolean isAvailable(String region) {
      return available.contains(region);
    }

    @Override
    public boolean isDeclaredDown(String region) {
      return declaredDown.contains(region);
    }

    @Override
    public Optional<String> takeoverFor(String owner) {
      return successor;
    }
  }

  @Test
  void aServingOwnerGetsTheCommand() {
    var seen = new Seen(Set.of("us", "eu", "ap"), Set.of(), Optional.of("us"));
    assertEquals(new Route.ToOwner("eu"), UserGateway.route("eu", seen));
  }

  @Test
  void aNodeThatHasNotLearnedOfTheDownYetRoutesToTheSuccessorOnceTheOwnerIsGoneFromItsView() {
    var apBeforeItLearns = new Seen(Set.of("us", "ap"), Set.of(), Optional.of("us"));
    assertEquals(new Route.ViaSuccessor("eu", "us"), UserGateway.route("eu", apBeforeItLearns));
  }

  @Test
  void aRegionDeclaredDownIsNotSentToEvenWhenReachable() {
    var onItsWayBack = new Seen(Set.of("us", "eu", "ap"), Set.of("eu"), Optional.of("us"));
    assertEquals(new Route.ViaSuccessor("eu", "us"), UserGateway.route("eu", onItsWayBack));
  }

  @Test
  void withoutASuccessorTheOwnerIsUnavailable() {
    var alone = new Seen(Set.of("ap"), Set.of("eu"), Optional.empty());
    assertEquals(new Route.Unavailable("eu"), UserGateway.route("eu", alone));
  }
}
