package io.meridian.http;

import io.meridian.region.RegionDirectory;
import io.meridian.region.RegionDrills;
import io.meridian.region.RegionService;
import io.meridian.user.OwnershipHistory;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;

/**
 * What happens on this node, for the console's live stream ({@code GET /v1/events}): ownership
 * changes its replicas apply (published by the user entity on the node's event stream), region
 * declarations, and drill progress. One {@link BroadcastHub} feeds every subscriber; the newest
 * {@link #KEPT} events are kept for a subscriber that (re)connects and for the JSON answer. A slow
 * subscriber loses the oldest events (the queue drops its head), never slows the node.
 */
final class EventFeed {
  static final int KEPT = 200;
  private static final java.util.concurrent.atomic.AtomicInteger INSTANCES =
      new java.util.concurrent.atomic.AtomicInteger();

  /** One event: a number that grows per node (the SSE id), its type, when, and what. */
  record FeedEvent(long id, String type, long at, Object data) {}

  private final AtomicLong ids = new AtomicLong();
  private final Deque<FeedEvent> recent = new ArrayDeque<>();
  private final SourceQueueWithComplete<FeedEvent> queue;
  private final Source<FeedEvent, NotUsed> hub;

  EventFeed(ActorSystem<?> system, RegionService regionService, RegionDrills drills) {
    Pair<SourceQueueWithComplete<FeedEvent>, Source<FeedEvent, NotUsed>> materialized =
        Source.<FeedEvent>queue(1024, OverflowStrategy.dropHead())
            .toMat(BroadcastHub.of(FeedEvent.class, 256), Keep.both())
            .run(system);
    this.queue = materialized.first();
    this.hub = materialized.second();
    // Keeps the hub flowing while no console is connected.
    hub.runWith(Sink.ignore(), system);
    system.systemActorOf(
        Behaviors.<OwnershipHistory.Applied>setup(
            context -> {
              context
                  .getSystem()
                  .eventStream()
                  .tell(
                      new EventStream.Subscribe<>(
                          OwnershipHistory.Applied.class, context.getSelf()));
              return Behaviors.receiveMessage(
                  applied -> {
                    publish("ownership", applied);
                    return Behaviors.same();
                  });
            }),
        "console-event-feed-" + INSTANCES.incrementAndGet(), // one per API the node builds
        Props.empty());
    regionService.addListener(this::regionChanged);
    if (drills != null) drills.addListener(progress -> publish("drill", progress));
  }

  private void regionChanged(
      String region, RegionDirectory.RegionRecord before, RegionDirectory.RegionRecord after) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("region", region);
    data.put("from", before.status().name());
    data.put("to", after.status().name());
    data.put("epoch", after.epoch());
    data.put("reason", after.reason());
    data.put("declaredAt", after.at());
    publish("region", data);
  }

  void publish(String type, Object data) {
    FeedEvent event;
    synchronized (recent) {
      event = new FeedEvent(ids.incrementAndGet(), type, System.currentTimeMillis(), data);
      recent.addLast(event);
      while (recent.size() > KEPT) recent.removeFirst();
    }
    queue.offer(event);
  }

  /** The kept events with an id above {@code afterId}, oldest first. */
  List<FeedEvent> recent(long afterId) {
    synchronized (recent) {
      return recent.stream().filter(e -> e.id() > afterId).toList();
    }
  }

  /** The events from now on. */
  Source<FeedEvent, NotUsed> live() {
    return hub;
  }
}
