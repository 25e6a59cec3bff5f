/**
 * Critical writes (docs/design.md, Critical writes): the payment confirmation protocol. A payment
 * is recorded by the user's owner and acknowledged only once the region(s) that the {@link
 * io.meridian.payment.ConfirmationPolicy} names have applied it, so an acknowledged payment
 * survives the loss of any one region; a payment's status is computed on read the same way
 * (docs/decisions.md, "Payments: confirmation is an ask to the other replica, status is computed on
 * read").
 *
 * <p>Owns: which regions must confirm ({@link io.meridian.payment.ConfirmationPolicy}), asking them
 * and collecting who did in time ({@link io.meridian.payment.PaymentService}), and the closed set
 * of answers ({@link io.meridian.payment.PaymentOutcome}). It says nothing about HTTP: {@code
 * io.meridian.http} validates requests, calls {@link io.meridian.payment.PaymentService} and maps
 * each outcome to a response.
 *
 * <p>May use: {@code io.meridian.user} (the entity's payment commands, through the {@link
 * io.meridian.user.UserGateway}), {@code io.meridian.region} (which regions are declared down) and
 * the leaves ({@code topology} for the failover order, {@code metrics}). Never {@code http}, {@code
 * cluster} or the tools. Failures of the cluster path (a region unavailable, ownership unconfirmed,
 * an ask that timed out) are passed on as they come, as failed stages.
 */
package io.meridian.payment;
