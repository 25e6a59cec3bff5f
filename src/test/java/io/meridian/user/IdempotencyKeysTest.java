package io.meridian.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The merge rule of the Idempotency-Keys ({@link IdempotencyKeys}): replicas that applied the same
 * keyed events hold the same keys and count the same points, whatever the order, as long as no key
 * fell out of the window between two uses of it.
 */
class IdempotencyKeysTest {

  /** One keyed event as a replica applies it. */
  record KeyedEvent(String key, IdempotencyKeys.Use use) {}

  private record Result(IdempotencyKeys keys, long points) {}

  private static Result applyAll(List<KeyedEvent> events) {
    IdempotencyKeys keys = IdempotencyKeys.EMPTY;
    long points = 0;
    for (KeyedEvent event : events) {
      IdempotencyKeys.Applied applied = keys.apply(event.key(), event.use());
      keys = applied.keys();
      points += applied.pointsDelta();
    }
    return new Result(keys, points);
  }

  @Provide
  Arbitrary<List<KeyedEvent>> retries() {
    // Few keys, so the same key comes up again (a retry, in this region or another); fewer keys
    // than
    // the window, so none is forgotten.
    Arbitrary<KeyedEvent> event =
        Combinators.combine(
                Arbitraries.of("k1", "k2", "k3", "k4"),
                Arbitraries.of("d1", "d2"),
                Arbitraries.longs().between(0, 20),
                Arbitraries.longs().between(-5, 5))
            .as(
                (key, digest, at, points) ->
                    new KeyedEvent(key, new IdempotencyKeys.Use(digest, at, points)));
    return event.list().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 300)
  void anyOrderGivesTheSameKeysAndPoints(
      @ForAll("retries") List<KeyedEvent> events, @ForAll long seed) {
    List<KeyedEvent> shuffled = new ArrayList<>(events);
    Collections.shuffle(shuffled, new Random(seed));
    assertEquals(applyAll(events), applyAll(shuffled));
  }

  @Property(tries = 100)
  void applyingAnEventTwiceChangesNothing(@ForAll("retries") List<KeyedEvent> events) {
    List<KeyedEvent> twice = new ArrayList<>(events);
    twice.addAll(events);
    assertEquals(applyAll(events), applyAll(twice));
  }

  @Property(tries = 100)
  void pointsAreTheSumOfTheUseThatCountsPerKey(@ForAll("retries") List<KeyedEvent> events) {
    Result result = applyAll(events);
    long expected =
        result.keys().uses().values().stream().mapToLong(IdempotencyKeys.Use::points).sum();
    assertEquals(expected, result.points());
  }

  @Test
  void aRetryOfAPointsWriteIsCountedOnce() {
    var first = new IdempotencyKeys.Use("d", 10, 5);
    var retryElsewhere = new IdempotencyKeys.Use("d", 12, 5);
    assertEquals(
        5,
        applyAll(List.of(new KeyedEvent("k", first), new KeyedEvent("k", retryElsewhere)))
            .points());
    assertEquals(
        5,
        applyAll(List.of(new KeyedEvent("k", retryElsewhere), new KeyedEvent("k", first)))
            .points());
  }

  @Test
  void onlyTheNewestKeysAreKeptWhateverTheOrder() {
    List<KeyedEvent> events = new ArrayList<>();
    for (int i = 0; i < IdempotencyKeys.MAX_KEYS + 20; i++)
      events.add(new KeyedEvent("k" + i, new IdempotencyKeys.Use("d", i, 1)));
    Result inOrder = applyAll(events);
    List<KeyedEvent> reversed = new ArrayList<>(events);
    Collections.reverse(reversed);
    assertEquals(inOrder.keys(), applyAll(reversed).keys());
    assertEquals(IdempotencyKeys.MAX_KEYS, inOrder.keys().uses().size());
    assertNull(inOrder.keys().get("k0"), "the oldest are forgotten");
    assertEquals(IdempotencyKeys.MAX_KEYS + 20, inOrder.points(), "every write counted once");
  }
}
