package io.meridian.payment;

import com.typesafe.config.Config;
import io.meridian.metrics.Metrics;
import io.meridian.region.RegionService;
import io.meridian.user.User;
import io.meridian.user.UserGateway;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Critical writes (docs/design.md, Critical writes): a payment is acknowledged only after the owner
 * persisted it and another region's replica has applied it — by default the owner's failover
 * successor, so the region that would take over already has every acknowledged payment. The
 * confirmation is an ask over the cluster to that replica, which answers once it has the payment
 * ({@link User.AwaitPayment}).
 */
public final class PaymentService {

  /**
   * {@code meridian.payments.*}: the policy, how long a payment waits for confirmation, how long a
   * status read probes.
   */
  public record Settings(
      ConfirmationPolicy policy, Duration confirmTimeout, Duration statusProbeTimeout) {

    public static Settings fromConfig(Config meridian) {
      return new Settings(
          ConfirmationPolicy.fromConfig(meridian.getString("payments.confirmation")),
          meridian.getDuration("payments.confirm-timeout"),
          meridian.getDuration("payments.status-probe-timeout"));
    }
  }

  private final UserGateway gateway;
  private final RegionService regions;
  private final Settings settings;
  private final Metrics metrics;

  public PaymentService(
      UserGateway gateway, RegionService regions, Settings settings, Metrics metrics) {
    this.gateway = gateway;
    this.regions = regions;
    this.settings = settings;
    this.metrics = metrics;
  }

  /**
   * Records the payment at the user's owner and waits for the confirming regions (a retry with the
   * same id is applied once).
   */
  public CompletionStage<PaymentOutcome> pay(
      String userId, String paymentId, User.PaymentKind kind, BigDecimal amount) {
    if (regions.successorOf(gateway.region()).isEmpty()) {
      metrics.payment("refused_isolated");
      return done(new PaymentOutcome.NoOtherRegion(gateway.region()));
    }
    CompletionStage<PaymentOutcome> outcome =
        gateway
            .toOwner(
                userId,
                "payment",
                replyTo -> new User.RecordPayment(paymentId, kind, amount, replyTo))
            .thenCompose(
                recorded -> {
                  if (!(recorded.reply() instanceof User.Accepted accepted)) {
                    // insufficient_funds, payment_conflict, unknown_user, invalid;
                    // owner_unavailable while ownership moves.
                    metrics.payment(
                        recorded.reply() instanceof User.Rejected r
                            ? r.reason().name().toLowerCase(Locale.ROOT)
                            : "owner_unavailable");
                    return done(new PaymentOutcome.Refused(recorded.reply()));
                  }
                  String owner = accepted.user().owner();
                  return confirm(userId, paymentId, owner, settings.confirmTimeout())
                      .thenCompose(
                          confirmation -> {
                            metrics.payment(
                                confirmation.durable() ? "confirmed" : "not_durable_yet");
                            if (!confirmation.durable())
                              return done(
                                  new PaymentOutcome.NotConfirmedInTime(
                                      paymentId,
                                      owner,
                                      confirmation.result(),
                                      settings.confirmTimeout()));
                            // The confirming replica answered with the payment as it applied it
                            // from the owner's event: the answer, without asking the owner again,
                            // unless it is not the payment asked for (then as the owner has it).
                            User.Payment confirmed = confirmation.payment();
                            if (confirmed != null
                                && confirmed.kind() == kind
                                && confirmed.amount().compareTo(amount) == 0)
                              return done(
                                  new PaymentOutcome.Recorded(
                                      userId, paymentId, confirmed, owner, confirmation.result()));
                            return gateway
                                .askAt(
                                    userId,
                                    owner,
                                    replyTo -> new User.GetPayment(paymentId, replyTo))
                                .thenApply(
                                    found ->
                                        recordedOrRefused(
                                            userId, found, owner, confirmation.result()));
                          });
                });
    // No answer from the owner (timeout, region unavailable, no ownership quorum): the caller
    // answers it as unavailable.
    outcome.whenComplete(
        (result, failure) -> {
          if (failure != null) metrics.payment("unavailable");
        });
    return outcome;
  }

  /**
   * The payment as its owner has it, and whether the confirming regions have it now (asked
   * briefly).
   */
  public CompletionStage<PaymentOutcome> status(String userId, String paymentId) {
    return gateway
        .readFromOwner(userId)
        .thenCompose(
            read -> {
              if (!(read.reply() instanceof User.Accepted accepted))
                return done(new PaymentOutcome.Refused(read.reply()));
              String owner = accepted.user().owner();
              return gateway
                  .askAt(userId, owner, replyTo -> new User.GetPayment(paymentId, replyTo))
                  .thenCompose(
                      found -> {
                        if (!(found.reply() instanceof User.PaymentFound))
                          return done(new PaymentOutcome.Refused(found.reply()));
                        return confirm(userId, paymentId, owner, settings.statusProbeTimeout())
                            .thenApply(
                                confirmation ->
                                    recordedOrRefused(userId, found, owner, confirmation.result()));
                      });
            });
  }

  /**
   * Asks each confirming region's replica to answer once it has applied the payment and collects
   * who did in time. {@code any-other} is satisfied by the first confirmation; the others wait for
   * all answers (an unreachable region's ask fails at once: the gateway sends nothing there).
   */
  /**
   * Which regions confirmed, and the payment as the first of them answered with it (null if none
   * did).
   */
  private record Confirmed(Confirmation result, User.Payment payment) {
    boolean durable() {
      return result.durable();
    }
  }

  private CompletionStage<Confirmed> confirm(
      String userId, String paymentId, String owner, Duration timeout) {
    List<String> needed =
        settings.policy().confirmers(owner, regions.regions(), regions::isDeclaredDown);
    List<CompletableFuture<String>> asks = new ArrayList<>();
    AtomicReference<User.Payment> payment = new AtomicReference<>();
    for (String region : needed) {
      asks.add(
          gateway
              .askAt(userId, region, replyTo -> new User.AwaitPayment(paymentId, replyTo))
              .toCompletableFuture()
              .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
              .thenApply(
                  outcome -> {
                    if (outcome != null && outcome.reply() instanceof User.PaymentFound found) {
                      payment.compareAndSet(null, found.payment());
                      return region;
                    }
                    return null;
                  })
              .exceptionally(failure -> null));
    }
    CompletableFuture<Void> enough =
        CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new));
    if (settings.policy() == ConfirmationPolicy.ANY_OTHER) {
      CompletableFuture<Void> first = new CompletableFuture<>();
      for (var ask : asks)
        ask.thenAccept(
            region -> {
              if (region != null) first.complete(null);
            });
      enough.thenRun(() -> first.complete(null));
      enough = first;
    }
    return enough.thenApply(
        ignored ->
            new Confirmed(
                new Confirmation(
                    settings.policy(),
                    needed,
                    asks.stream()
                        .filter(CompletableFuture::isDone)
                        .map(CompletableFuture::join)
                        .filter(Objects::nonNull)
                        .toList()),
                payment.get()));
  }

  private static PaymentOutcome recordedOrRefused(
      String userId, UserGateway.Outcome found, String owner, Confirmation confirmation) {
    if (!(found.reply() instanceof User.PaymentFound payment))
      return new PaymentOutcome.Refused(found.reply());
    return new PaymentOutcome.Recorded(
        userId, payment.paymentId(), payment.payment(), owner, confirmation);
  }

  private static CompletionStage<PaymentOutcome> done(PaymentOutcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }
}
