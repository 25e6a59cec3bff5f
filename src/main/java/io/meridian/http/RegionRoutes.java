package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.meridian.region.LagMatrix;
import io.meridian.region.OwnershipJournal;
import io.meridian.region.RegionControl;
import io.meridian.region.RegionService;
import io.meridian.topology.Regions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

  /** What the console's region grid adds to each region; null where this node has none. */
  private final RegionService service;

  private final OwnershipJournal journal;
  private final LagMatrix lag;

  RegionRoutes(RegionControl board, Regions regions, String region, ResponseMapper responses) {
    this(board, regions, region, responses, null, null, null);
  }

  RegionRoutes(
      RegionControl board,
      Regions regions,
      String region,
      ResponseMapper responses,
      RegionService service,
      OwnershipJournal journal,
      LagMatrix lag) {
    this.board = board;
    this.regions = regions;
    this.region = region;
    this.responses = responses;
    this.service = service;
    this.journal = journal;
    this.lag = lag;
  }

  Route route() {
    return concat(regionsRoute(), lagRoute(), adminRoute());
  }

  /**
   * One region in {@code GET /v1/regions}: the fields of {@link RegionControl.RegionInfo} first
   * (unchanged), then what the console's grid adds (issue 16): the region's cluster members as this
   * node sees them, whether it serves (up, with reachable Up members), the users it owns by this
   * region's census (null until counted), and its current declaration's time and reason.
   */
  record RegionDocument(
      String region,
      RegionControl.Status status,
      String successor,
      long epoch,
      Long replicationLagMillis,
      List<RegionService.MemberInfo> members,
      Boolean ready,
      Long ownedUsers,
      Long declaredAt,
      String declaredReason) {}

  private Route regionsRoute() {
    return path("regions", () -> get(() -> complete(responses.ok(regionsDocument()))));
  }

  private Map<String, Object> regionsDocument() {
    OwnershipJournal.Census census = journal == null ? null : journal.census();
    boolean counted = census != null && census.countedAt() > 0;
    List<RegionDocument> documents = new ArrayList<>();
    for (RegionControl.RegionInfo info : board.regionInfos()) {
      var record = service == null ? null : service.recordOf(info.region());
      documents.add(
          new RegionDocument(
              info.region(),
              info.status(),
              info.successor(),
              info.epoch(),
              info.replicationLagMillis(),
              service == null ? null : service.membersOf(info.region()),
              service == null ? null : service.isServing(info.region()),
              counted ? census.ownedUsers().getOrDefault(info.region(), 0L) : null,
              record == null || record.epoch() == 0 ? null : record.at(),
              record == null || record.epoch() == 0 ? null : record.reason()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("regions", documents);
    body.put("servedBy", region);
    if (counted)
      body.put(
          "census",
          Map.of(
              "users", census.users(),
              "countedAt", census.countedAt(),
              "tookMillis", census.tookMillis(),
              "complete", census.complete()));
    return body;
  }

  /**
   * {@code GET /v1/regions/lag}: the replication lag matrix (reading region → origin region → ms)
   * as every region published it, and its samples of the last minutes ({@link LagMatrix}).
   */
  private Route lagRoute() {
    return path(
        PathMatchers.segment("regions").slash("lag"),
        () ->
            get(
                () -> {
                  Map<String, Object> body = new LinkedHashMap<>();
                  body.put("regions", regions.names());
                  body.put("matrix", lag == null ? Map.of() : lag.now());
                  body.put("history", lag == null ? List.of() : lag.history());
                  body.put("servedBy", region);
                  return complete(responses.ok(body));
                }));
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
