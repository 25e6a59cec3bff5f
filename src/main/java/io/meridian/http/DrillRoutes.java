package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.region.RegionDrills;
import io.meridian.topology.Regions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /v1/admin/drills} and {@code GET /v1/admin/drills/{drillId}} (scope admin): start a
 * region drill on this node ({@link RegionDrills}) and watch it. The body names the region and, if
 * wanted, the number of drill users: {@code {"region":"us","users":8}}. Refused with 409 when this
 * node is of the drilled region, the region is not up, or a drill is running here.
 */
final class DrillRoutes {
  static final int MAX_USERS = 100;

  private final RegionDrills drills;
  private final Regions regions;
  private final RequestBody requestBody;
  private final ResponseMapper responses;
  private final int defaultUsers;
  private final Duration stepTimeout;

  DrillRoutes(
      RegionDrills drills,
      Regions regions,
      RequestBody requestBody,
      ResponseMapper responses,
      int defaultUsers,
      Duration stepTimeout) {
    this.drills = drills;
    this.regions = regions;
    this.requestBody = requestBody;
    this.responses = responses;
    this.defaultUsers = defaultUsers;
    this.stepTimeout = stepTimeout;
  }

  Route route() {
    return pathPrefix(
        PathMatchers.segment("admin").slash("drills"),
        () ->
            concat(
                pathEnd(() -> post(() -> requestBody.json(this::start))),
                path(
                    PathMatchers.segment(),
                    rawId ->
                        get(
                            () -> {
                              String id = Validation.id("drillId", rawId);
                              return drills
                                  .progress(id)
                                  .map(progress -> complete(responses.ok(progress)))
                                  .orElseGet(
                                      () ->
                                          complete(
                                              responses.error(
                                                  StatusCodes.NOT_FOUND,
                                                  "unknown_drill",
                                                  "no drill "
                                                      + id
                                                      + " on this node (drills are kept by the"
                                                      + " node that runs them)",
                                                  List.of())));
                            }))));
  }

  private Route start(ObjectNode body) {
    Validation.onlyFields(body, Set.of("region", "users"));
    String region = Validation.region(regions, "region", Validation.requiredText(body, "region"));
    int users = defaultUsers;
    JsonNode given = body.get("users");
    if (given != null) {
      if (!given.isIntegralNumber())
        throw ApiError.badRequest("invalid_field", "users must be a whole number");
      if (given.asLong() < 1 || given.asLong() > MAX_USERS)
        throw ApiError.badRequest("out_of_range", "users must be 1.." + MAX_USERS);
      users = given.asInt();
    }
    try {
      RegionDrills.Progress progress = drills.start(region, users, stepTimeout);
      return complete(
          responses.document(
              StatusCodes.ACCEPTED,
              progress,
              List.of(Location.create("/v1/admin/drills/" + progress.id()))));
    } catch (RegionDrills.Refused refused) {
      return complete(
          responses.error(StatusCodes.CONFLICT, refused.code(), refused.getMessage(), List.of()));
    }
  }
}
