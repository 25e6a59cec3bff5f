package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.user.IdempotencyKeys;
import io.meridian.user.RequestKey;
import io.meridian.user.User;
import io.meridian.user.UserGateway;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/users/...}: docs/api.md. Validation first, then one call into the {@link UserGateway}.
 * Every write takes an optional {@code Idempotency-Key}: it goes into the command with the digest
 * of the validated request ({@link RequestKey}), and the entity answers a retry with the first
 * outcome, or 422 when the key came with another request ({@link IdempotencyKeys}).
 */
final class UserRoutes {
  private final UserGateway gateway;
  private final RequestBody requestBody;
  private final ResponseMapper responses;

  private final io.meridian.cohort.CohortPlacement cohorts;

  UserRoutes(UserGateway gateway, RequestBody requestBody, ResponseMapper responses) {
    this(gateway, requestBody, responses, null);
  }

  /**
   * @param cohorts where a user joining a follow-the-sun cohort goes; null: this node knows no
   *     cohorts (every cohort is unknown)
   */
  UserRoutes(
      UserGateway gateway,
      RequestBody requestBody,
      ResponseMapper responses,
      io.meridian.cohort.CohortPlacement cohorts) {
    this.cohorts = cohorts;
    this.gateway = gateway;
    this.requestBody = requestBody;
    this.responses = responses;
  }

  Route route() {
    return pathPrefix(
        "users",
        () ->
            concat(
                pathEnd(
                    () ->
                        post(
                            () ->
                                idempotencyKey(
                                    key -> requestBody.json(body -> create(body, key))))),
                pathPrefix(
                    PathMatchers.segment(),
                    rawUserId -> {
                      String userId = Validation.id("userId", rawUserId);
                      return concat(
                          pathEnd(
                              () ->
                                  get(
                                      () ->
                                          parameterOptional(
                                              "consistency",
                                              consistency ->
                                                  parameterOptional(
                                                      "waitForVersion",
                                                      waitFor ->
                                                          read(userId, consistency, waitFor))))),
                          path(
                              "profile",
                              () ->
                                  patch(
                                      () ->
                                          idempotencyKey(
                                              key ->
                                                  requestBody.json(
                                                      body -> updateProfile(userId, body, key))))),
                          path(
                              "points",
                              () ->
                                  post(
                                      () ->
                                          idempotencyKey(
                                              key ->
                                                  requestBody.json(
                                                      body -> adjustPoints(userId, body, key))))),
                          path(
                              PathMatchers.segment("devices").slash(PathMatchers.segment()),
                              rawDeviceId -> {
                                String deviceId = Validation.id("deviceId", rawDeviceId);
                                return concat(
                                    put(
                                        () ->
                                            idempotencyKey(
                                                key ->
                                                    answer(
                                                        gateway.anyReplica(
                                                            userId,
                                                            "add-device",
                                                            replyTo ->
                                                                new User.AddDevice(
                                                                    deviceId,
                                                                    replyTo,
                                                                    keyed(
                                                                        key,
                                                                        "add-device",
                                                                        userId,
                                                                        deviceId))),
                                                        StatusCodes.OK))),
                                    delete(
                                        () ->
                                            idempotencyKey(
                                                key ->
                                                    answer(
                                                        gateway.anyReplica(
                                                            userId,
                                                            "remove-device",
                                                            replyTo ->
                                                                new User.RemoveDevice(
                                                                    deviceId,
                                                                    replyTo,
                                                                    keyed(
                                                                        key,
                                                                        "remove-device",
                                                                        userId,
                                                                        deviceId))),
                                                        StatusCodes.OK))));
                              }),
                          path(
                              "cohort",
                              () ->
                                  put(
                                      () ->
                                          idempotencyKey(
                                              key ->
                                                  requestBody.json(
                                                      body -> setCohort(userId, body, key))))),
                          path(
                              "move",
                              () ->
                                  post(
                                      () ->
                                          idempotencyKey(
                                              key ->
                                                  requestBody.json(
                                                      body -> move(userId, body, key))))));
                    })));
  }

  /** The request's {@code Idempotency-Key}, validated; null without one. */
  private static Route idempotencyKey(Function<String, Route> inner) {
    return optionalHeaderValueByName(
        IDEMPOTENCY_KEY_HEADER,
        key -> inner.apply(key.isEmpty() ? null : Validation.idempotencyKey(key.get())));
  }

  static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

  /** {@code key} with the digest of this request (null without a key). */
  private static RequestKey keyed(String key, String operation, String... arguments) {
    return key == null ? null : RequestKey.of(key, operation, arguments);
  }

  private Route create(ObjectNode body, String key) {
    Validation.onlyFields(body, Set.of("userId", "homeRegion", "cohort"));
    String userId = Validation.id("userId", Validation.requiredText(body, "userId"));
    String cohort = Validation.optionalText(body, "cohort");
    String scheduledOwner = cohort == null ? null : placeNow(Validation.cohort(cohort));
    return optionalHeaderValueByName(
        "X-Client-Region",
        clientRegion -> {
          String home = Validation.optionalText(body, "homeRegion");
          if (home != null) home = Validation.region(gateway.regions(), "homeRegion", home);
          else if (clientRegion.isPresent())
            home = Validation.region(gateway.regions(), "X-Client-Region", clientRegion.get());
          else home = gateway.region();
          RequestKey request =
              cohort == null
                  ? keyed(key, "create", userId, home)
                  : keyed(key, "create", userId, home, cohort);
          return answer(
              gateway.create(userId, home, request, cohort, scheduledOwner), StatusCodes.CREATED);
        });
  }

  private Route read(String userId, Optional<String> consistency, Optional<String> waitFor) {
    String mode = consistency.orElse("local");
    if (waitFor.isPresent()) {
      if (!mode.equals("local"))
        throw ApiError.badRequest(
            "invalid_parameter", "waitForVersion needs consistency=local (the default)");
      Validation.VersionWait wait = Validation.versionWait(gateway.regions(), waitFor.get());
      return answer(
          gateway.readLocalOnceApplied(userId, wait.origin(), wait.events()), StatusCodes.OK);
    }
    return switch (mode) {
      case "local" -> answer(gateway.readLocal(userId), StatusCodes.OK);
      case "owner" -> answer(gateway.readFromOwner(userId), StatusCodes.OK);
      default ->
          throw ApiError.badRequest("invalid_parameter", "consistency must be 'local' or 'owner'");
    };
  }

  private Route updateProfile(String userId, ObjectNode body, String key) {
    Validation.onlyFields(body, User.PROFILE_FIELDS);
    Map<String, String> changes = new LinkedHashMap<>();
    for (String field : User.PROFILE_FIELDS) {
      String value = Validation.optionalText(body, field);
      if (value != null) changes.put(field, Validation.profileField(field, value));
    }
    if (changes.isEmpty())
      throw ApiError.badRequest("missing_field", "set at least one of " + User.PROFILE_FIELDS);
    RequestKey request = keyed(key, "profile", userId, new java.util.TreeMap<>(changes).toString());
    return answer(
        gateway.toOwner(
            userId, "update-profile", replyTo -> new User.UpdateProfile(changes, replyTo, request)),
        StatusCodes.OK);
  }

  private Route adjustPoints(String userId, ObjectNode body, String key) {
    Validation.onlyFields(body, Set.of("delta"));
    long delta = Validation.pointsDelta(body);
    return answer(
        gateway.anyReplica(
            userId,
            "adjust-points",
            replyTo ->
                new User.AdjustPoints(
                    delta, replyTo, keyed(key, "points", userId, Long.toString(delta)))),
        StatusCodes.OK);
  }

  /** {@code {"cohort": "desk-a"}} joins (or changes) a cohort, {@code {"cohort": null}} leaves. */
  private Route setCohort(String userId, ObjectNode body, String key) {
    Validation.onlyFields(body, Set.of("cohort"));
    if (!body.has("cohort"))
      throw ApiError.badRequest(
          "missing_field", "cohort is required (a cohort's name, or null to leave the cohort)");
    String cohort =
        body.get("cohort").isNull()
            ? null
            : Validation.cohort(Validation.optionalText(body, "cohort"));
    String scheduledOwner = cohort == null ? null : placeNow(cohort);
    return answer(
        gateway.setCohort(
            userId, cohort, scheduledOwner, keyed(key, "cohort", userId, String.valueOf(cohort))),
        StatusCodes.OK);
  }

  /** The region a user joining {@code cohort} goes to now (null: stays); 400 for no such cohort. */
  private String placeNow(String cohort) {
    if (cohorts == null) throw ApiError.badRequest("unknown_cohort", "no cohorts on this node");
    try {
      return cohorts.placeNow(cohort).orElse(null);
    } catch (io.meridian.cohort.CohortPlacement.UnknownCohort unknown) {
      throw ApiError.badRequest("unknown_cohort", unknown.getMessage());
    }
  }

  private Route move(String userId, ObjectNode body, String key) {
    Validation.onlyFields(body, Set.of("toRegion"));
    String to =
        Validation.region(gateway.regions(), "toRegion", Validation.requiredText(body, "toRegion"));
    return answer(gateway.moveHome(userId, to, keyed(key, "move", userId, to)), StatusCodes.OK);
  }

  private Route answer(CompletionStage<UserGateway.Outcome> outcome, StatusCode success) {
    return completeWithFuture(
        responses.recover(outcome.thenApply(o -> responses.reply(o.reply(), success))));
  }
}
