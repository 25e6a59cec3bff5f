package io.meridian.http;

import io.meridian.metrics.Metrics;
import io.meridian.region.RegionService;
import io.meridian.user.User;
import io.meridian.user.UserGateway;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Critical writes (DESIGN §2): a payment is acknowledged (201) only after the owner persisted it and
 * another region's replica has applied it — by default the owner's failover successor, so the region
 * that would take over already has every acknowledged payment. The confirmation is an ask over the
 * cluster to that replica, which answers once it has the payment ({@link User.AwaitPayment}).
 */
final class PaymentRoutes implements UserRoutes.Payments {

  enum Policy { SUCCESSOR, ANY_OTHER, ALL }

  record Settings(Policy policy, Duration confirmTimeout, Duration statusProbeTimeout) {}

  /** What clients see about one payment. */
  record PaymentDocument(String userId, String paymentId, String kind, String amount, String status, String acceptedBy, long acceptedInEpoch, List<String> confirmedBy) {}

  private final UserGateway gateway;
  private final RegionService regions;
  private final ResponseMapper responses;
  private final Settings settings;
  private final Metrics metrics;

  PaymentRoutes(UserGateway gateway, RegionService regions, ResponseMapper responses, Settings settings, Metrics metrics) {
    this.gateway = gateway;
    this.regions = regions;
    this.responses = responses;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public CompletionStage<HttpResponse> pay(String userId, String paymentId, User.PaymentKind kind, BigDecimal amount) {
    if (regions.successorOf(gateway.region()).isEmpty()) {
      metrics.payment("refused_isolated");
      return done(responses.error(StatusCodes.SERVICE_UNAVAILABLE, "not_durable_yet",
          "region " + gateway.region() + " reaches no other region, so a payment could not be made durable in two regions; retry with the same paymentId", List.of()));
    }
    CompletionStage<HttpResponse> answer = gateway.owner(userId, "payment", replyTo -> new User.RecordPayment(paymentId, kind, amount, replyTo))
        .thenCompose(outcome -> {
          if (!(outcome.reply() instanceof User.Accepted accepted)) {
            // insufficient_funds, payment_conflict, unknown_user, invalid; owner_unavailable while ownership moves.
            metrics.payment(outcome.reply() instanceof User.Rejected r ? r.reason().name().toLowerCase(Locale.ROOT) : "owner_unavailable");
            return done(responses.reply(outcome.reply(), StatusCodes.CREATED));
          }
          String owner = accepted.user().owner();
          return confirm(userId, paymentId, owner, settings.confirmTimeout()).thenCompose(confirmation -> {
            metrics.payment(confirmation.durable() ? "confirmed" : "not_durable_yet");
            if (!confirmation.durable()) {
              return done(responses.error(StatusCodes.SERVICE_UNAVAILABLE, "not_durable_yet",
                  "payment " + paymentId + " is recorded by " + owner + " but " + confirmation.missing() + " did not confirm it within "
                      + settings.confirmTimeout().toMillis() + " ms; retrying with the same paymentId is safe",
                  List.of(RawHeader.create(ResponseMapper.OWNER_HEADER, owner))));
            }
            return gateway.askAt(userId, owner, replyTo -> new User.GetPayment(paymentId, replyTo))
                .thenApply(found -> paymentResponse(userId, found, StatusCodes.CREATED, confirmation, owner));
          });
        });
    // No answer from the owner (timeout, region unavailable, no ownership quorum): the route maps it to a 503.
    answer.whenComplete((response, failure) -> {
      if (failure != null) metrics.payment("unavailable");
    });
    return answer;
  }

  @Override
  public CompletionStage<HttpResponse> status(String userId, String paymentId) {
    return gateway.readFromOwner(userId).thenCompose(read -> {
      if (!(read.reply() instanceof User.Accepted accepted)) return done(responses.reply(read.reply(), StatusCodes.OK));
      String owner = accepted.user().owner();
      return gateway.askAt(userId, owner, replyTo -> new User.GetPayment(paymentId, replyTo)).thenCompose(found -> {
        if (!(found.reply() instanceof User.PaymentFound)) return done(responses.reply(found.reply(), StatusCodes.OK));
        return confirm(userId, paymentId, owner, settings.statusProbeTimeout())
            .thenApply(confirmation -> paymentResponse(userId, found, StatusCodes.OK, confirmation, owner));
      });
    });
  }

  /** Which regions had to confirm and which did in time; the policy decides whether that is durable. */
  private record Confirmation(Policy policy, List<String> needed, List<String> confirmedBy) {
    boolean durable() {
      if (confirmedBy.isEmpty()) return false;
      return policy != Policy.ALL || confirmedBy.containsAll(needed);
    }

    String missing() {
      List<String> missing = needed.stream().filter(r -> !confirmedBy.contains(r)).toList();
      return missing.isEmpty() ? "no other region" : "region(s) " + String.join(", ", missing);
    }
  }

  /**
   * The regions whose replica must have the payment, per policy. Only a region <em>declared</em> down
   * is passed over, never one that is merely unreachable from this node: the successor that confirms
   * must be the region that takes over the owner's users (takeover also skips only declared-down
   * regions), and reachability is one node's opinion. So while the successor is unreachable but not
   * declared down, {@code successor} answers 503 not_durable_yet instead of settling for a region
   * that would not take over; {@code all} waits for every region not declared down.
   */
  private List<String> confirmers(String owner) {
    return switch (settings.policy()) {
      case SUCCESSOR -> regions.regions().successorsOf(owner).stream().filter(r -> !regions.isDeclaredDown(r)).findFirst().map(List::of).orElse(List.of());
      case ANY_OTHER, ALL -> regions.regions().names().stream().filter(r -> !r.equals(owner) && !regions.isDeclaredDown(r)).toList();
    };
  }

  /**
   * Asks each confirming region's replica to answer once it has applied the payment and collects who
   * did in time. {@code any-other} is satisfied by the first confirmation; the others wait for all
   * answers (an unreachable region's ask fails at once: the gateway sends nothing there).
   */
  private CompletionStage<Confirmation> confirm(String userId, String paymentId, String owner, Duration timeout) {
    List<String> needed = confirmers(owner);
    List<CompletableFuture<String>> asks = new ArrayList<>();
    for (String region : needed) {
      asks.add(gateway.askAt(userId, region, replyTo -> new User.AwaitPayment(paymentId, replyTo))
          .toCompletableFuture()
          .completeOnTimeout(null, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
          .thenApply(outcome -> outcome != null && outcome.reply() instanceof User.PaymentFound ? region : null)
          .exceptionally(failure -> null));
    }
    CompletableFuture<Void> enough = CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new));
    if (settings.policy() == Policy.ANY_OTHER) {
      CompletableFuture<Void> first = new CompletableFuture<>();
      for (var ask : asks) ask.thenAccept(region -> { if (region != null) first.complete(null); });
      enough.thenRun(() -> first.complete(null));
      enough = first;
    }
    return enough.thenApply(ignored -> new Confirmation(settings.policy(), needed,
        asks.stream().filter(ask -> ask.isDone()).map(CompletableFuture::join).filter(r -> r != null).toList()));
  }

  private HttpResponse paymentResponse(String userId, UserGateway.Outcome found, org.apache.pekko.http.javadsl.model.StatusCode success, Confirmation confirmation, String owner) {
    if (!(found.reply() instanceof User.PaymentFound payment)) return responses.reply(found.reply(), success);
    User.Payment p = payment.payment();
    String status = confirmation.durable() ? "confirmed" : "pending_replication";
    var document = new PaymentDocument(userId, payment.paymentId(), p.kind().name().toLowerCase(Locale.ROOT), p.amount().toPlainString(), status, p.acceptedBy(), p.epoch(), confirmation.confirmedBy());
    List<HttpHeader> headers = List.of(RawHeader.create(ResponseMapper.OWNER_HEADER, owner));
    return responses.document(success, document, headers);
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
