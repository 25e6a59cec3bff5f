package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Judges a recorded history against the final state: a pure function (history + final documents →
 * verdict), so every rule is unit-tested with hand-made histories.
 *
 * <p>The rules, per user (docs/testing.md explains each):
 *
 * <ul>
 *   <li><b>convergence</b>: every region returns the identical document (nothing ignored), within
 *       {@code --settle} of the last heal, and every user is owned by its home region again;
 *   <li><b>payments</b>: an acknowledged (201) payment is present (owner's lookup), a failed one
 *       absent; every region's balance equals the acknowledged payments plus a subset of the
 *       indeterminate ones (credits minus debits), so a lost, duplicated or invented payment shows;
 *   <li><b>overdraft</b>: a negative balance must be flagged; a flag must be explainable: at some
 *       instant the debits that may have been applied (started by then) exceeded the credits that
 *       were certainly applied (acknowledged by then), else the balance was never negative;
 *   <li><b>points</b>: acknowledged deltas plus a subset of the indeterminate ones, never a failed
 *       one;
 *   <li><b>devices</b> (OR-Set, add wins): an acknowledged add that no acknowledged remove had seen
 *       (by the replicas' version vectors) and no uncertain remove may have seen, is present; a
 *       present device had an add that was not certainly removed;
 *   <li><b>profile</b> (per-field LWW): the final value is the last acknowledged write, or one that
 *       overlapped it, or an indeterminate one (which may have been executed late); never a failed
 *       one;
 *   <li><b>one owner per epoch</b>: no two answers show the same user's epoch with different
 *       owners;
 *   <li><b>no forgotten user</b>: no {@code unknown_user} for a user every region had served before
 *       the run;
 *   <li><b>HTTP</b>: no 5xx other than 503 with a documented code;
 *   <li><b>false downs</b>: a region reported down while no fault on it was active (plus a grace);
 *   <li><b>unexpected exits</b>: a region process exited while no fault on it was active (plus a
 *       grace).
 * </ul>
 */
public final class HistoryChecker {
  /**
   * After a fault on a region ends, the directory may still say down for a moment in a lagging
   * observer.
   */
  static final long FALSE_DOWN_GRACE_MILLIS = 10_000;

  /**
   * A paused region that was downed meanwhile exits after it resumes (Pekko shuts a removed node
   * down).
   */
  static final long EXIT_GRACE_MILLIS = 60_000;

  /** Status samples closer than this belong to one down episode. */
  static final long EPISODE_GAP_MILLIS = 3_000;

  private final List<String> regions;

  public HistoryChecker(List<String> regions) {
    this.regions = List.copyOf(regions);
  }

  public Verdict check(History.Snapshot history, FinalState state) {
    List<Anomaly> anomalies = new ArrayList<>();
    checkConvergence(state, anomalies);
    Map<String, List<Operation>> byUser =
        history.operations().stream()
            .filter(op -> op.userId() != null)
            .collect(Collectors.groupingBy(Operation::userId, TreeMap::new, Collectors.toList()));
    Set<String> users = new TreeSet<>(byUser.keySet());
    users.addAll(state.documents().keySet());
    for (String user : users) {
      List<Operation> ops = byUser.getOrDefault(user, List.of());
      Map<String, JsonNode> docs = state.documents().getOrDefault(user, Map.of());
      boolean created =
          ops.stream()
              .anyMatch(
                  op ->
                      op.operation().equals("create")
                          && (op.ok() || "user_exists".equals(op.error())));
      if (!created
          && ops.stream()
              .noneMatch(op -> op.operation().equals("create") && op.mayHaveHappened())) {
        if (!docs.isEmpty())
          anomalies.add(new Anomaly("unknown_user", user, "a user that was never created exists"));
        continue;
      }
      List<String> missing =
          regions.stream().filter(r -> !docs.containsKey(r) || docs.get(r) == null).toList();
      if (created && !missing.isEmpty())
        anomalies.add(new Anomaly("user_missing", user, "not served by " + missing));
      if (docs.isEmpty()) continue;
      checkIdentical(user, docs, anomalies);
      checkHome(user, docs, anomalies);
      checkPayments(user, ops, docs, state.paymentLookups(), anomalies);
      checkPoints(user, ops, docs, anomalies);
      checkDevices(user, ops, docs, anomalies);
      checkProfile(user, ops, docs, anomalies);
      checkOwnerPerEpoch(user, ops, anomalies);
      checkForgottenUser(user, ops, anomalies);
    }
    checkHttp(history.operations(), anomalies);
    int falseDowns = checkFalseDowns(history, anomalies);
    checkExits(history, anomalies);
    return new Verdict(anomalies, falseDowns, users.size());
  }

  // ---------------------------------------------------------------- convergence

  private static void checkConvergence(FinalState state, List<Anomaly> anomalies) {
    if (!state.converged()) {
      anomalies.add(
          new Anomaly(
              "not_converged",
              "run",
              "regions did not return identical documents with every user at home within "
                  + state.settleMillis()
                  + " ms after the last heal"));
    } else if (state.convergenceMillis() > state.settleMillis()) {
      anomalies.add(
          new Anomaly(
              "slow_convergence",
              "run",
              "converged in "
                  + state.convergenceMillis()
                  + " ms, over the allowed "
                  + state.settleMillis()
                  + " ms"));
    }
  }

  private static void checkIdentical(
      String user, Map<String, JsonNode> docs, List<Anomaly> anomalies) {
    Map<JsonNode, List<String>> distinct = new LinkedHashMap<>();
    new TreeMap<>(docs)
        .forEach(
            (region, doc) -> {
              if (doc != null) distinct.computeIfAbsent(doc, d -> new ArrayList<>()).add(region);
            });
    if (distinct.size() > 1) {
      String detail =
          distinct.entrySet().stream()
              .map(e -> e.getValue() + "=" + e.getKey())
              .collect(Collectors.joining(" vs "));
      anomalies.add(new Anomaly("divergence", user, detail));
    }
  }

  private static void checkHome(String user, Map<String, JsonNode> docs, List<Anomaly> anomalies) {
    for (var entry : new TreeMap<>(docs).entrySet()) {
      JsonNode doc = entry.getValue();
      if (doc == null) continue;
      String owner = doc.path("owner").asText();
      String home = doc.path("homeRegion").asText();
      if (!owner.equals(home)) {
        anomalies.add(
            new Anomaly(
                "not_home",
                user,
                entry.getKey()
                    + " sees owner "
                    + owner
                    + " but home "
                    + home
                    + " (epoch "
                    + doc.path("epoch").asLong()
                    + ") after the run settled"));
        return;
      }
    }
  }

  // ---------------------------------------------------------------- payments and overdraft

  /**
   * One payment id's attempts, folded: acknowledged if any attempt was, else uncertain if any was.
   */
  record Payment(
      String paymentId,
      String kind,
      long cents,
      Outcome outcome,
      long firstStartNanos,
      long ackEndNanos) {
    long signed() {
      return "debit".equals(kind) ? -cents : cents;
    }
  }

  static List<Payment> payments(List<Operation> ops) {
    Map<String, List<Operation>> attempts = new LinkedHashMap<>();
    for (Operation op : ops)
      if (op.operation().equals("payment"))
        attempts.computeIfAbsent(op.arg("paymentId"), id -> new ArrayList<>()).add(op);
    List<Payment> payments = new ArrayList<>();
    attempts.forEach(
        (id, list) -> {
          Operation first = list.get(0);
          Outcome outcome =
              list.stream().anyMatch(Operation::ok)
                  ? Outcome.OK
                  : list.stream().anyMatch(op -> op.outcome() == Outcome.INDETERMINATE)
                      ? Outcome.INDETERMINATE
                      : Outcome.FAILED;
          long ackEnd =
              list.stream()
                  .filter(Operation::ok)
                  .mapToLong(Operation::endNanos)
                  .min()
                  .orElse(Long.MAX_VALUE);
          long start = list.stream().mapToLong(Operation::startNanos).min().orElseThrow();
          payments.add(
              new Payment(
                  id, first.arg("kind"), cents(first.arg("amount")), outcome, start, ackEnd));
        });
    return payments;
  }

  private static void checkPayments(
      String user,
      List<Operation> ops,
      Map<String, JsonNode> docs,
      Map<String, Integer> lookups,
      List<Anomaly> anomalies) {
    List<Payment> payments = payments(ops);
    for (Payment p : payments) {
      Integer found = lookups.get(p.paymentId());
      if (found == null) continue;
      if (p.outcome() == Outcome.OK && found == 404)
        anomalies.add(
            new Anomaly(
                "payment_lost",
                user,
                "acknowledged payment " + p.paymentId() + " is unknown to the owner"));
      if (p.outcome() == Outcome.FAILED && found == 200)
        anomalies.add(
            new Anomaly(
                "failed_payment_applied",
                user,
                "payment " + p.paymentId() + " failed on every attempt but the owner has it"));
    }
    long acknowledged =
        payments.stream().filter(p -> p.outcome() == Outcome.OK).mapToLong(Payment::signed).sum();
    List<Long> uncertain =
        payments.stream()
            .filter(p -> p.outcome() == Outcome.INDETERMINATE)
            .map(Payment::signed)
            .toList();
    Set<Long> balancesSeen = new HashSet<>();
    for (var entry : new TreeMap<>(docs).entrySet()) {
      JsonNode doc = entry.getValue();
      if (doc == null) continue;
      long balance = cents(doc.path("wallet").path("balance").asText("0"));
      boolean flagged = doc.path("wallet").path("overdraftFlagged").asBoolean(false);
      if (balancesSeen.add(balance)) {
        SubsetSum.Answer answer = SubsetSum.reachable(uncertain, balance - acknowledged);
        if (answer == SubsetSum.Answer.NO) {
          anomalies.add(
              new Anomaly(
                  "balance_mismatch",
                  user,
                  entry.getKey()
                      + " balance "
                      + money(balance)
                      + " is not acknowledged payments "
                      + money(acknowledged)
                      + " plus a subset of the "
                      + uncertain.size()
                      + " indeterminate ones "
                      + uncertain.stream().map(HistoryChecker::money).toList()));
        }
      }
      if (balance < 0 && !flagged)
        anomalies.add(
            new Anomaly(
                "overdraft_not_flagged",
                user,
                entry.getKey() + " balance " + money(balance) + " is negative but not flagged"));
      if (flagged && !overdraftPossible(payments)) {
        anomalies.add(
            new Anomaly(
                "overdraft_unexplained",
                user,
                entry.getKey()
                    + " flags an overdraft that no interleaving of the recorded debits and credits can explain"));
      }
    }
  }

  /**
   * Whether the balance can have been negative at some instant: the debits that may have been
   * applied by then (those that started) exceed the credits certainly applied by then (acknowledged
   * by then).
   */
  static boolean overdraftPossible(List<Payment> payments) {
    for (Payment at : payments) {
      long t = at.firstStartNanos();
      long debits =
          payments.stream()
              .filter(
                  p ->
                      "debit".equals(p.kind())
                          && p.outcome() != Outcome.FAILED
                          && p.firstStartNanos() <= t)
              .mapToLong(Payment::cents)
              .sum();
      long credits =
          payments.stream()
              .filter(
                  p ->
                      "credit".equals(p.kind())
                          && p.outcome() == Outcome.OK
                          && p.ackEndNanos() <= t)
              .mapToLong(Payment::cents)
              .sum();
      if (debits > credits) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- points

  private static void checkPoints(
      String user, List<Operation> ops, Map<String, JsonNode> docs, List<Anomaly> anomalies) {
    long acknowledged =
        ops.stream()
            .filter(op -> op.operation().equals("points") && op.ok())
            .mapToLong(op -> Long.parseLong(op.arg("delta")))
            .sum();
    List<Long> uncertain =
        ops.stream()
            .filter(op -> op.operation().equals("points") && op.outcome() == Outcome.INDETERMINATE)
            .map(op -> Long.parseLong(op.arg("delta")))
            .toList();
    Set<Long> seen = new HashSet<>();
    for (var entry : new TreeMap<>(docs).entrySet()) {
      if (entry.getValue() == null) continue;
      long points = entry.getValue().path("points").asLong();
      if (!seen.add(points)) continue;
      if (SubsetSum.reachable(uncertain, points - acknowledged) == SubsetSum.Answer.NO) {
        anomalies.add(
            new Anomaly(
                "points_mismatch",
                user,
                entry.getKey()
                    + " has "
                    + points
                    + " points: not the acknowledged "
                    + acknowledged
                    + " plus a subset of the indeterminate deltas "
                    + uncertain));
      }
    }
  }

  // ---------------------------------------------------------------- devices

  private static void checkDevices(
      String user, List<Operation> ops, Map<String, JsonNode> docs, List<Anomaly> anomalies) {
    Map<String, List<Operation>> byDevice = new TreeMap<>();
    for (Operation op : ops) {
      if (op.operation().equals("device-add") || op.operation().equals("device-remove"))
        byDevice.computeIfAbsent(op.arg("deviceId"), d -> new ArrayList<>()).add(op);
    }
    Set<String> reported = new HashSet<>();
    for (var entry : new TreeMap<>(docs).entrySet()) {
      if (entry.getValue() == null) continue;
      Set<String> present = new TreeSet<>();
      entry.getValue().path("devices").forEach(d -> present.add(d.asText()));
      Set<String> devices = new TreeSet<>(byDevice.keySet());
      devices.addAll(present);
      for (String device : devices) {
        List<Operation> deviceOps = byDevice.getOrDefault(device, List.of());
        boolean isPresent = present.contains(device);
        if (isPresent && !mayBePresent(deviceOps) && reported.add("resurrected " + device)) {
          anomalies.add(
              new Anomaly(
                  "device_resurrected",
                  user,
                  entry.getKey()
                      + " has device "
                      + device
                      + " though every add of it was removed by an acknowledged remove that had seen it (or it was never added)"));
        }
        if (!isPresent && mustBePresent(deviceOps) && reported.add("lost " + device)) {
          anomalies.add(
              new Anomaly(
                  "device_add_lost",
                  user,
                  entry.getKey()
                      + " lacks device "
                      + device
                      + " though an acknowledged add was seen by no remove"));
        }
      }
    }
  }

  /**
   * Whether an acknowledged remove had applied the add when it ran: the add's event is its origin's
   * n-th event, and the remove's replica had applied at least n events of that origin. Device
   * operations run on the replica of the region that serves them, so the origin is {@code
   * servedBy}.
   */
  static boolean observed(Operation remove, Operation add) {
    if (!remove.ok() || !add.ok() || add.servedBy() == null) return false;
    Long addSeq = add.version().get(add.servedBy());
    if (addSeq == null) return false;
    return remove.version().getOrDefault(add.servedBy(), 0L) >= addSeq;
  }

  private static boolean certainlyRemoved(Operation add, List<Operation> ops) {
    return add.ok()
        && ops.stream().anyMatch(op -> op.operation().equals("device-remove") && observed(op, add));
  }

  static boolean mayBePresent(List<Operation> ops) {
    return ops.stream()
        .anyMatch(
            op ->
                op.operation().equals("device-add")
                    && op.mayHaveHappened()
                    && !certainlyRemoved(op, ops));
  }

  static boolean mustBePresent(List<Operation> ops) {
    boolean uncertainRemove =
        ops.stream()
            .anyMatch(
                op ->
                    op.operation().equals("device-remove")
                        && op.outcome() == Outcome.INDETERMINATE);
    if (uncertainRemove) return false;
    return ops.stream()
        .anyMatch(
            op -> op.operation().equals("device-add") && op.ok() && !certainlyRemoved(op, ops));
  }

  // ---------------------------------------------------------------- profile

  private static void checkProfile(
      String user, List<Operation> ops, Map<String, JsonNode> docs, List<Anomaly> anomalies) {
    Map<String, List<Operation>> byField = new TreeMap<>();
    for (Operation op : ops)
      if (op.operation().equals("profile"))
        byField.computeIfAbsent(op.arg("field"), f -> new ArrayList<>()).add(op);
    Set<String> fields = new TreeSet<>(byField.keySet());
    docs.values().stream()
        .filter(Objects::nonNull)
        .forEach(doc -> doc.path("profile").fieldNames().forEachRemaining(fields::add));
    Set<String> reported = new HashSet<>();
    for (String field : fields) {
      List<Operation> writes = byField.getOrDefault(field, List.of());
      Set<String> allowed = allowedProfileValues(writes);
      Set<String> failed =
          writes.stream()
              .filter(w -> w.outcome() == Outcome.FAILED)
              .map(w -> w.arg("value"))
              .collect(Collectors.toSet());
      for (var entry : new TreeMap<>(docs).entrySet()) {
        if (entry.getValue() == null) continue;
        JsonNode value = entry.getValue().path("profile").path(field);
        String actual = value.isMissingNode() || value.isNull() ? null : value.asText();
        if (allowed.contains(actual) || !reported.add(field)) continue;
        String check =
            failed.contains(actual) ? "profile_failed_write_applied" : "profile_not_last_write";
        anomalies.add(
            new Anomaly(
                check,
                user,
                entry.getKey() + " has " + field + "=" + actual + "; allowed " + allowed));
      }
    }
  }

  /**
   * The values a field may end with: the last acknowledged write (by end time), the acknowledged
   * writes that overlapped it (their timestamps may be later), and every indeterminate write (an
   * owner may execute a timed-out write late, with a later timestamp). Without an acknowledged
   * write, also no value at all.
   */
  static Set<String> allowedProfileValues(List<Operation> writes) {
    Set<String> allowed = new HashSet<>();
    writes.stream()
        .filter(w -> w.outcome() == Outcome.INDETERMINATE)
        .forEach(w -> allowed.add(w.arg("value")));
    var last =
        writes.stream().filter(Operation::ok).max(Comparator.comparingLong(Operation::endNanos));
    if (last.isEmpty()) {
      allowed.add(null);
      return allowed;
    }
    allowed.add(last.get().arg("value"));
    writes.stream()
        .filter(w -> w.ok() && w.overlaps(last.get()))
        .forEach(w -> allowed.add(w.arg("value")));
    return allowed;
  }

  // ---------------------------------------------------------------- ownership, HTTP, downs, exits

  private static void checkOwnerPerEpoch(
      String user, List<Operation> ops, List<Anomaly> anomalies) {
    Map<Long, Set<String>> owners = new TreeMap<>();
    for (Operation op : ops)
      if (op.ok() && op.owner() != null && op.epoch() >= 0)
        owners.computeIfAbsent(op.epoch(), e -> new TreeSet<>()).add(op.owner());
    owners.forEach(
        (epoch, who) -> {
          if (who.size() > 1)
            anomalies.add(
                new Anomaly(
                    "two_owners_in_epoch",
                    user,
                    "epoch " + epoch + " was answered with owners " + who));
        });
  }

  /**
   * The workload starts only once every region can read every user, so a later {@code unknown_user}
   * means a region served a request without knowing a user it knew before (e.g. a restarted region
   * answering before its replica recovered).
   */
  private static void checkForgottenUser(
      String user, List<Operation> ops, List<Anomaly> anomalies) {
    Map<String, List<Operation>> byRegion = new TreeMap<>();
    for (Operation op : ops) {
      if (op.client() >= 0 && op.status() == 404 && "unknown_user".equals(op.error()))
        byRegion.computeIfAbsent(op.region(), r -> new ArrayList<>()).add(op);
    }
    byRegion.forEach(
        (region, forgotten) ->
            anomalies.add(
                new Anomaly(
                    "unknown_user_after_create",
                    user,
                    forgotten.size()
                        + " x 404 unknown_user from "
                        + region
                        + " (first: "
                        + forgotten.get(0).operation()
                        + " at "
                        + forgotten.get(0).startMillis()
                        + ")")));
  }

  private static void checkHttp(List<Operation> ops, List<Anomaly> anomalies) {
    Map<String, Integer> undocumented = new TreeMap<>();
    Map<String, Operation> example = new HashMap<>();
    for (Operation op : ops) {
      if (Outcome.documentedServerError(op.status(), op.error())) continue;
      String key = op.status() + " " + op.error() + " on " + op.operation();
      undocumented.merge(key, 1, Integer::sum);
      example.putIfAbsent(key, op);
    }
    undocumented.forEach(
        (key, count) ->
            anomalies.add(
                new Anomaly(
                    "undocumented_5xx",
                    example.get(key).region(),
                    count
                        + " x "
                        + key
                        + " (first: user "
                        + example.get(key).userId()
                        + " at "
                        + example.get(key).startMillis()
                        + ")")));
  }

  private static int checkFalseDowns(History.Snapshot history, List<Anomaly> anomalies) {
    List<StatusSample> downs =
        history.statusSamples().stream()
            .filter(s -> "down".equals(s.status()))
            .filter(
                s ->
                    history.faults().stream()
                        .noneMatch(
                            f -> f.covers(s.region(), s.atMillis(), FALSE_DOWN_GRACE_MILLIS)))
            .sorted(
                Comparator.comparing(StatusSample::region)
                    .thenComparingLong(StatusSample::atMillis))
            .toList();
    int episodes = 0;
    StatusSample previous = null;
    for (StatusSample s : downs) {
      if (previous == null
          || !previous.region().equals(s.region())
          || s.atMillis() - previous.atMillis() > EPISODE_GAP_MILLIS) {
        episodes++;
        anomalies.add(
            new Anomaly(
                "false_down",
                s.region(),
                "reported down by "
                    + s.observer()
                    + " at "
                    + s.atMillis()
                    + " while no fault on it was active"));
      }
      previous = s;
    }
    return episodes;
  }

  private static void checkExits(History.Snapshot history, List<Anomaly> anomalies) {
    for (ProcessExit exit : history.exits()) {
      boolean explained =
          history.faults().stream()
              .anyMatch(f -> f.covers(exit.region(), exit.atMillis(), EXIT_GRACE_MILLIS));
      if (!explained)
        anomalies.add(
            new Anomaly(
                "unexpected_exit",
                exit.region(),
                "process exited at " + exit.atMillis() + " with no fault on it: " + exit.detail()));
    }
  }

  // ---------------------------------------------------------------- money

  static long cents(String amount) {
    return new BigDecimal(amount).movePointRight(2).longValueExact();
  }

  static String money(long cents) {
    return BigDecimal.valueOf(cents, 2).toPlainString();
  }
}
