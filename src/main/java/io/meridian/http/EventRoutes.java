package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code GET /v1/events} (scope read): this node's ownership changes, region declarations and drill
 * progress ({@link EventFeed}). A request that accepts {@code text/event-stream} gets them as
 * server-sent events, the kept ones first (after {@code Last-Event-ID} when it reconnects), then
 * live, with a comment every {@link #KEEP_ALIVE} so that idle connections stay open; any other
 * request gets the kept events as one JSON document. So a plain client never hangs on an endless
 * answer, and a browser's {@code EventSource} (or a {@code fetch} that reads the stream) gets the
 * stream.
 */
final class EventRoutes {
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final EventFeed feed;
  private final ObjectMapper mapper;
  private final ResponseMapper responses;

  EventRoutes(EventFeed feed, ObjectMapper mapper, ResponseMapper responses) {
    this.feed = feed;
    this.mapper = mapper;
    this.responses = responses;
  }

  Route route() {
    return path(
        "events",
        () ->
            get(
                () ->
                    optionalHeaderValueByName(
                        "Accept",
                        accept ->
                            optionalHeaderValueByName(
                                "Last-Event-ID",
                                lastId -> {
                                  long after = lastEventId(lastId);
                                  if (accept.orElse("").contains("text/event-stream"))
                                    return stream(after);
                                  return complete(
                                      responses.ok(Map.of("events", feed.recent(after))));
                                }))));
  }

  private static long lastEventId(Optional<String> header) {
    try {
      return header.map(String::trim).map(Long::parseLong).orElse(0L);
    } catch (NumberFormatException e) {
      return 0L; // a stale or foreign id: replay what is kept
    }
  }

  private Route stream(long after) {
    List<EventFeed.FeedEvent> kept = feed.recent(after);
    long newestKept = kept.isEmpty() ? after : kept.get(kept.size() - 1).id();
    Source<ServerSentEvent, org.apache.pekko.NotUsed> events =
        Source.from(kept)
            .concat(feed.live().filter(event -> event.id() > newestKept))
            .map(this::serverSentEvent)
            .keepAlive(KEEP_ALIVE, ServerSentEvent::heartbeat);
    return completeOK(events, EventStreamMarshalling.toEventStream());
  }

  private ServerSentEvent serverSentEvent(EventFeed.FeedEvent event) {
    try {
      return ServerSentEvent.create(
          mapper.writeValueAsString(event), event.type(), Long.toString(event.id()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a feed event is always JSON", e);
    }
  }
}
