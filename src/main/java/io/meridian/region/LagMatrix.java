package io.meridian.region;

import io.meridian.metrics.Metrics;
import io.meridian.serialization.CborSerializable;
import io.meridian.topology.Regions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * The replication lag matrix of the console (issue 16): every node publishes its row (the newest
 * lag from each origin region to it, {@link Metrics#lastLagMillis}) into Distributed Data with a
 * local write every {@link #PUBLISH_EVERY}, gossip spreads the rows, and every node can show every
 * region's row without asking anyone. A row is the region's worst node; a row older than {@link
 * #STALE_AFTER} is left out (its region is away). The node also keeps the matrix of the last {@link
 * #HISTORY} for the console's chart.
 */
public final class LagMatrix {

  /** One node's row: its region and lag (ms) per origin region, published at {@code at}. */
  public record Row(String region, Map<String, Long> lagMillis, long at)
      implements CborSerializable {}

  /** The matrix at {@code at}: reading region → origin region → lag (ms). */
  public record Sample(long at, Map<String, Map<String, Long>> lagMillis) {}

  static final Key<LWWMap<String, Row>> KEY = LWWMapKey.create("meridian-lag-matrix");
  static final Duration PUBLISH_EVERY = Duration.ofSeconds(2);
  static final Duration STALE_AFTER = Duration.ofSeconds(15);
  static final Duration HISTORY = Duration.ofMinutes(5);

  private static final java.util.concurrent.atomic.AtomicInteger INSTANCES =
      new java.util.concurrent.atomic.AtomicInteger();

  private final Regions regions;
  private final AtomicReference<Map<String, Row>> rows = new AtomicReference<>(Map.of());
  private final Deque<Sample> history = new ArrayDeque<>();

  private LagMatrix(Regions regions) {
    this.regions = regions;
  }

  public static LagMatrix start(ActorSystem<?> system, Regions regions, String ownRegion) {
    var matrix = new LagMatrix(regions);
    // A node may build more than one API on its actor system (tests bind a second one with other
    // settings): each gets a publisher of its own, which publish the same row.
    system.systemActorOf(
        matrix.publisher(ownRegion), "lag-matrix-" + INSTANCES.incrementAndGet(), Props.empty());
    return matrix;
  }

  /** Reading region → origin region → newest lag (ms), for regions with a fresh row. */
  public Map<String, Map<String, Long>> now() {
    return matrixOf(rows.get(), System.currentTimeMillis());
  }

  /** The samples of the last {@link #HISTORY}, oldest first. */
  public synchronized List<Sample> history() {
    return new ArrayList<>(history);
  }

  Map<String, Map<String, Long>> matrixOf(Map<String, Row> byNode, long nowMillis) {
    Map<String, Map<String, Long>> matrix = new LinkedHashMap<>();
    for (Row row : byNode.values()) {
      if (nowMillis - row.at() > STALE_AFTER.toMillis() || !regions.contains(row.region()))
        continue;
      Map<String, Long> cells = matrix.computeIfAbsent(row.region(), r -> new TreeMap<>());
      row.lagMillis().forEach((origin, lag) -> cells.merge(origin, lag, Math::max));
    }
    Map<String, Map<String, Long>> ordered = new LinkedHashMap<>();
    for (String region : regions.names())
      if (matrix.containsKey(region)) ordered.put(region, matrix.get(region));
    return ordered;
  }

  private synchronized void sample() {
    long now = System.currentTimeMillis();
    history.addLast(new Sample(now, now()));
    while (!history.isEmpty() && now - history.peekFirst().at() > HISTORY.toMillis())
      history.removeFirst();
  }

  private sealed interface Command {}

  private enum Publish implements Command {
    INSTANCE
  }

  private record Changed(Replicator.SubscribeResponse<LWWMap<String, Row>> response)
      implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, Row>> response)
      implements Command {}

  private Behavior<Command> publisher(String ownRegion) {
    return Behaviors.setup(
        context ->
            DistributedData.<Command, LWWMap<String, Row>>withReplicatorMessageAdapter(
                replicator ->
                    Behaviors.withTimers(
                        timers -> {
                          SelfUniqueAddress self =
                              DistributedData.get(context.getSystem()).selfUniqueAddress();
                          String node = self.uniqueAddress().address().toString();
                          Metrics metrics = Metrics.get(context.getSystem());
                          replicator.subscribe(KEY, Changed::new);
                          timers.startTimerWithFixedDelay(Publish.INSTANCE, PUBLISH_EVERY);
                          return Behaviors.receive(Command.class)
                              .onMessage(
                                  Publish.class,
                                  publish -> {
                                    Map<String, Long> lag = new TreeMap<>(metrics.lastLagMillis());
                                    lag.put(ownRegion, 0L);
                                    Row row = new Row(ownRegion, lag, System.currentTimeMillis());
                                    replicator.askUpdate(
                                        replyTo ->
                                            new Replicator.Update<>(
                                                KEY,
                                                LWWMap.create(),
                                                Replicator.writeLocal(),
                                                replyTo,
                                                current -> current.put(self, node, row)),
                                        Written::new);
                                    sample();
                                    return Behaviors.same();
                                  })
                              .onMessage(
                                  Changed.class,
                                  changed -> {
                                    if (changed.response()
                                        instanceof Replicator.Changed<LWWMap<String, Row>> c)
                                      rows.set(Map.copyOf(c.get(KEY).getEntries()));
                                    return Behaviors.same();
                                  })
                              .onMessage(Written.class, written -> Behaviors.same())
                              .build();
                        })));
  }
}
