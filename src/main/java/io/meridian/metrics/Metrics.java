package io.meridian.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * One Prometheus registry per actor system (so three regions in one test JVM keep their figures
 * apart), served at {@code GET /metrics}. Names follow Prometheus conventions: {@code meridian_*}.
 */
public final class Metrics implements Extension {

  private static final ExtensionId<Metrics> ID =
      new ExtensionId<>() {
        @Override
        public Metrics createExtension(ActorSystem<?> system) {
          return new Metrics(system);
        }
      };

  public static Metrics get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final String region;

  /**
   * Meters on the hot paths (an event applied, a command answered), built once per tag set: a
   * builder per call rebuilt the meter's id and looked it up in the registry each time, which
   * showed in a region's CPU profile (docs/benchmarks.md).
   */
  private final Map<String, Timer> lagTimers = new ConcurrentHashMap<>();

  private final Map<String, Timer> commandTimers = new ConcurrentHashMap<>();

  /** Newest replication lag seen per origin region, for GET /v1/regions. */
  private final Map<String, AtomicLong> lastLagMillis = new ConcurrentHashMap<>();

  private Metrics(ActorSystem<?> system) {
    this.region = system.settings().config().getString("meridian.region");
    registry.config().commonTags("region", region);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public String scrape() {
    return registry.scrape();
  }

  /**
   * An event that originated in {@code origin} was applied here {@code lagMillis} after it was
   * decided.
   */
  public void replicationLag(String origin, long lagMillis) {
    long lag = Math.max(0, lagMillis);
    lagTimers
        .computeIfAbsent(
            origin,
            o ->
                Timer.builder("meridian_replication_lag")
                    .description(
                        "Origin's decision (just before its persist) to applied in this region, by origin region")
                    .tag("origin", o)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(60))
                    .register(registry))
        .record(Duration.ofMillis(lag));
    lastLagMillis.computeIfAbsent(origin, o -> new AtomicLong()).set(lag);
  }

  public Map<String, Long> lastLagMillis() {
    var copy = new java.util.TreeMap<String, Long>();
    lastLagMillis.forEach((origin, lag) -> copy.put(origin, lag.get()));
    return copy;
  }

  public void eventPersisted(String eventType) {
    Counter.builder("meridian_events_persisted")
        .tag("type", eventType)
        .register(registry)
        .increment();
  }

  public void ownershipChanged(String reason) {
    Counter.builder("meridian_ownership_changes")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /**
   * A command that got no reply at all (ask timeout, region known to be unavailable, no ownership
   * quorum): not in {@code meridian_command_latency}, which times answered commands only.
   */
  public void commandFailed(String type, Throwable failure) {
    Throwable cause =
        failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    Counter.builder("meridian_command_failures")
        .description("Commands that got no reply, by cause")
        .tag("command", type)
        .tag("cause", cause.getClass().getSimpleName())
        .register(registry)
        .increment();
  }

  public void command(String type, boolean forwarded, Duration latency) {
    String path = forwarded ? "forwarded" : "local";
    commandTimers
        .computeIfAbsent(
            type + "/" + path,
            key ->
                Timer.builder("meridian_command_latency")
                    .tag("command", type)
                    .tag("path", path)
                    .publishPercentiles(0.5, 0.95, 0.99)
                    .register(registry))
        .record(latency);
  }

  public void httpResponse(int status) {
    Counter.builder("meridian_http_responses")
        .tag("status", Integer.toString(status))
        .register(registry)
        .increment();
  }

  public void payment(String outcome) {
    Counter.builder("meridian_payments").tag("outcome", outcome).register(registry).increment();
  }

  /**
   * {@code meridian_region_status{of}}, read at scrape time from this node's view: 2 up, 1 suspect
   * (not declared down, but unreachable from here or without Up members), 0 declared down.
   */
  public void regionStatusSource(String region, java.util.function.Supplier<String> status) {
    io.micrometer.core.instrument.Gauge.builder(
            "meridian_region_status",
            () ->
                switch (status.get()) {
                  case "down" -> 0;
                  case "suspect" -> 1;
                  default -> 2;
                })
        .description("2 up, 1 suspect, 0 declared down (as this node sees the region)")
        .tag("of", region)
        .register(registry);
  }

  /** A follow-the-sun hand-off moved one user here, taking {@code took} from ask to applied. */
  public void cohortUserMoved(String cohort, Duration took) {
    Counter.builder("meridian_cohort_users_moved")
        .description("users moved by scheduled hand-offs, by cohort, counted by the new owner")
        .tag("cohort", cohort)
        .register(registry)
        .increment();
    Timer.builder("meridian_cohort_user_move")
        .description("one scheduled move: from the new owner's ask to its replica applying it")
        .publishPercentileHistogram()
        .register(registry)
        .record(took);
  }

  /** A cohort's hand-off completed, {@code afterBoundary} after its boundary. */
  public void cohortHandOffDone(String cohort, Duration afterBoundary) {
    Timer.builder("meridian_cohort_hand_off")
        .description("from a boundary to every member owned by the new region")
        .tag("cohort", cohort)
        .publishPercentileHistogram()
        .register(registry)
        .record(afterBoundary);
  }

  /**
   * A single-writer write answered 503 {@code owner_unavailable}: it met an ownership change in
   * flight (a move, a scheduled hand-off, a takeover) and was refused, to be retried.
   */
  public void writeRefusedWhileOwnershipMoves() {
    Counter.builder("meridian_writes_refused_ownership_moving")
        .description("single-writer writes refused (503, retryable) while ownership moved")
        .register(registry)
        .increment();
  }

  public void overdraftFlagged() {
    Counter.builder("meridian_overdrafts_flagged").register(registry).increment();
  }
}
