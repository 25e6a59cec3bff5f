package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.meridian.region.RegionControl;
import io.meridian.topology.Regions;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/regions} (every region as this node sees it) and the operator's {@code POST
 * /v1/admin/regions/{r}/down|up}: docs/api.md and docs/failover.md. A declaration needs the admin
 * scope ({@link EndpointScopes}, checked before the route) and a majority of regions (503 {@code
 * no_quorum} on the minority side).
 */
final class RegionRoutes {
  private final RegionControl board;
  private final Regions regions;
  private final String region;
  private final ResponseMapper responses;

  RegionRoutes(RegionControl board, Regions regions, String region, ResponseMapper responses) {
    this.board = board;
    this.regions = regions;
    this.region = region;
    this.responses = responses;
  }

  Route route() {
    return concat(regionsRoute(), adminRoute());
  }

  private Route regionsRoute() {
    return path(
        "regions",
        () ->
            get(
                () ->
                    complete(
                        responses.ok(Map.of("regions", board.regionInfos(), "servedBy", region)))));
  }

  private Route adminRoute() {
    return pathPrefix(
        "admin",
        () ->
            path(
                PathMatchers.segment("regions")
                    .slash(PathMatchers.segment())
                    .slash(PathMatchers.segment()),
                (target, action) ->
                    post(
                        () -> {
                          String r = Validation.region(regions, "region", target);
                          CompletionStage<RegionControl.RegionInfo> change =
                              switch (action) {
                                case "down" -> board.declareDown(r, "operator");
                                case "up" -> board.declareUp(r, "operator");
                                default ->
                                    throw new ApiError(
                                        StatusCodes.NOT_FOUND,
                                        "not_found",
                                        "use .../down or .../up");
                              };
                          return completeWithFuture(
                              responses.recover(change.thenApply(responses::ok)));
                        })));
  }
}
