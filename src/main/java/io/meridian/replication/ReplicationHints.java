package io.meridian.replication;

import io.meridian.metrics.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * This node's switchboard between incoming {@link Hint}s and the live replication streams of {@link
 * HintedReadJournal} that run here, by persistence id, plus the replication metrics.
 *
 * <p>A hint that finds no stream (the replica is still recovering, so its streams have not started)
 * is kept as pending, and the stream that registers for that persistence id starts with it as its
 * target: otherwise a hint that raced the replica's start, for a row not yet readable in this data
 * center, would wait for the safety poll. Pending hints are bounded: forgetting one costs latency
 * only.
 */
public final class ReplicationHints implements Extension {

  private static final ExtensionId<ReplicationHints> ID =
      new ExtensionId<>() {
        @Override
        public ReplicationHints createExtension(ActorSystem<?> system) {
          return new ReplicationHints(Metrics.get(system).registry());
        }
      };

  public static ReplicationHints get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  static final int MAX_PENDING = 10_000;

  private final Map<String, Set<LongConsumer>> streams = new ConcurrentHashMap<>();
  private final Map<String, Long> pending =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
          return size() > MAX_PENDING;
        }
      };
  private final MeterRegistry registry;
  private final Counter hintsReceived;
  private final Counter hintsWithoutStream;

  private ReplicationHints(MeterRegistry registry) {
    this.registry = registry;
    this.hintsReceived =
        Counter.builder("meridian_replication_hints_received")
            .description("Hints received from other regions' replicas")
            .register(registry);
    this.hintsWithoutStream =
        Counter.builder("meridian_replication_hints_pending")
            .description(
                "Hints that arrived before the replica's stream started (kept as its first target)")
            .register(registry);
    Gauge.builder(
            "meridian_replication_live_streams",
            streams,
            s -> s.values().stream().mapToInt(Set::size).sum())
        .description(
            "Live replication streams on this node (two per live replica with three regions)")
        .register(registry);
  }

  /**
   * Wakes the streams reading {@code hint.persistenceId()} here, or keeps the hint for the stream
   * that starts next.
   */
  public void deliver(Hint hint) {
    hintsReceived.increment();
    Set<LongConsumer> listeners = streams.get(hint.persistenceId());
    if (listeners == null || listeners.isEmpty()) {
      hintsWithoutStream.increment();
      synchronized (pending) {
        pending.merge(hint.persistenceId(), hint.sequenceNr(), Math::max);
      }
      return;
    }
    for (LongConsumer listener : listeners) listener.accept(hint.sequenceNr());
  }

  /**
   * Makes every live stream here that reads a journal of {@code region} read it now (once): after a
   * partition heals, the hints sent during it are lost, and the streams would otherwise wait for
   * the safety poll.
   */
  public void wakeAllReading(String region) {
    String suffix = "|" + region;
    int woken = 0;
    for (var entry : streams.entrySet()) {
      if (!entry.getKey().endsWith(suffix)) continue;
      for (LongConsumer listener : entry.getValue()) listener.accept(0);
      woken++;
    }
    if (woken > 0)
      Counter.builder("meridian_replication_wakeups")
          .tag("reason", "reachable")
          .register(registry)
          .increment(woken);
  }

  /**
   * Makes every live stream here read now, once: this node's region was declared down and is up
   * again, and no region sent it hints meanwhile.
   */
  public void wakeAll() {
    int woken = 0;
    for (Set<LongConsumer> listeners : streams.values()) {
      for (LongConsumer listener : listeners) listener.accept(0);
      woken++;
    }
    if (woken > 0)
      Counter.builder("meridian_replication_wakeups")
          .tag("reason", "declared-up")
          .register(registry)
          .increment(woken);
  }

  /**
   * Makes the live streams reading {@code persistenceId} here read it now, once (a poke: no
   * sequence number known).
   */
  public void poke(String persistenceId) {
    Set<LongConsumer> listeners = streams.get(persistenceId);
    if (listeners == null) return;
    for (LongConsumer listener : listeners) listener.accept(0);
    Counter.builder("meridian_replication_wakeups")
        .tag("reason", "awaited")
        .register(registry)
        .increment();
  }

  /**
   * A stream's registration: the newest hint that arrived before it (0 if none), and how to leave.
   */
  record Registration(long pendingSequenceNr, Runnable cancel) {}

  Registration register(String persistenceId, LongConsumer listener) {
    streams.computeIfAbsent(persistenceId, id -> ConcurrentHashMap.newKeySet()).add(listener);
    Long hinted;
    synchronized (pending) {
      hinted = pending.remove(persistenceId);
    }
    return new Registration(
        hinted == null ? 0 : hinted,
        () ->
            streams.computeIfPresent(
                persistenceId,
                (id, set) -> {
                  set.remove(listener);
                  return set.isEmpty() ? null : set;
                }));
  }

  /**
   * Replicas waiting for the first read of a stream of theirs, oldest first, by persistence id
   * read.
   */
  private final Map<String, java.util.Queue<CompletableFuture<Long>>> firstReads =
      new ConcurrentHashMap<>();

  /**
   * Completes with the number of the origin's own events delivered by the first read of the next
   * stream to start for {@code persistenceId} (a replica calls this when its recovery completed,
   * before Pekko starts its streams), or fails after {@code timeout}. In production a node runs one
   * replica of a user (it is in one region); tests that run several in one system are served in
   * order.
   */
  public CompletionStage<Long> awaitFirstRead(String persistenceId, Duration timeout) {
    var firstRead = new CompletableFuture<Long>();
    firstReads
        .computeIfAbsent(persistenceId, id -> new java.util.concurrent.ConcurrentLinkedQueue<>())
        .add(firstRead);
    firstRead
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((events, failure) -> forget(persistenceId, firstRead));
    return firstRead;
  }

  private void forget(String persistenceId, CompletableFuture<Long> firstRead) {
    firstReads.computeIfPresent(
        persistenceId,
        (id, waiting) -> {
          waiting.remove(firstRead);
          return waiting.isEmpty() ? null : waiting;
        });
  }

  void firstReadDone(String persistenceId, long originEvents) {
    var waiting = firstReads.get(persistenceId);
    CompletableFuture<Long> firstRead = waiting == null ? null : waiting.poll();
    if (firstRead != null) firstRead.complete(originEvents);
  }

  int liveStreams(String persistenceId) {
    Set<LongConsumer> listeners = streams.get(persistenceId);
    return listeners == null ? 0 : listeners.size();
  }

  // ------------------------------------------------------------------ metrics

  /** Why a stream read the journal. */
  enum Trigger {
    START,
    HINT,
    BACKOFF,
    MORE,
    SAFETY_POLL
  }

  /**
   * Built once per trigger: read() runs for every journal read (Micrometer's lookup is not free).
   */
  private final java.util.Map<Trigger, Counter> readsByTrigger =
      new java.util.EnumMap<>(Trigger.class);

  private Counter eventsRead;

  private synchronized Counter readsCounter(Trigger trigger) {
    return readsByTrigger.computeIfAbsent(
        trigger,
        t ->
            Counter.builder("meridian_replication_reads")
                .description(
                    "Journal reads of replication streams, by what triggered them (one read each)")
                .tag("trigger", t.name().toLowerCase())
                .register(registry));
  }

  private synchronized Counter eventsReadCounter() {
    if (eventsRead == null) {
      eventsRead =
          Counter.builder("meridian_replication_events_read")
              .description("Events read by replication streams")
              .register(registry);
    }
    return eventsRead;
  }

  void read(Trigger trigger, int events) {
    readsCounter(trigger).increment();
    if (events > 0) eventsReadCounter().increment(events);
  }

  void safetyPoll() {
    Counter.builder("meridian_replication_safety_polls")
        .description("Safety polls of replication streams (catch lost hints)")
        .register(registry)
        .increment();
  }

  void hintUnsatisfied() {
    Counter.builder("meridian_replication_hints_unsatisfied")
        .description(
            "Hinted sequence numbers still unreadable after the whole back-off (the safety poll will read them)")
        .register(registry)
        .increment();
  }

  private final java.util.concurrent.ConcurrentHashMap<String, Counter> hintsSentTo =
      new java.util.concurrent.ConcurrentHashMap<>();

  void hintSent(String toRegion) {
    hintsSentTo
        .computeIfAbsent(
            toRegion,
            region ->
                Counter.builder("meridian_replication_hints_sent")
                    .tag("to", region)
                    .register(registry))
        .increment();
  }
}
