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
  private final Json json;
  private final UserRoutes users;
  private final Settings settings;
  private final Metrics metrics;

  PaymentRoutes(UserGateway gateway, RegionService regions, Json json, UserRoutes users, Settings settings, Metrics metrics) {
    this.gateway = gateway;
    this.regions = regions;
    this.json = json;
    this.users = users;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public CompletionStage<HttpResponse> pay(String userId, String paymentId, User.PaymentKind kind, BigDecimal amount) {
    if (regions.successorOf(gateway.region()).isEmpty()) {
      metrics.payment("refused_isolated");
      return done(json.error(StatusCodes.SERVICE_UNAVAILABLE, "not_durable_yet",
          "region " + gateway.region() + " reaches no other region, so a payment could not be made durable in two regions; retry with the same paymentId", List.of()));
    }
    return gateway.owner(userId, "payment", replyTo -> new User.RecordPayment(paymentId, kind, amount, replyTo))
        .thenCompose(outcome -> {
          if (!(outcome.reply() instanceof User.Accepted accepted)) {
            if (outcome.reply() instanceof User.Rejected r && r.reason() == User.Reason.INSUFFICIENT_FUNDS) metrics.payment("insufficient_funds");
            return done(users.toResponse(outcome, StatusCodes.CREATED));
          }
          String owner = accepted.user().owner();
          return confirm(userId, paymentId, owner, settings.confirmTimeout()).thenCompose(confirmedBy -> {
            boolean durable = isDurable(owner, confirmedBy);
            metrics.payment(durable ? "confirmed" : "not_durable_yet");
            if (!durable) {
              return done(json.error(StatusCodes.SERVICE_UNAVAILABLE, "not_durable_yet",
                  "payment " + paymentId + " is recorded by " + owner + " but no other region confirmed it within " + settings.confirmTimeout().toMillis()
                      + " ms; retrying with the same paymentId is safe", List.of(RawHeader.create(UserRoutes.OWNER_HEADER, owner))));
            }
            return gateway.askAt(userId, owner, replyTo -> new User.GetPayment(paymentId, replyTo))
                .thenApply(found -> paymentResponse(userId, found, StatusCodes.CREATED, confirmedBy, owner));
          });
        });
  }

  @Override
  public CompletionStage<HttpResponse> status(String userId, String paymentId) {
    return gateway.readFromOwner(userId).thenCompose(read -> {
      if (!(read.reply() instanceof User.Accepted accepted)) return done(users.toResponse(read, StatusCodes.OK));
      String owner = accepted.user().owner();
      return gateway.askAt(userId, owner, replyTo -> new User.GetPayment(paymentId, replyTo)).thenCompose(found -> {
        if (!(found.reply() instanceof User.PaymentFound)) return done(users.toResponse(found, StatusCodes.OK));
        return confirm(userId, paymentId, owner, settings.statusProbeTimeout())
            .thenApply(confirmedBy -> paymentResponse(userId, found, StatusCodes.OK, confirmedBy, owner));
      });
    });
  }

  /** The regions whose replica must have the payment, per policy; empty when none can be asked. */
  private List<String> confirmers(String owner) {
    List<String> others = new ArrayList<>();
    for (String region : regions.regions().names()) if (!region.equals(owner) && regions.isAvailable(region)) others.add(region);
    return switch (settings.policy()) {
      case SUCCESSOR -> regions.successorOf(owner).filter(s -> !s.equals(owner)).map(List::of).orElse(List.of());
      case ANY_OTHER, ALL -> others;
    };
  }

  private boolean isDurable(String owner, List<String> confirmedBy) {
    List<String> needed = confirmers(owner);
    if (confirmedBy.isEmpty()) return false;
    return settings.policy() != Policy.ALL || confirmedBy.containsAll(needed);
  }

  /** Asks each confirming region's replica to answer once it has applied the payment; collects who did in time. */
  private CompletionStage<List<String>> confirm(String userId, String paymentId, String owner, Duration timeout) {
    List<CompletableFuture<String>> asks = new ArrayList<>();
    for (String region : confirmers(owner)) {
      asks.add(gateway.askAt(userId, region, replyTo -> new User.AwaitPayment(paymentId, replyTo))
          .toCompletableFuture()
          .completeOnTimeout(null, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
          .thenApply(outcome -> outcome != null && outcome.reply() instanceof User.PaymentFound ? region : null)
          .exceptionally(failure -> null));
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(ignored -> asks.stream().map(CompletableFuture::join).filter(r -> r != null).toList());
  }

  private HttpResponse paymentResponse(String userId, UserGateway.Outcome found, org.apache.pekko.http.javadsl.model.StatusCode success, List<String> confirmedBy, String owner) {
    if (!(found.reply() instanceof User.PaymentFound payment)) return users.toResponse(found, success);
    User.Payment p = payment.payment();
    String status = isDurable(owner, confirmedBy) ? "confirmed" : "pending_replication";
    var document = new PaymentDocument(userId, payment.paymentId(), p.kind().name().toLowerCase(Locale.ROOT), p.amount().toPlainString(), status, p.acceptedBy(), p.epoch(), confirmedBy);
    List<HttpHeader> headers = List.of(RawHeader.create(UserRoutes.OWNER_HEADER, owner));
    return json.response(success, document, headers);
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
