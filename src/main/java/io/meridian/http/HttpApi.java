package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.meridian.metrics.Metrics;
import io.meridian.payment.PaymentService;
import io.meridian.region.RegionBoard;
import io.meridian.region.RegionService;
import io.meridian.user.UserGateway;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster HTTP API v1 (DESIGN §5) of one node: users, regions, admin and metrics, with one
 * error shape ({@code {"error","message"}}) for every refusal, including the ones Pekko HTTP's
 * routing produces (unknown path, wrong method), and {@code X-Meridian-Served-By} on every answer.
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  static final String SERVED_BY_HEADER = "X-Meridian-Served-By";

  public record Settings(String host, int port, long maxBodyBytes, String adminToken, PaymentService.Settings payments) {

    public static Settings fromConfig(com.typesafe.config.Config meridian) {
      var payments = PaymentService.Settings.fromConfig(meridian);
      return new Settings(meridian.getString("http.host"), meridian.getInt("http.port"), meridian.getBytes("http.max-body-bytes"), meridian.getString("admin-token"), payments);
    }
  }

  private final ActorSystem<?> system;
  private final Settings settings;
  private final ResponseMapper responses;
  private final RequestBody requestBody;
  private final UserRoutes users;
  private final PaymentRoutes payments;
  private final RegionBoard regions;
  private final Metrics metrics;
  private final String region;
  private final UserGateway gateway;

  public HttpApi(ActorSystem<?> system, Settings settings, UserGateway gateway, RegionService regions) {
    this.system = system;
    this.settings = settings;
    var json = new Json(JacksonObjectMapperProvider.get(system).getOrCreate("meridian-http", Optional.empty()));
    this.responses = new ResponseMapper(json);
    this.requestBody = new RequestBody(json, settings.maxBodyBytes());
    this.metrics = Metrics.get(system);
    this.users = new UserRoutes(gateway, requestBody, responses);
    this.payments = new PaymentRoutes(new PaymentService(gateway, regions, settings.payments(), metrics), requestBody, responses);
    this.regions = regions;
    this.region = gateway.region();
    this.gateway = gateway;
  }

  public CompletionStage<ServerBinding> bind() {
    return Http.get(system)
        .newServerAt(settings.host(), settings.port())
        .bind(route())
        .thenApply(binding -> {
          binding.addToCoordinatedShutdown(java.time.Duration.ofSeconds(5), system);
          log.info("HTTP API of region={} listening on {}", region, binding.localAddress());
          return binding;
        });
  }

  public Route route() {
    Route api = concat(
        pathPrefix("v1", () -> concat(users.route(), payments.route(), regionRoutes(), adminRoutes(), chaosRoutes())),
        path("metrics", () -> get(() -> complete(HttpResponse.create()
            .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape()))))));
    return mapResponse(
        response -> {
          metrics.httpResponse(response.status().intValue());
          return response.addHeader(RawHeader.create(SERVED_BY_HEADER, region));
        },
        () -> handleExceptions(exceptionHandler(), () -> handleRejections(rejectionHandler(), () -> api)));
  }

  private Route regionRoutes() {
    return path("regions", () -> get(() -> complete(responses.ok(Map.of("regions", regions.regionInfos(), "servedBy", region)))));
  }

  private Route adminRoutes() {
    return pathPrefix("admin", () -> path(
        PathMatchers.segment("regions").slash(PathMatchers.segment()).slash(PathMatchers.segment()),
        (target, action) -> post(() -> optionalHeaderValueByName("Authorization", auth -> {
          authorize(auth);
          String r = Validation.region(gateway.regions(), "region", target);
          CompletionStage<RegionBoard.RegionInfo> change = switch (action) {
            case "down" -> regions.declareDown(r, "operator");
            case "up" -> regions.declareUp(r, "operator");
            default -> throw new ApiError(StatusCodes.NOT_FOUND, "not_found", "use .../down or .../up");
          };
          return completeWithFuture(responses.recover(change.thenApply(responses::ok)));
        }))));
  }

  /**
   * Chaos-only ({@code ./meridian chaos}, docs/testing.md): {@code POST /v1/admin/chaos/blackhole|heal
   * {"from","to","direction"}} drops or restores this node's cluster traffic with region {@code to}.
   * Absent (404) unless {@code meridian.chaos.enabled = on}, which only the chaos tool sets.
   */
  private Route chaosRoutes() {
    if (!io.meridian.faults.Blackhole.enabled(system)) return reject();
    var blackhole = new io.meridian.faults.Blackhole(system);
    return pathPrefix("admin", () -> path(PathMatchers.segment("chaos").slash(PathMatchers.segment()), action ->
        post(() -> optionalHeaderValueByName("Authorization", auth -> {
          authorize(auth);
          return requestBody.json(body -> {
            Validation.onlyFields(body, java.util.Set.of("from", "to", "direction"));
            String from = Validation.region(gateway.regions(), "from", Validation.requiredText(body, "from"));
            String to = Validation.region(gateway.regions(), "to", Validation.requiredText(body, "to"));
            if (!from.equals(region)) throw ApiError.badRequest("invalid_field", "send this to a node of region " + from + "; this is " + region);
            String direction = Optional.ofNullable(Validation.optionalText(body, "direction")).orElse("both");
            if (!List.of("both", "send", "receive").contains(direction)) throw ApiError.badRequest("invalid_field", "direction must be both, send or receive");
            List<String> addresses = switch (action) {
              case "blackhole" -> blackhole.cut(to, io.meridian.faults.Blackhole.Direction.valueOf(direction.toUpperCase(java.util.Locale.ROOT)));
              case "heal" -> blackhole.heal(to);
              default -> throw new ApiError(StatusCodes.NOT_FOUND, "not_found", "use .../blackhole or .../heal");
            };
            return complete(responses.ok(Map.of("action", action, "from", from, "to", to, "direction", direction, "addresses", addresses)));
          });
        }))));
  }

  /** 401 without a bearer token, 403 with a wrong one (or when no admin token is configured). */
  private void authorize(Optional<String> authorization) {
    if (authorization.isEmpty() || !authorization.get().startsWith("Bearer ")) {
      throw new ApiError(StatusCodes.UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <admin token>");
    }
    String token = authorization.get().substring("Bearer ".length()).trim();
    boolean ok = !settings.adminToken().isEmpty()
        && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), settings.adminToken().getBytes(StandardCharsets.UTF_8));
    if (!ok) throw new ApiError(StatusCodes.FORBIDDEN, "forbidden", "the admin token is not valid");
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(ApiError.class, e -> complete(responses.error(e)))
        .match(EntityStreamSizeException.class, e -> complete(responses.error(requestBody.tooLarge())))
        .matchAny(e -> {
          Throwable cause = e.getCause();
          if (cause instanceof EntityStreamSizeException) return complete(responses.error(requestBody.tooLarge()));
          log.warn("request failed in region={}", region, e);
          return complete(responses.failure(e));
        })
        .build();
  }

  private RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, rejections -> complete(responses.error(StatusCodes.METHOD_NOT_ALLOWED, "method_not_allowed",
            "use " + rejections.stream().map(r -> r.supported().name()).distinct().toList(), List.of())))
        .handleNotFound(complete(responses.error(StatusCodes.NOT_FOUND, "not_found", "no such endpoint; see docs/api.md", List.of())))
        .handleAll(org.apache.pekko.http.javadsl.server.Rejection.class, rejections -> complete(responses.error(StatusCodes.BAD_REQUEST, "bad_request",
            "the request could not be handled: " + rejections.get(0), List.of())))
        .build();
  }
}
