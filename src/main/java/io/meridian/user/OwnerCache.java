package io.meridian.user;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway's memory of which region owns a user, so that a single-writer command goes straight
 * to the owner's replica instead of first asking the local one only to learn {@link User.NotOwner}.
 * A hint, never the truth: whatever the replica it was sent to answers corrects it (a {@code
 * NotOwner} is followed as without the cache). Bounded, least recently used first out; forgotten
 * entirely whenever a region's status changes (a failover or a return), and per user when a command
 * sent on it fails.
 */
final class OwnerCache {

  static final int DEFAULT_CAPACITY = 10_000;

  private final LinkedHashMap<String, String> owners;
  private long generation;

  OwnerCache(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be positive: " + capacity);
    this.owners =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The region last seen owning the user, if remembered. */
  synchronized Optional<String> ownerOf(String userId) {
    return Optional.ofNullable(owners.get(userId));
  }

  /** Changes at every {@link #clear()}: a command learns only if none happened since it began. */
  synchronized long generation() {
    return generation;
  }

  /**
   * Learns from the reply to a single-writer command begun at {@code since} (a {@link
   * #generation()}): the owner an {@code Accepted} view names, the owner a {@code NotOwner} points
   * to; an unknown user is forgotten; other replies change nothing. A reply to a command begun
   * before the last {@link #clear()} may predate a failover and teaches nothing.
   */
  synchronized void learn(String userId, User.Reply reply, long since) {
    if (since != generation) return;
    if (reply instanceof User.Accepted accepted) remember(userId, accepted.user().owner());
    else if (reply instanceof User.NotOwner notOwner) remember(userId, notOwner.owner());
    else if (reply instanceof User.Rejected rejected
        && rejected.reason() == User.Reason.UNKNOWN_USER) forget(userId);
  }

  synchronized void remember(String userId, String owner) {
    if (owner != null) owners.put(userId, owner);
  }

  synchronized void forget(String userId) {
    owners.remove(userId);
  }

  synchronized void clear() {
    generation++;
    owners.clear();
  }

  synchronized int size() {
    return owners.size();
  }
}
