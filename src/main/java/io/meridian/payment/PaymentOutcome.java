package io.meridian.payment;

import io.meridian.user.User;
import java.time.Duration;

/**
 * What a payment request or a payment status read comes to. Failures of the cluster path (no answer
 * from the owner, a region unavailable, ownership unconfirmed) are not outcomes: the stage fails
 * with the gateway's exception, as for any other command.
 */
public sealed interface PaymentOutcome {

  /**
   * The owner has the payment, and {@code confirmation} says which other regions had applied it in
   * time. A payment request only ends here once the confirmation is durable; a status read also
   * when it is not (the payment is then pending replication).
   */
  record Recorded(
      String userId,
      String paymentId,
      User.Payment payment,
      String owner,
      Confirmation confirmation)
      implements PaymentOutcome {}

  /**
   * Refused before anything was sent: this region reaches no other region (no successor it could
   * fail over to), so no payment recorded here could be made durable in two regions.
   */
  record NoOtherRegion(String region) implements PaymentOutcome {
    public String message() {
      return "region "
          + region
          + " reaches no other region, so a payment could not be made durable in two regions; retry with the same paymentId";
    }
  }

  /**
   * Recorded by the owner, but the confirming regions did not all confirm within {@code timeout}; a
   * retry with the same id is safe.
   */
  record NotConfirmedInTime(
      String paymentId, String owner, Confirmation confirmation, Duration timeout)
      implements PaymentOutcome {
    public String message() {
      return "payment "
          + paymentId
          + " is recorded by "
          + owner
          + " but "
          + confirmation.missing()
          + " did not confirm it within "
          + timeout.toMillis()
          + " ms; retrying with the same paymentId is safe";
    }
  }

  /**
   * The user's replica answered instead of with the payment: a rejection (unknown user or payment,
   * insufficient funds, a conflicting payment with the same id, invalid) or {@link User.NotOwner}
   * while ownership moves. Shown as any other reply of the user entity.
   */
  record Refused(User.Reply reply) implements PaymentOutcome {}
}
