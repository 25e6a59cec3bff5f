package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.meridian.faults.Blackhole;
import io.meridian.topology.Regions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Chaos-only ({@code ./meridian chaos}, docs/testing.md): {@code POST
 * /v1/admin/chaos/blackhole|heal {"from","to","direction"}} drops or restores this node's cluster
 * traffic with region {@code to}. Absent (404) unless {@code meridian.chaos.enabled = on}, which
 * only the chaos tool sets; the admin scope is checked before the route ({@link EndpointScopes}).
 */
final class ChaosRoutes {
  private final ActorSystem<?> system;
  private final Regions regions;
  private final String region;
  private final RequestBody requestBody;
  private final ResponseMapper responses;

  /** The node's one blackhole: it remembers what it cut (route() runs per request). */
  private final Blackhole blackhole;

  ChaosRoutes(
      ActorSystem<?> system,
      Regions regions,
      String region,
      RequestBody requestBody,
      ResponseMapper responses) {
    this.system = system;
    this.regions = regions;
    this.region = region;
    this.requestBody = requestBody;
    this.responses = responses;
    this.blackhole = Blackhole.get(system);
  }

  Route route() {
    if (!Blackhole.enabled(system)) return reject();
    return pathPrefix(
        "admin",
        () ->
            path(
                PathMatchers.segment("chaos").slash(PathMatchers.segment()),
                action ->
                    post(
                        () ->
                            requestBody.json(
                                body -> {
                                  Validation.onlyFields(body, Set.of("from", "to", "direction"));
                                  String from =
                                      Validation.region(
                                          regions, "from", Validation.requiredText(body, "from"));
                                  String to =
                                      Validation.region(
                                          regions, "to", Validation.requiredText(body, "to"));
                                  if (!from.equals(region))
                                    throw ApiError.badRequest(
                                        "invalid_field",
                                        "send this to a node of region "
                                            + from
                                            + "; this is "
                                            + region);
                                  String direction =
                                      Optional.ofNullable(
                                              Validation.optionalText(body, "direction"))
                                          .orElse("both");
                                  if (!List.of("both", "send", "receive").contains(direction))
                                    throw ApiError.badRequest(
                                        "invalid_field", "direction must be both, send or receive");
                                  List<String> addresses =
                                      switch (action) {
                                        case "blackhole" ->
                                            blackhole.cut(
                                                to,
                                                Blackhole.Direction.valueOf(
                                                    direction.toUpperCase(Locale.ROOT)));
                                        case "heal" -> blackhole.heal(to);
                                        default ->
                                            throw new ApiError(
                                                StatusCodes.NOT_FOUND,
                                                "not_found",
                                                "use .../blackhole or .../heal");
                                      };
                                  return complete(
                                      responses.ok(
                                          Map.of(
                                              "action",
                                              action,
                                              "from",
                                              from,
                                              "to",
                                              to,
                                              "direction",
                                              direction,
                                              "addresses",
                                              addresses)));
                                }))));
  }
}
