package io.meridian.user;

import io.meridian.topology.Regions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A user's ownership changes as its events tell them (issue 16, {@code GET
 * /v1/users/{id}/ownership}): each {@link User.UserCreated}, {@link User.OwnershipTransferred} and
 * {@link User.OwnershipSeized} is one {@link Change}, with the reason, the region that decided it
 * and how long it took. Pure functions over events, so the history needs no state of its own: the
 * events are the history (docs/decisions.md, "Ownership history from the journals").
 */
public final class OwnershipHistory {
  private OwnershipHistory() {}

  /** Why the owner changed; {@link #wireName} is what events, JSON, logs and metrics carry. */
  public enum Reason {
    CREATED,
    PLANNED_MOVE,
    SEIZED_AFTER_DOWN,
    HANDED_BACK,
    /** A follow-the-sun hand-off, or a user joining a cohort (docs/follow-the-sun.md). */
    SCHEDULE;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One ownership change.
   *
   * @param from the owner before (null for a creation)
   * @param home the home region after the change
   * @param decidedBy the region whose replica decided and persisted the change: the home for a
   *     creation, the old owner for a move or hand-back, the new owner for a seizure
   * @param at when it was decided (the deciding replica's clock, ms)
   * @param tookMillis from the request (a move asked for, the old owner declared down, the home
   *     declared up again) to the decision; null when the event does not say when it was asked
   * @param detail free text the event carries (a seizure's reason), or null
   */
  public record Change(
      String from,
      String to,
      String home,
      long epoch,
      String reason,
      String decidedBy,
      long at,
      Long tookMillis,
      String detail) {}

  /** A change one region's replica applied, as the node publishes it on its event stream. */
  public record Applied(String userId, String appliedIn, String owner, Change change) {}

  /**
   * The change {@code event} stands for, or null if it is no ownership event. {@code homeBefore}:
   * the home before this event (infers the reason of a transfer persisted before events said it).
   */
  public static Change changeOf(User.Event event, String homeBefore) {
    if (event instanceof User.UserCreated e)
      return new Change(
          null,
          e.homeRegion(),
          e.homeRegion(),
          1,
          Reason.CREATED.wireName(),
          e.homeRegion(),
          e.at(),
          null,
          null);
    if (event instanceof User.OwnershipTransferred e) {
      String reason =
          e.reason() != null
              ? e.reason()
              : e.to().equals(e.home()) && e.home().equals(homeBefore)
                  ? Reason.HANDED_BACK.wireName()
                  : Reason.PLANNED_MOVE.wireName();
      return new Change(
          e.from(),
          e.to(),
          e.home(),
          e.epoch(),
          reason,
          e.from(),
          e.at(),
          took(e.requestedAt(), e.at()),
          null);
    }
    if (event instanceof User.OwnershipSeized e)
      return new Change(
          e.from(),
          e.to(),
          e.home() != null ? e.home() : homeBefore,
          e.epoch(),
          Reason.SEIZED_AFTER_DOWN.wireName(),
          e.to(),
          e.at(),
          took(e.requestedAt(), e.at()),
          e.reason());
    return null;
  }

  private static Long took(Long requestedAt, long at) {
    return requestedAt == null ? null : Math.max(0, at - requestedAt);
  }

  /**
   * Every ownership change among {@code events} (any order, duplicates allowed: the same event read
   * from several journals counts once), oldest first: by epoch, and at one epoch (concurrent
   * claims) the claim that wins the merge last, as {@link UserState.Ownership#merge} orders them.
   */
  public static List<Change> of(List<User.Event> events, Regions regions) {
    List<User.Event> distinct = events.stream().distinct().toList();
    List<User.Event> ordered = new ArrayList<>(distinct);
    ordered.sort(Comparator.comparingLong(OwnershipHistory::epochOf));
    List<Change> changes = new ArrayList<>();
    String home = null;
    for (User.Event event : ordered) {
      Change change = changeOf(event, home);
      if (change == null) continue;
      changes.add(change);
      home = change.home();
    }
    changes.sort(
        Comparator.comparingLong(Change::epoch)
            .thenComparing(
                (Change c) -> regions.contains(c.to()) ? -regions.rank(c.to()) : Integer.MIN_VALUE)
            .thenComparing(
                (Change c) ->
                    c.home() != null && regions.contains(c.home())
                        ? -regions.rank(c.home())
                        : Integer.MIN_VALUE)
            .thenComparingLong(Change::at));
    return changes;
  }

  /** The owner the changes leave: the last of {@link #of}'s order (the merge's winner). */
  public static String ownerAfter(List<Change> changes) {
    return changes.isEmpty() ? null : changes.get(changes.size() - 1).to();
  }

  private static long epochOf(User.Event event) {
    if (event instanceof User.UserCreated) return 1;
    if (event instanceof User.OwnershipTransferred e) return e.epoch();
    if (event instanceof User.OwnershipSeized e) return e.epoch();
    return Long.MAX_VALUE;
  }
}
