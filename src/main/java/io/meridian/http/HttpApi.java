package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.meridian.metrics.Metrics;
import io.meridian.payment.PaymentService;
import io.meridian.region.RegionService;
import io.meridian.user.UserGateway;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster HTTP API v1 (docs/api.md) of one node: the routes of each feature (users, payments,
 * regions and admin, chaos) and metrics, composed with one error shape ({@code
 * {"error","message"}}) for every refusal, including the ones Pekko HTTP's routing produces
 * (unknown path, wrong method), and {@code X-Meridian-Served-By} on every answer.
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  static final String SERVED_BY_HEADER = "X-Meridian-Served-By";

  public record Settings(
      String host,
      int port,
      long maxBodyBytes,
      CallerTokens callers,
      PaymentService.Settings payments) {

    public static Settings fromConfig(com.typesafe.config.Config meridian) {
      var payments = PaymentService.Settings.fromConfig(meridian);
      return new Settings(
          meridian.getString("http.host"),
          meridian.getInt("http.port"),
          meridian.getBytes("http.max-body-bytes"),
          CallerTokens.fromConfig(meridian),
          payments);
    }
  }

  private final ActorSystem<?> system;
  private final Settings settings;
  private final ResponseMapper responses;
  private final RequestBody requestBody;
  private final UserRoutes users;
  private final PaymentRoutes payments;
  private final RegionRoutes regions;
  private final OperatorConsole operatorConsole;
  private final ChaosRoutes chaos;
  private final ContractRoutes contract = new ContractRoutes();
  private final CohortRoutes cohortRoutes;
  private final CallerAuthorization callers;
  private final CallerRateLimit rateLimit;
  private final Metrics metrics;
  private final String region;

  public HttpApi(
      ActorSystem<?> system, Settings settings, UserGateway gateway, RegionService regionService) {
    this(system, settings, gateway, regionService, null);
  }

  /**
   * @param ownershipJournal reads the journals for the console's ownership views, census and drills
   *     (issue 16); null: those answer 503 or leave their fields out
   */
  public HttpApi(
      ActorSystem<?> system,
      Settings settings,
      UserGateway gateway,
      RegionService regionService,
      io.meridian.region.OwnershipJournal ownershipJournal) {
    this(system, settings, gateway, regionService, ownershipJournal, null);
  }

  /**
   * @param cohorts the follow-the-sun cohorts (issue 17); null: no cohorts here (a user's cohort is
   *     unknown, the admin cohort routes answer 404)
   */
  public HttpApi(
      ActorSystem<?> system,
      Settings settings,
      UserGateway gateway,
      RegionService regionService,
      io.meridian.region.OwnershipJournal ownershipJournal,
      io.meridian.cohort.CohortPlacement cohorts) {
    this.system = system;
    this.settings = settings;
    var json =
        new Json(
            JacksonObjectMapperProvider.get(system).getOrCreate("meridian-http", Optional.empty()));
    this.responses = new ResponseMapper(json);
    this.requestBody = new RequestBody(json, settings.maxBodyBytes());
    this.metrics = Metrics.get(system);
    this.users = new UserRoutes(gateway, requestBody, responses, cohorts);
    this.cohortRoutes = cohorts == null ? null : new CohortRoutes(cohorts, requestBody, responses);
    this.payments =
        new PaymentRoutes(
            new PaymentService(gateway, regionService, settings.payments(), metrics),
            requestBody,
            responses);
    this.region = gateway.region();
    var console = system.settings().config().getConfig("meridian.console");
    var lagMatrix = io.meridian.region.LagMatrix.start(system, gateway.regions(), gateway.region());
    var drills =
        ownershipJournal == null
            ? null
            : new io.meridian.region.RegionDrills(regionService, gateway, ownershipJournal);
    this.regions =
        new RegionRoutes(
            regionService,
            gateway.regions(),
            region,
            responses,
            regionService,
            ownershipJournal,
            lagMatrix);
    this.operatorConsole =
        new OperatorConsole(
            new ConsoleRoutes(),
            new EventRoutes(
                new EventFeed(system, regionService, drills),
                JacksonObjectMapperProvider.get(system)
                    .getOrCreate("meridian-http", Optional.empty()),
                responses),
            new OwnershipRoutes(gateway, ownershipJournal, requestBody, responses),
            drills == null
                ? null
                : new DrillRoutes(
                    drills,
                    gateway.regions(),
                    requestBody,
                    responses,
                    console.getInt("drill-users"),
                    console.getDuration("drill-step-timeout")));
    this.chaos = new ChaosRoutes(system, gateway.regions(), region, requestBody, responses);
    this.callers = new CallerAuthorization(settings.callers(), responses);
    this.rateLimit =
        new CallerRateLimit(
            CallerRateLimit.Settings.fromConfig(system.settings().config().getConfig("meridian")),
            System::nanoTime,
            responses);
    if (settings.callers().isEmpty())
      log.warn(
          "HTTP API of region={}: no callers configured (meridian.api, meridian.admin-token):"
              + " every /v1 request is answered 401",
          region);
    else log.info("HTTP API of region={} callers: {}", region, settings.callers().describe());
  }

  /**
   * Binds the API: HTTPS when {@code meridian.http.tls.enabled} (key store read now, so a bad one
   * stops the node at start). On shutdown the port is unbound in phase service-unbind, after
   * readiness went false and {@code meridian.http.shutdown.unready-delay} passed (cluster.Node);
   * requests in flight then get up to {@code meridian.http.shutdown.drain-deadline} to be answered
   * (phase service-requests-done, pekko-http's ServerBinding.terminate), before the node hands its
   * users over and leaves the cluster.
   */
  public CompletionStage<ServerBinding> bind() {
    com.typesafe.config.Config http = system.settings().config().getConfig("meridian.http");
    var tls = ServerTls.Settings.fromConfig(http.getConfig("tls"));
    var server = Http.get(system).newServerAt(settings.host(), settings.port());
    if (tls.enabled()) server = server.enableHttps(ServerTls.start(tls).connectionContext());
    java.time.Duration drainDeadline = http.getDuration("shutdown.drain-deadline");
    return server
        .bind(route())
        .thenApply(
            binding -> {
              binding.addToCoordinatedShutdown(drainDeadline, system);
              log.info(
                  "HTTP API of region={} listening on {} ({})",
                  region,
                  binding.localAddress(),
                  tls.enabled() ? "HTTPS" : "plain HTTP");
              return binding;
            });
  }

  public Route route() {
    Route api =
        concat(
            pathPrefix(
                "v1",
                () ->
                    rateLimit.limit(
                        () ->
                            callers.authorize(
                                caller ->
                                    concat(
                                        users.route(),
                                        payments.route(),
                                        regions.route(),
                                        chaos.route(),
                                        contract.route(),
                                        cohortRoutes == null ? reject() : cohortRoutes.route(),
                                        operatorConsole.apiRoute())))),
            operatorConsole.pageRoute(),
            path(
                "metrics",
                () ->
                    get(
                        () ->
                            complete(
                                HttpResponse.create()
                                    .withEntity(
                                        HttpEntities.create(
                                            ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape()))))));
    return mapResponse(
        response -> {
          metrics.httpResponse(response.status().intValue());
          return response.addHeader(RawHeader.create(SERVED_BY_HEADER, region));
        },
        () ->
            withRequestTimeoutResponse(
                responses::requestTimedOut,
                () ->
                    handleExceptions(
                        exceptionHandler(),
                        () -> handleRejections(rejectionHandler(), () -> api))));
  }

  private ExceptionHandler exceptionHandler() {
    return new RequestErrors(responses, requestBody, region).exceptions();
  }

  private RejectionHandler rejectionHandler() {
    return new RequestErrors(responses, requestBody, region).rejections();
  }
}
