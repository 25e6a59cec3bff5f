package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import java.util.List;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.http.scaladsl.model.IllegalUriException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a request that routing refused or that failed while being answered: every one an
 * error of the shape {@code {"error","message"}} (through {@link ResponseMapper}).
 *
 * <p>Logging: a client's mistake (a refusal, a malformed or late body, an unknown path) is at most
 * one line at debug, never a stack trace, so that a flood of bad requests cannot flood the log;
 * only a defect of the server (anything else, answered 500) is a warning with its stack trace.
 */
final class RequestErrors {
  private static final Logger log = LoggerFactory.getLogger(RequestErrors.class);

  private final ResponseMapper responses;
  private final RequestBody requestBody;
  private final String region;

  RequestErrors(ResponseMapper responses, RequestBody requestBody, String region) {
    this.responses = responses;
    this.requestBody = requestBody;
    this.region = region;
  }

  ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(
            ApiError.class,
            e -> {
              log.debug("refused in region={}: {} {}", region, e.status().intValue(), e.code());
              return complete(responses.error(e));
            })
        .matchAny(
            e -> {
              Throwable clientMistake = clientMistake(e);
              if (clientMistake != null) return complete(malformed(clientMistake));
              log.warn("request failed in region={}", region, e);
              return complete(responses.failure(e));
            })
        .build();
  }

  /**
   * The client's mistake that {@code failure} is, or wraps once (Pekko HTTP fails a route with
   * these when a body is too large, arrives too slowly or is broken): null for anything else.
   */
  private static Throwable clientMistake(Throwable failure) {
    if (isClientMistake(failure)) return failure;
    Throwable cause = failure.getCause();
    return cause != null && isClientMistake(cause) ? cause : null;
  }

  private static boolean isClientMistake(Throwable failure) {
    return failure instanceof EntityStreamSizeException
        || failure instanceof IllegalRequestException
        || failure instanceof IllegalUriException;
  }

  private org.apache.pekko.http.javadsl.model.HttpResponse malformed(Throwable mistake) {
    if (mistake instanceof EntityStreamSizeException) {
      log.debug("refused in region={}: body too large", region);
      return responses.error(requestBody.tooLarge());
    }
    int status;
    String summary;
    if (mistake instanceof IllegalRequestException illegal) {
      status = illegal.status().intValue();
      // A body that did not arrive in time (RequestBody's toStrict deadline) is Pekko's 408.
      summary =
          status == 408
              ? "the request body did not arrive in time; send it whole, promptly"
              : illegal.info().summary();
    } else {
      status = 400;
      summary = ((IllegalUriException) mistake).info().summary();
    }
    log.debug("refused in region={}: {} {}", region, status, summary);
    return ResponseMapper.malformedRequest(status, summary);
  }

  RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handleAll(
            MethodRejection.class,
            rejections ->
                complete(
                    responses.error(
                        StatusCodes.METHOD_NOT_ALLOWED,
                        "method_not_allowed",
                        "use "
                            + rejections.stream()
                                .map(r -> r.supported().name())
                                .distinct()
                                .toList(),
                        List.of())))
        .handleNotFound(
            complete(
                responses.error(
                    StatusCodes.NOT_FOUND,
                    "not_found",
                    "no such endpoint; see docs/api.md",
                    List.of())))
        .handleAll(
            Rejection.class,
            rejections ->
                complete(
                    responses.error(
                        StatusCodes.BAD_REQUEST,
                        "bad_request",
                        "the request could not be handled: " + rejections.get(0),
                        List.of())))
        .build();
  }
}
