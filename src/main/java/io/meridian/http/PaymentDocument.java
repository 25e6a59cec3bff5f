package io.meridian.http;

import io.meridian.payment.PaymentOutcome;
import java.util.List;
import java.util.Locale;

/**
 * What clients see about one payment (docs/api.md); {@code status} is {@code confirmed} or {@code
 * pending_replication}.
 */
record PaymentDocument(
    String userId,
    String paymentId,
    String kind,
    String amount,
    String status,
    String acceptedBy,
    long acceptedInEpoch,
    List<String> confirmedBy) {

  static PaymentDocument of(PaymentOutcome.Recorded recorded) {
    var payment = recorded.payment();
    return new PaymentDocument(
        recorded.userId(),
        recorded.paymentId(),
        payment.kind().name().toLowerCase(Locale.ROOT),
        payment.amount().toPlainString(),
        recorded.confirmation().durable() ? "confirmed" : "pending_replication",
        payment.acceptedBy(),
        payment.epoch(),
        recorded.confirmation().confirmedBy());
  }
}
