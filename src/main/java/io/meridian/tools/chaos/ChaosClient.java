package io.meridian.tools.chaos;

import io.meridian.client.ApiRequest;
import io.meridian.client.Requests;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One client of the workload: a seeded mix of every operation, each to a random region, at a fixed
 * pace, until told to stop. Written values are unique (display names like {@code c2-17}, points
 * deltas and payment ids from a per-user sequence), so the checker can tell which writes landed.
 *
 * <p>Every operation goes through the Java client ({@link RecordingClient#call(int, String, String,
 * Map, ApiRequest)}), which retries on another region after a failure: writes with an
 * Idempotency-Key of their own ({@code chaos-c<client>-<n>}), payments with their paymentId. One
 * line of the history per operation, however many attempts it took.
 */
public final class ChaosClient implements Runnable {
  static final List<String> DEVICES = List.of("d0", "d1", "d2");

  private final int index;
  private final Random random;
  private final RecordingClient requests;
  private final List<String> regions;
  private final List<WorkloadUser> users;
  private final long intervalNanos;
  private final BooleanSupplier running;
  private long sequence;
  private long keys;

  public ChaosClient(
      int index,
      long seed,
      RecordingClient requests,
      List<String> regions,
      List<WorkloadUser> users,
      double opsPerSecond,
      BooleanSupplier running) {
    this.index = index;
    this.random = new Random(FaultPlan.mix(seed * 31 + index));
    this.requests = requests;
    this.regions = List.copyOf(regions);
    this.users = List.copyOf(users);
    this.intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / Math.max(0.01, opsPerSecond));
    this.running = running;
  }

  @Override
  public void run() {
    long next = System.nanoTime();
    while (running.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
      long wait = next - System.nanoTime();
      // Pacing, not synchronisation: the client sends at its share of --rate.
      if (wait > 0) LockSupport.parkNanos(wait);
      if (!running.getAsBoolean()) return;
      next = Math.max(next + intervalNanos, System.nanoTime() - intervalNanos);
      step();
    }
  }

  /** One operation of the mix. */
  void step() {
    WorkloadUser user = users.get(random.nextInt(users.size()));
    String id = user.userId();
    String region = regions.get(random.nextInt(regions.size()));
    int dice = random.nextInt(100);
    if (dice < 18) {
      requests.call(index, region, "read", Map.of("userId", id), Requests.user(id));
    } else if (dice < 36) {
      String field = List.of("displayName", "email", "locale").get(random.nextInt(3));
      String tag = "c" + index + "-" + (++sequence);
      String value =
          switch (field) {
            case "displayName" -> tag;
            case "email" -> tag + "@example.org";
            default -> "en-c" + index + "-s" + sequence;
          };
      requests.call(
          index,
          region,
          "profile",
          Map.of("userId", id, "field", field, "value", value),
          Requests.updateProfile(id, Map.of(field, value), key()));
    } else if (dice < 56) {
      long delta = user.next();
      requests.call(
          index,
          region,
          "points",
          Map.of("userId", id, "delta", Long.toString(delta)),
          Requests.adjustPoints(id, delta, key()));
    } else if (dice < 66) {
      String device = DEVICES.get(random.nextInt(DEVICES.size()));
      requests.call(
          index,
          region,
          "device-add",
          Map.of("userId", id, "deviceId", device),
          Requests.addDevice(id, device, key()));
    } else if (dice < 74) {
      String device = DEVICES.get(random.nextInt(DEVICES.size()));
      requests.call(
          index,
          region,
          "device-remove",
          Map.of("userId", id, "deviceId", device),
          Requests.removeDevice(id, device, key()));
    } else {
      boolean credit = dice < 90;
      long k = user.next();
      // Distinct amounts per user; debits are small so that most of them are covered.
      BigDecimal amount = BigDecimal.valueOf(credit ? 2_000 + k : 100 + k, 2);
      pay(user, region, "p-c" + index + "-" + (++sequence), credit ? "credit" : "debit", amount);
    }
  }

  private void pay(
      WorkloadUser user, String region, String paymentId, String kind, BigDecimal amount) {
    String id = user.userId();
    Map<String, String> args =
        Map.of(
            "userId", id, "paymentId", paymentId, "kind", kind, "amount", amount.toPlainString());
    requests.call(index, region, "payment", args, Requests.pay(id, paymentId, kind, amount));
  }

  /** This client's next Idempotency-Key: unique in the run (users are new in every run). */
  private String key() {
    return "chaos-c" + index + "-" + (++keys);
  }
}
