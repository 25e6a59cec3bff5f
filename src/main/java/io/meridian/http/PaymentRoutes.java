package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.payment.PaymentOutcome;
import io.meridian.payment.PaymentService;
import io.meridian.user.User;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/users/{id}/payments...}: docs/api.md. Validation first, then one call into the {@link
 * PaymentService}, whose outcome the {@link ResponseMapper} answers: 201 (200 for a status read)
 * once durable, 503 {@code not_durable_yet} when it could not be confirmed in time.
 */
final class PaymentRoutes {
  private final PaymentService payments;
  private final RequestBody requestBody;
  private final ResponseMapper responses;

  PaymentRoutes(PaymentService payments, RequestBody requestBody, ResponseMapper responses) {
    this.payments = payments;
    this.requestBody = requestBody;
    this.responses = responses;
  }

  Route route() {
    return pathPrefix(
        "users",
        () ->
            pathPrefix(
                PathMatchers.segment(),
                rawUserId -> {
                  String userId = Validation.id("userId", rawUserId);
                  return concat(
                      path(
                          "payments",
                          () -> post(() -> requestBody.json(body -> pay(userId, body)))),
                      path(
                          PathMatchers.segment("payments").slash(PathMatchers.segment()),
                          rawPaymentId ->
                              get(
                                  () ->
                                      answer(
                                          payments.status(
                                              userId, Validation.id("paymentId", rawPaymentId)),
                                          StatusCodes.OK))));
                }));
  }

  private Route pay(String userId, ObjectNode body) {
    Validation.onlyFields(body, Set.of("paymentId", "kind", "amount"));
    String paymentId = Validation.id("paymentId", Validation.requiredText(body, "paymentId"));
    String kindText = Validation.requiredText(body, "kind");
    User.PaymentKind kind =
        switch (kindText) {
          case "credit" -> User.PaymentKind.CREDIT;
          case "debit" -> User.PaymentKind.DEBIT;
          default ->
              throw ApiError.badRequest(
                  "invalid_field", "field 'kind' must be 'credit' or 'debit'");
        };
    var amount = Validation.amount(body);
    return answer(payments.pay(userId, paymentId, kind, amount), StatusCodes.CREATED);
  }

  private Route answer(CompletionStage<PaymentOutcome> outcome, StatusCode success) {
    return completeWithFuture(
        responses.recover(outcome.thenApply(o -> responses.payment(o, success))));
  }
}
