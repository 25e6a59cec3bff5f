package io.meridian.region;

import io.meridian.user.User;
import io.meridian.user.UserGateway;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One region drill (issue 16): down → re-home → up → hand back, run by a node of another region,
 * each step waited for and timed, while the drill writes payments to users of its own (homed in the
 * drilled region) and at the end checks that every payment it got acknowledged is in every region.
 * Started and watched through {@link RegionDrills}; {@code ./meridian drill} and the console use it
 * over HTTP.
 *
 * <p>Runs on a thread of its own and waits by looking again every {@link #POLL}: every step waits
 * for something another node does (a declaration, a sweep, a process that restarts), bounded by
 * {@code stepTimeout}.
 */
final class RegionDrill implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(RegionDrill.class);
  static final Duration POLL = Duration.ofMillis(200);
  static final List<String> STEPS =
      List.of("prepare", "down", "re-home", "up", "hand back", "verify");

  private final String id;
  private final String region;
  private final String successor;
  private final int userCount;
  private final Duration stepTimeout;
  private final RegionService regionService;
  private final UserGateway gateway;
  private final OwnershipJournal journal;
  private final Consumer<RegionDrills.Progress> onProgress;
  private final long startedAt = System.currentTimeMillis();
  private final List<RegionDrills.Step> steps = new ArrayList<>();
  private final List<String> users = new ArrayList<>();
  private final ConcurrentLinkedQueue<String[]> acknowledged = new ConcurrentLinkedQueue<>();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private volatile boolean writing;
  private volatile String status = "running";
  private volatile String message = "";
  private volatile Long finishedAt;
  private volatile long usersMoved = -1;
  private volatile long usersHandedBack = -1;
  private volatile long lost;
  private final List<String> lostExamples = new ArrayList<>();

  RegionDrill(
      String id,
      String region,
      String successor,
      int userCount,
      Duration stepTimeout,
      RegionService regionService,
      UserGateway gateway,
      OwnershipJournal journal,
      Consumer<RegionDrills.Progress> onProgress) {
    this.id = id;
    this.region = region;
    this.successor = successor;
    this.userCount = userCount;
    this.stepTimeout = stepTimeout;
    this.regionService = regionService;
    this.gateway = gateway;
    this.journal = journal;
    this.onProgress = onProgress;
    for (String name : STEPS) steps.add(new RegionDrills.Step(name, "pending", null, null, ""));
  }

  synchronized RegionDrills.Progress progress() {
    return new RegionDrills.Progress(
        id,
        region,
        successor,
        regionService.ownRegion(),
        status,
        startedAt,
        finishedAt,
        List.copyOf(steps),
        usersMoved,
        usersHandedBack,
        new RegionDrills.Writes(
            sent.get(), acknowledged.size(), failed.get(), lost, List.copyOf(lostExamples)),
        message);
  }

  boolean finished() {
    return finishedAt != null;
  }

  @Override
  public void run() {
    Thread writer = null;
    try {
      Map<String, Long> before =
          step(
              "prepare",
              () -> {
                var census = journal.freshCensus().toCompletableFuture().get(60, TimeUnit.SECONDS);
                for (int i = 0; i < userCount; i++) users.add("drill-" + id + "-" + i);
                for (String user : users) await(gateway.create(user, region));
                return census.ownedUsers();
              },
              census ->
                  userCount
                      + " drill users homed in "
                      + region
                      + "; "
                      + region
                      + " owned "
                      + census.getOrDefault(region, 0L)
                      + " users");
      writing = true;
      writer = new Thread(this::writeWhileDrilling, "drill-" + id + "-writes");
      writer.setDaemon(true);
      writer.start();
      step(
          "down",
          () -> await(regionService.declareDown(region, "drill " + id)),
          info -> region + " declared down from " + regionService.ownRegion());
      Map<String, Long> rehomed =
          step(
              "re-home",
              () -> {
                waitUntil("drill users owned by " + successor, () -> allOwnedBy(successor));
                return waitForCensus(counts -> counts.getOrDefault(region, 0L) == 0);
              },
              counts -> {
                usersMoved = before.getOrDefault(region, 0L) - counts.getOrDefault(region, 0L);
                return usersMoved + " users moved from " + region + " to " + successor;
              });
      step(
          "up",
          () -> {
            waitUntil(
                region + " back (its members up and reachable)",
                () -> !regionService.isDeclaredDown(region) || regionService.isReachable(region));
            if (regionService.isDeclaredDown(region))
              await(regionService.declareUp(region, "drill " + id));
            return null;
          },
          ignored -> region + " declared up");
      step(
          "hand back",
          () -> {
            waitUntil("drill users owned by " + region, () -> allOwnedBy(region));
            return waitForCensus(
                counts -> counts.getOrDefault(region, 0L) >= before.getOrDefault(region, 0L));
          },
          counts -> {
            usersHandedBack = counts.getOrDefault(region, 0L) - rehomed.getOrDefault(region, 0L);
            return usersHandedBack + " users handed back to " + region;
          });
      writing = false;
      writer.join(stepTimeout.toMillis());
      step("verify", this::verify, missing -> verifiedText());
      status = lost == 0 ? "passed" : "failed";
      message =
          lost == 0
              ? "no acknowledged write lost"
              : lost + " acknowledged payments missing in some region";
    } catch (StepFailed e) {
      status = "failed";
      message = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status = "failed";
      message = "interrupted";
    } finally {
      writing = false;
      finishedAt = System.currentTimeMillis();
      log.info(
          "drill id={} region={} by region={}: {} ({})",
          id,
          region,
          regionService.ownRegion(),
          status,
          message);
      onProgress.accept(progress());
    }
  }

  private String verifiedText() {
    return acknowledged.size()
        + " acknowledged payments checked in every region, "
        + lost
        + " missing";
  }

  // ---------------------------------------------------------------- steps

  private interface Action<T> {
    T run() throws Exception;
  }

  private static final class StepFailed extends Exception {
    StepFailed(String message) {
      super(message, null, false, false);
    }
  }

  private <T> T step(String name, Action<T> action, java.util.function.Function<T, String> detail)
      throws StepFailed, InterruptedException {
    long start = System.currentTimeMillis();
    setStep(name, "running", start, null, "");
    try {
      T result = action.run();
      setStep(name, "done", start, System.currentTimeMillis() - start, detail.apply(result));
      return result;
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
      String why = cause.getMessage() == null ? cause.toString() : cause.getMessage();
      setStep(name, "failed", start, System.currentTimeMillis() - start, why);
      throw new StepFailed(name + " failed: " + why);
    }
  }

  private void setStep(String name, String state, long start, Long took, String detail) {
    synchronized (this) {
      steps.set(STEPS.indexOf(name), new RegionDrills.Step(name, state, start, took, detail));
      message = name + ": " + state + (detail.isEmpty() ? "" : " (" + detail + ")");
    }
    log.info("drill id={} region={} step={} {} {}", id, region, name, state, detail);
    onProgress.accept(progress());
  }

  private void waitUntil(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + stepTimeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline)
        throw new IllegalStateException("not within " + stepTimeout.toSeconds() + " s: " + what);
      Thread.sleep(POLL.toMillis());
    }
  }

  private Map<String, Long> waitForCensus(java.util.function.Predicate<Map<String, Long>> done)
      throws Exception {
    long deadline = System.nanoTime() + stepTimeout.toNanos();
    while (true) {
      var census = journal.freshCensus().toCompletableFuture().get(60, TimeUnit.SECONDS);
      if (done.test(census.ownedUsers()) || System.nanoTime() > deadline)
        return census.ownedUsers();
      Thread.sleep(POLL.toMillis() * 5);
    }
  }

  private boolean allOwnedBy(String owner) {
    for (String user : users) {
      try {
        var outcome = await(gateway.askAt(user, regionService.ownRegion(), User.Get::new));
        if (!(outcome.reply() instanceof User.Accepted a) || !owner.equals(a.user().owner()))
          return false;
      } catch (Exception e) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- writes and their check

  /**
   * One payment after another, round robin over the drill users, through the owner wherever it is;
   * an acknowledged one (the owner persisted it) must be in every region at the end.
   */
  private void writeWhileDrilling() {
    Semaphore inFlight = new Semaphore(4);
    long n = 0;
    while (writing) {
      try {
        if (!inFlight.tryAcquire(1, TimeUnit.SECONDS)) continue;
        String user = users.get((int) (n % users.size()));
        String paymentId = "w-" + n++;
        sent.incrementAndGet();
        gateway
            .toOwner(
                user,
                "drill-payment",
                replyTo ->
                    new User.RecordPayment(
                        paymentId, User.PaymentKind.CREDIT, new BigDecimal("1.00"), replyTo))
            .whenComplete(
                (outcome, failure) -> {
                  inFlight.release();
                  if (outcome != null && outcome.reply() instanceof User.Accepted)
                    acknowledged.add(new String[] {user, paymentId});
                  else failed.incrementAndGet();
                });
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Every acknowledged payment, asked of every region's replica; a replica that does not answer yet
   * (a returned region's replicas catch up before they answer) is asked again until {@code
   * stepTimeout}: only a payment still not found then counts as lost.
   */
  private Long verify() throws Exception {
    long deadline = System.nanoTime() + stepTimeout.toNanos();
    Semaphore parallel = new Semaphore(16);
    List<CompletableFuture<Void>> checks = new ArrayList<>();
    for (String[] payment : acknowledged) {
      for (String where : regionService.regions().names()) {
        parallel.acquire();
        checks.add(
            found(payment[0], payment[1], where, deadline)
                .thenAccept(
                    found -> {
                      parallel.release();
                      if (!found) missing(payment[0] + "/" + payment[1] + " not in " + where);
                    }));
      }
    }
    CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).join();
    return lost;
  }

  private CompletableFuture<Boolean> found(
      String user, String paymentId, String region, long deadlineNanos) {
    return gateway
        .askAt(user, region, replyTo -> new User.AwaitPayment(paymentId, replyTo))
        .toCompletableFuture()
        .handle(
            (outcome, failure) -> outcome != null && outcome.reply() instanceof User.PaymentFound)
        .thenCompose(
            found ->
                found || System.nanoTime() > deadlineNanos
                    ? CompletableFuture.completedFuture(found)
                    : CompletableFuture.supplyAsync(
                            () -> null,
                            CompletableFuture.delayedExecutor(
                                POLL.toMillis() * 5, TimeUnit.MILLISECONDS))
                        .thenCompose(ignored -> found(user, paymentId, region, deadlineNanos)));
  }

  private synchronized void missing(String what) {
    lost++;
    if (lostExamples.size() < 10) lostExamples.add(what);
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
