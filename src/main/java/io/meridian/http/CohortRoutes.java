package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.cohort.CohortDirectory;
import io.meridian.cohort.CohortPlacement;
import io.meridian.cohort.CohortSchedule;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/admin/cohorts}, {@code GET} and {@code PUT /v1/admin/cohorts/{name}} (scope
 * admin): the follow-the-sun schedules (docs/follow-the-sun.md). A cohort's document says its
 * schedule and epoch, who owns it now by the schedule, the next hand-off, and the progress of the
 * running (or last) hand-off as the region running it reported it.
 */
final class CohortRoutes {

  /** One cohort as the API shows it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record CohortDocument(
      String name,
      long epoch,
      String setBy,
      CohortSchedule.Spec schedule,
      String describe,
      String now,
      String scheduledOwner,
      Window window,
      NextHandOff nextHandOff,
      CohortDirectory.HandOffProgress handOff) {}

  record Window(String region, String from, String until) {}

  record NextHandOff(String at, String from, String to) {}

  record CohortList(List<CohortDocument> cohorts) {}

  private static final ObjectMapper SPECS =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final CohortPlacement cohorts;
  private final RequestBody requestBody;
  private final ResponseMapper responses;

  CohortRoutes(CohortPlacement cohorts, RequestBody requestBody, ResponseMapper responses) {
    this.cohorts = cohorts;
    this.requestBody = requestBody;
    this.responses = responses;
  }

  Route route() {
    return pathPrefix(
        PathMatchers.segment("admin").slash("cohorts"),
        () ->
            concat(
                pathEnd(() -> get(this::list)),
                path(
                    PathMatchers.segment(),
                    rawName -> {
                      String name = Validation.cohort(rawName);
                      return concat(
                          get(() -> show(name)),
                          put(() -> requestBody.json(body -> change(name, body))));
                    })));
  }

  private Route list() {
    Instant now = cohorts.clock().now();
    return complete(
        responses.ok(
            new CohortList(
                cohorts.directory().cohorts().values().stream()
                    .map(cohort -> document(cohort, now))
                    .toList())));
  }

  private Route show(String name) {
    return cohorts
        .directory()
        .cohort(name)
        .map(cohort -> complete(responses.ok(document(cohort, cohorts.clock().now()))))
        .orElseGet(
            () ->
                complete(
                    responses.error(
                        StatusCodes.NOT_FOUND,
                        "unknown_cohort",
                        "no cohort " + name + " is scheduled",
                        List.of())));
  }

  private Route change(String name, ObjectNode body) {
    Validation.onlyFields(body, Set.of("zone", "windows", "rotateEvery", "regions"));
    CohortSchedule schedule;
    try {
      CohortSchedule.Spec spec = SPECS.treeToValue(body, CohortSchedule.Spec.class);
      schedule = CohortSchedule.fromSpec(spec, Set.copyOf(cohorts.directory().regions().names()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException unreadable) {
      throw ApiError.badRequest(
          "invalid_schedule", "not a schedule: " + unreadable.getOriginalMessage());
    } catch (IllegalArgumentException invalid) {
      throw ApiError.badRequest("invalid_schedule", invalid.getMessage());
    }
    CompletionStage<HttpResponse> answer =
        cohorts
            .directory()
            .put(name, schedule)
            .thenApply(cohort -> responses.ok(document(cohort, cohorts.clock().now())))
            .exceptionally(
                failure ->
                    responses.error(
                        StatusCodes.SERVICE_UNAVAILABLE,
                        "not_written",
                        "the schedule was not stored by a majority of nodes; retry: "
                            + (failure.getCause() == null ? failure : failure.getCause())
                                .getMessage(),
                        List.of()));
    return completeWithFuture(answer);
  }

  private CohortDocument document(CohortDirectory.Cohort cohort, Instant now) {
    CohortSchedule schedule = cohort.schedule();
    CohortSchedule.Slot stint = schedule.currentStint(now);
    NextHandOff next =
        schedule
            .nextHandOff(now)
            .map(h -> new NextHandOff(h.at().toString(), h.from(), h.to()))
            .orElse(null);
    return new CohortDocument(
        cohort.name(),
        cohort.record().epoch(),
        cohort.record().setBy(),
        cohort.record().spec(),
        schedule.describe(),
        now.toString(),
        stint.region(),
        new Window(stint.region(), stint.from().toString(), stint.until().toString()),
        next,
        cohorts.directory().handOff(cohort.name()).orElse(null));
  }
}
