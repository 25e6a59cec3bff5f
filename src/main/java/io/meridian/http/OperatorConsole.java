package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * The operator console's routes (issue 16, docs/console.md): the page at {@code /console}, outside
 * {@code /v1} and without a token, and the {@code /v1} endpoints it calls, each behind its scope in
 * {@link EndpointScopes} like every other endpoint: the live event stream, a user's ownership
 * history and replicas, the operator's move, and region drills.
 */
final class OperatorConsole {
  private final ConsoleRoutes page;
  private final EventRoutes events;
  private final OwnershipRoutes ownership;
  private final DrillRoutes drills;

  OperatorConsole(
      ConsoleRoutes page, EventRoutes events, OwnershipRoutes ownership, DrillRoutes drills) {
    this.page = page;
    this.events = events;
    this.ownership = ownership;
    this.drills = drills;
  }

  Route pageRoute() {
    return page.route();
  }

  /** The console's {@code /v1} endpoints (inside {@code /v1}, after authorization). */
  Route apiRoute() {
    return drills == null
        ? concat(events.route(), ownership.route())
        : concat(events.route(), ownership.route(), drills.route());
  }
}
