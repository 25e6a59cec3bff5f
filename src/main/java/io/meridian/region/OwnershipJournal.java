package io.meridian.region;

import io.meridian.topology.Regions;
import io.meridian.user.OwnershipHistory;
import io.meridian.user.User;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.persistence.typed.ReplicaId;
import org.apache.pekko.persistence.typed.ReplicationId;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the journals say about ownership, for the operator (issue 16): a user's ownership history
 * ({@link #history}), read from the events themselves, and how many users each region owns ({@link
 * #census}), counted from this region's journal. Reads only; nothing here changes a user.
 *
 * <p>The history reads the user's events from every region's journal (each region's replica
 * persists its own events and the ones it replicated; the same event read twice counts once), so it
 * is complete even when this region's replica has not run since a change elsewhere. The census
 * reads this region's journal only: the users this region's replicas have persisted and the owner
 * their events leave; it costs one journal read per user, so it runs at most once per {@code
 * meridian.console.census-interval}, only when someone asks, and stops at {@code census-max-users}.
 */
public final class OwnershipJournal {
  private static final Logger log = LoggerFactory.getLogger(OwnershipJournal.class);

  /** Owned users per region, as of {@code countedAt}; {@code complete} false past the cap. */
  public record Census(
      Map<String, Long> ownedUsers, long users, long countedAt, long tookMillis, boolean complete) {
    static final Census NONE = new Census(Map.of(), 0, 0, 0, true);
  }

  private final ActorSystem<?> system;
  private final Regions regions;
  private final String ownRegion;
  private final Function<String, String> queryPluginOf;
  private final Duration censusInterval;
  private final int censusMaxUsers;
  private final Duration readTimeout;
  private final AtomicReference<Census> lastCensus = new AtomicReference<>(Census.NONE);
  private final AtomicBoolean counting = new AtomicBoolean();
  private volatile CompletableFuture<Census> running = CompletableFuture.completedFuture(null);

  /**
   * @param queryPluginOf the id of the query plugin that reads a region's journal (given by the
   *     node's composition, as for {@link Rehoming})
   */
  public OwnershipJournal(
      ActorSystem<?> system,
      Regions regions,
      String ownRegion,
      Function<String, String> queryPluginOf) {
    this.system = system;
    this.regions = regions;
    this.ownRegion = ownRegion;
    this.queryPluginOf = queryPluginOf;
    var console = system.settings().config().getConfig("meridian.console");
    this.censusInterval = console.getDuration("census-interval");
    this.censusMaxUsers = console.getInt("census-max-users");
    this.readTimeout = console.getDuration("journal-read-timeout");
  }

  /**
   * Every ownership change of {@code userId}, oldest first; empty if no journal has the user. A
   * journal that cannot be read in time (its region's Cassandra away) is left out and named in the
   * log.
   */
  public CompletionStage<List<OwnershipHistory.Change>> history(String userId) {
    List<CompletableFuture<List<User.Event>>> reads = new ArrayList<>();
    for (String region : regions.names()) reads.add(eventsIn(region, userId, true));
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored -> {
              List<User.Event> all = new ArrayList<>();
              reads.forEach(read -> all.addAll(read.join()));
              return OwnershipHistory.of(all, regions);
            });
  }

  /**
   * The newest census; starts a new one in the background when the last is older than the census
   * interval (the answer is then the previous one).
   */
  public Census census() {
    Census last = lastCensus.get();
    if (System.currentTimeMillis() - last.countedAt() >= censusInterval.toMillis()
        && counting.compareAndSet(false, true)) {
      running =
          count()
              .whenComplete(
                  (census, failure) -> {
                    if (census != null) lastCensus.set(census);
                    else log.warn("census of region={} failed: {}", ownRegion, failure.toString());
                    counting.set(false);
                  })
              .toCompletableFuture();
    }
    return last;
  }

  /** A census counted from now (for a drill's before and after). */
  public CompletionStage<Census> freshCensus() {
    CompletableFuture<Census> current = running;
    return current
        .handle((ignored, failure) -> null)
        .thenCompose(
            ignored ->
                count()
                    .thenApply(
                        census -> {
                          lastCensus.set(census);
                          return census;
                        }));
  }

  private CompletionStage<Census> count() {
    long start = System.currentTimeMillis();
    CurrentPersistenceIdsQuery ids =
        PersistenceQuery.get(Adapter.toClassic(system))
            .getReadJournalFor(CurrentPersistenceIdsQuery.class, queryPluginOf.apply(ownRegion));
    String suffix = "|" + ownRegion;
    String prefix = User.ENTITY_TYPE + "|";
    return ids.currentPersistenceIds()
        .filter(id -> id.startsWith(prefix) && id.endsWith(suffix))
        .map(id -> id.substring(prefix.length(), id.length() - suffix.length()))
        .take(censusMaxUsers + 1L)
        .mapAsyncUnordered(
            4,
            userId ->
                eventsIn(ownRegion, userId, false)
                    .thenApply(
                        events ->
                            OwnershipHistory.ownerAfter(OwnershipHistory.of(events, regions))))
        .runWith(
            Sink.fold(
                new TreeMap<String, Long>(),
                (counts, owner) -> {
                  counts.merge(owner == null ? "" : owner, 1L, Long::sum);
                  return counts;
                }),
            system)
        .thenApply(
            counts -> {
              long users = counts.values().stream().mapToLong(Long::longValue).sum();
              counts.remove("");
              var owned = new TreeMap<String, Long>();
              for (String region : regions.names())
                owned.put(region, counts.getOrDefault(region, 0L));
              return new Census(
                  Map.copyOf(owned),
                  Math.min(users, censusMaxUsers),
                  System.currentTimeMillis(),
                  System.currentTimeMillis() - start,
                  users <= censusMaxUsers);
            });
  }

  /** The ownership events of {@code userId}'s replica in {@code region}'s journal. */
  private CompletableFuture<List<User.Event>> eventsIn(
      String region, String userId, boolean tolerateFailure) {
    String persistenceId =
        ReplicationId.apply(User.ENTITY_TYPE, userId, new ReplicaId(region)).persistenceId().id();
    CurrentEventsByPersistenceIdQuery journal =
        PersistenceQuery.get(Adapter.toClassic(system))
            .getReadJournalFor(
                CurrentEventsByPersistenceIdQuery.class, queryPluginOf.apply(region));
    CompletableFuture<List<User.Event>> read =
        journal
            .currentEventsByPersistenceId(persistenceId, 0L, Long.MAX_VALUE)
            .map(EventEnvelope::event)
            .filter(
                event ->
                    event instanceof User.UserCreated
                        || event instanceof User.OwnershipTransferred
                        || event instanceof User.OwnershipSeized)
            .map(event -> (User.Event) event)
            .completionTimeout(readTimeout)
            .runWith(Sink.seq(), system)
            .toCompletableFuture();
    if (!tolerateFailure) return read;
    return read.exceptionally(
        failure -> {
          log.info(
              "ownership history of user={}: journal of region={} unreadable: {}",
              userId,
              region,
              failure.toString());
          return List.of();
        });
  }
}
