package io.meridian.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.payment.PaymentOutcome;
import io.meridian.user.User;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where an answer becomes an HTTP response: documents, the user entity's replies,
 * payment outcomes, refused requests ({@link ApiError}) and failures of the cluster path ({@link
 * Unavailable}). Every routes class and the exception handler go through it, so a status code and
 * an error code mean the same on every endpoint, and every error has the shape {@code
 * {"error","message"}}.
 */
final class ResponseMapper {
  private static final Logger log = LoggerFactory.getLogger(ResponseMapper.class);
  static final String OWNER_HEADER = "X-Meridian-Owner";

  private final Json json;

  ResponseMapper(Json json) {
    this.json = json;
  }

  /** A document (not an error) with the given status. */
  HttpResponse document(StatusCode status, Object body, List<HttpHeader> headers) {
    return json.response(status, body, headers);
  }

  HttpResponse ok(Object body) {
    return document(StatusCodes.OK, body, List.of());
  }

  HttpResponse error(StatusCode status, String code, String message, List<HttpHeader> headers) {
    return json.error(status, code, message, headers);
  }

  HttpResponse error(ApiError error) {
    return error(error.status(), error.code(), error.getMessage(), List.of());
  }

  /**
   * A reply of the user entity: the user ({@code success}, with the owner header), or why it was
   * not done. A {@link User.PaymentFound} is the payments feature's to show, never a user answer.
   */
  HttpResponse reply(User.Reply reply, StatusCode success) {
    if (reply instanceof User.Accepted accepted) {
      List<HttpHeader> headers =
          accepted.user().owner() == null
              ? List.of()
              : List.of(RawHeader.create(OWNER_HEADER, accepted.user().owner()));
      return document(success, UserDocument.of(accepted.user()), headers);
    }
    if (reply instanceof User.NotOwner notOwner) {
      return error(
          StatusCodes.SERVICE_UNAVAILABLE,
          "owner_unavailable",
          "ownership of this user is moving (owner "
              + notOwner.owner()
              + ", epoch "
              + notOwner.epoch()
              + "); retry shortly",
          List.of(RawHeader.create(OWNER_HEADER, notOwner.owner())));
    }
    if (reply instanceof User.Rejected rejected) return rejection(rejected);
    throw new IllegalStateException("unexpected reply " + reply);
  }

  /**
   * A payment outcome: the payment ({@code success}, with the owner header) once recorded, 503
   * {@code not_durable_yet} when it is not durable in two regions yet, else the user entity's
   * reply.
   */
  HttpResponse payment(PaymentOutcome outcome, StatusCode success) {
    if (outcome instanceof PaymentOutcome.Recorded recorded) {
      return document(
          success,
          PaymentDocument.of(recorded),
          List.of(RawHeader.create(OWNER_HEADER, recorded.owner())));
    }
    if (outcome instanceof PaymentOutcome.NoOtherRegion isolated) {
      return error(
          StatusCodes.SERVICE_UNAVAILABLE, "not_durable_yet", isolated.message(), List.of());
    }
    if (outcome instanceof PaymentOutcome.NotConfirmedInTime unconfirmed) {
      return error(
          StatusCodes.SERVICE_UNAVAILABLE,
          "not_durable_yet",
          unconfirmed.message(),
          List.of(RawHeader.create(OWNER_HEADER, unconfirmed.owner())));
    }
    if (outcome instanceof PaymentOutcome.Refused refused) return reply(refused.reply(), success);
    throw new IllegalStateException("unexpected payment outcome " + outcome);
  }

  private HttpResponse rejection(User.Rejected rejected) {
    StatusCode status =
        switch (rejected.reason()) {
          case UNKNOWN_USER, UNKNOWN_PAYMENT -> StatusCodes.NOT_FOUND;
          case USER_EXISTS,
              INSUFFICIENT_FUNDS,
              PAYMENT_CONFLICT,
              TOO_MANY_DEVICES,
              TOO_MANY_PAYMENTS ->
              StatusCodes.CONFLICT;
          case INVALID -> StatusCodes.BAD_REQUEST;
          // RFC 9110, 15.5.21: understood, but this key cannot be used for this request.
          case IDEMPOTENCY_KEY_REUSED -> StatusCodes.get(422);
          case NOT_DECLARED_DOWN -> StatusCodes.SERVICE_UNAVAILABLE;
        };
    String code =
        rejected.reason() == User.Reason.NOT_DECLARED_DOWN
            ? "region_unavailable"
            : rejected.reason().name().toLowerCase(Locale.ROOT);
    return error(status, code, rejected.message(), List.of());
  }

  /** A failed answer becomes its error response instead of failing the request. */
  CompletionStage<HttpResponse> recover(CompletionStage<HttpResponse> response) {
    return response.exceptionally(this::failure);
  }

  /**
   * A failure of a request: a refusal ({@link ApiError}) thrown while answering, the cluster path
   * unavailable (503), or anything else, a defect (500, without internals).
   */
  HttpResponse failure(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof ApiError error) return error(error);
    Optional<Unavailable> unavailable = Unavailable.of(cause);
    if (unavailable.isPresent()) return unavailable(unavailable.get());
    return error(
        StatusCodes.INTERNAL_SERVER_ERROR,
        "internal_error",
        "unexpected failure: " + cause.getClass().getSimpleName(),
        List.of());
  }

  HttpResponse unavailable(Unavailable unavailable) {
    return error(
        StatusCodes.SERVICE_UNAVAILABLE, unavailable.code(), unavailable.message(), List.of());
  }

  /**
   * What Pekko HTTP answers when the route has not answered within {@code
   * pekko.http.server.request-timeout} (installed for every request by {@link HttpApi#route()}):
   * 503 {@code timeout} with {@code Retry-After}, instead of Pekko's text/plain default. 503, not
   * 408: the request arrived whole (the timeout starts once the body is received), the server was
   * the slow one. Called by Pekko's timeout task: synchronous and without blocking.
   */
  HttpResponse requestTimedOut(HttpRequest request) {
    log.info(
        "no answer within the request timeout for {} {}",
        request.method().value(),
        request.getUri().path());
    return error(
        StatusCodes.SERVICE_UNAVAILABLE,
        "timeout",
        "no answer within the request timeout; retry later (a payment with the same paymentId)",
        List.of(RetryAfter.create(TIMEOUT_RETRY_AFTER_SECONDS)));
  }

  static final long TIMEOUT_RETRY_AFTER_SECONDS = 1;

  /**
   * A request Pekko HTTP itself found malformed (its parser, or a body that did not arrive in
   * time): the same error shape, always a 4xx. Pekko answers an unknown method with 501 and an
   * unknown protocol version with 505; both are the client's mistake, so they are a 400 here.
   * Static: the parsing error handler ({@link MalformedRequestHandler}) has no mapper instance.
   */
  static HttpResponse malformedRequest(int pekkoStatus, String summary) {
    StatusCode status =
        pekkoStatus >= 400 && pekkoStatus < 500
            ? StatusCodes.get(pekkoStatus)
            : StatusCodes.BAD_REQUEST;
    String code =
        switch (status.intValue()) {
          case 408 -> "request_timeout";
          case 413 -> "payload_too_large";
          case 414 -> "uri_too_long";
          case 431 -> "headers_too_large";
          default -> "bad_request";
        };
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(
              ContentTypes.APPLICATION_JSON,
              PLAIN_JSON.writeValueAsBytes(new Json.ErrorBody(code, summary)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an error body", e);
    }
  }

  /** Only for {@link #malformedRequest}: two strings need no configured mapper. */
  private static final ObjectMapper PLAIN_JSON = new ObjectMapper();
}
