package io.meridian.user;

import io.meridian.serialization.CborSerializable;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * The Idempotency-Keys of a user's newest keyed writes (docs/api.md, "Idempotency"), as every
 * replica keeps them: key to the {@link Use} that counts. Replicated with the user's events (each
 * keyed event carries its {@link RequestKey}), so a retry that reaches another region, or the new
 * owner after a failover, finds the key; merged by fixed rules, so replicas that applied the same
 * events hold the same keys whatever the order (UserMergePropertiesTest):
 *
 * <ul>
 *   <li>two uses of one key (a retry that two regions accepted before either saw the other's event)
 *       are one: the use first by {@link #PRECEDENCE} counts, and a points write counts only that
 *       use's delta ({@link Applied#pointsDelta}), so a retried points write is added once;
 *   <li>at most {@link #MAX_KEYS} keys: the newest by the time of their write (then by key). A key
 *       older than the newest {@value #MAX_KEYS} is forgotten, and a retry with it is applied
 *       again: the window a client has to retry is that many keyed writes of the user.
 * </ul>
 *
 * <p>Stored in the user's state (a record of its own so that a state without keys reads as {@link
 * #EMPTY}); never changes the user's document.
 */
public record IdempotencyKeys(Map<String, Use> uses) implements CborSerializable {

  /** The keys remembered per user. */
  public static final int MAX_KEYS = 100;

  public static final IdempotencyKeys EMPTY = new IdempotencyKeys(Map.of());

  public IdempotencyKeys {
    uses = uses == null ? Map.of() : Map.copyOf(uses);
  }

  /**
   * One keyed write: the digest of its request ({@link RequestKey#digest}), when it was decided
   * (its event's {@code at}), and the points it added (0 for any other write). Two uses equal in
   * all three are the same write as far as the state is concerned.
   */
  public record Use(String digest, long at, long points) implements CborSerializable {}

  /** Which of two uses of one key counts: the earlier, then a fixed order of the other fields. */
  static final Comparator<Use> PRECEDENCE =
      Comparator.comparingLong(Use::at).thenComparing(Use::digest).thenComparingLong(Use::points);

  /** The keys after a keyed event, and the points it adds to the counter (0: none, or a repeat). */
  record Applied(IdempotencyKeys keys, long pointsDelta) {}

  /** The use that counts for {@code key}, or null if the key is not remembered. */
  public Use get(String key) {
    return uses.get(key);
  }

  /**
   * {@code key} used by an event ({@code use}): remembered, unless a use that counts before it is;
   * when it replaces a use of the same key, the points delta is the difference, so the counter
   * holds the delta of the one use that counts.
   */
  Applied apply(String key, Use use) {
    Use current = uses.get(key);
    if (current != null && PRECEDENCE.compare(use, current) >= 0) return new Applied(this, 0);
    long delta = use.points() - (current == null ? 0 : current.points());
    var updated = new HashMap<>(uses);
    updated.put(key, use);
    while (updated.size() > MAX_KEYS) updated.remove(oldest(updated));
    return new Applied(new IdempotencyKeys(updated), delta);
  }

  private static String oldest(Map<String, Use> uses) {
    String oldest = null;
    for (var entry : uses.entrySet()) {
      if (oldest == null) {
        oldest = entry.getKey();
        continue;
      }
      Use o = uses.get(oldest);
      int byTime = Long.compare(entry.getValue().at(), o.at());
      if (byTime < 0 || (byTime == 0 && entry.getKey().compareTo(oldest) < 0))
        oldest = entry.getKey();
    }
    return oldest;
  }
}
