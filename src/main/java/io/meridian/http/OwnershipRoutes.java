package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.region.OwnershipJournal;
import io.meridian.user.OwnershipHistory;
import io.meridian.user.User;
import io.meridian.user.UserGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What the console shows about one user, and the operator's planned move (issue 16):
 *
 * <ul>
 *   <li>{@code GET /v1/users/{userId}/ownership} (read): every ownership change, from the events
 *       ({@link OwnershipJournal#history});
 *   <li>{@code GET /v1/users/{userId}/replicas} (read): the user as each region's replica has it,
 *       side by side (a region that does not answer within {@link #REPLICA_TIMEOUT} is shown as
 *       such);
 *   <li>{@code POST /v1/admin/users/{userId}/move} (admin): the planned move of {@code POST
 *       .../move}, for the operator's token.
 * </ul>
 */
final class OwnershipRoutes {
  static final Duration REPLICA_TIMEOUT = Duration.ofSeconds(2);

  private final UserGateway gateway;
  private final OwnershipJournal journal;
  private final RequestBody requestBody;
  private final ResponseMapper responses;

  OwnershipRoutes(
      UserGateway gateway,
      OwnershipJournal journal,
      RequestBody requestBody,
      ResponseMapper responses) {
    this.gateway = gateway;
    this.journal = journal;
    this.requestBody = requestBody;
    this.responses = responses;
  }

  /** A document of {@code GET .../ownership}. */
  record HistoryDocument(String userId, String owner, List<OwnershipHistory.Change> changes) {}

  /** One region's replica of the user, or why it has none to show. */
  record ReplicaDocument(String region, UserDocument user, String error, String message) {}

  Route route() {
    return concat(
        pathPrefix(
            PathMatchers.segment("users").slash(PathMatchers.segment()),
            rawUserId ->
                concat(
                    path("ownership", () -> get(() -> history(Validation.id("userId", rawUserId)))),
                    path(
                        "replicas",
                        () -> get(() -> replicas(Validation.id("userId", rawUserId)))))),
        path(
            PathMatchers.segment("admin")
                .slash("users")
                .slash(PathMatchers.segment())
                .slash("move"),
            rawUserId ->
                post(
                    () ->
                        requestBody.json(body -> move(Validation.id("userId", rawUserId), body)))));
  }

  private Route history(String userId) {
    if (journal == null)
      return complete(
          responses.error(
              StatusCodes.SERVICE_UNAVAILABLE,
              "unavailable",
              "this node reads no journals",
              List.of()));
    CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse> answer =
        journal
            .history(userId)
            .thenApply(
                changes ->
                    changes.isEmpty()
                        ? responses.error(
                            StatusCodes.NOT_FOUND,
                            "unknown_user",
                            "no journal has user " + userId,
                            List.of())
                        : responses.ok(
                            new HistoryDocument(
                                userId, OwnershipHistory.ownerAfter(changes), changes)));
    return completeWithFuture(responses.recover(answer));
  }

  private Route replicas(String userId) {
    List<CompletableFuture<ReplicaDocument>> asks = new ArrayList<>();
    for (String region : gateway.regions().names()) {
      asks.add(
          gateway
              .askAt(userId, region, User.Get::new)
              .toCompletableFuture()
              .orTimeout(REPLICA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .handle(
                  (outcome, failure) -> {
                    if (failure != null)
                      return new ReplicaDocument(
                          region,
                          null,
                          "unavailable",
                          "no answer: " + failure.getClass().getSimpleName());
                    if (outcome.reply() instanceof User.Accepted accepted)
                      return new ReplicaDocument(
                          region, UserDocument.of(accepted.user()), null, null);
                    if (outcome.reply() instanceof User.Rejected rejected)
                      return new ReplicaDocument(
                          region,
                          null,
                          rejected.reason().name().toLowerCase(java.util.Locale.ROOT),
                          rejected.message());
                    return new ReplicaDocument(
                        region, null, "unexpected", outcome.reply().toString());
                  }));
    }
    return completeWithFuture(
        CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
            .thenApply(
                ignored -> {
                  Map<String, Object> body = new LinkedHashMap<>();
                  body.put("userId", userId);
                  body.put("replicas", asks.stream().map(CompletableFuture::join).toList());
                  return responses.ok(body);
                }));
  }

  private Route move(String userId, ObjectNode body) {
    Validation.onlyFields(body, Set.of("toRegion"));
    String to =
        Validation.region(gateway.regions(), "toRegion", Validation.requiredText(body, "toRegion"));
    return completeWithFuture(
        responses.recover(
            gateway
                .moveHome(userId, to)
                .thenApply(outcome -> responses.reply(outcome.reply(), StatusCodes.OK))));
  }
}
