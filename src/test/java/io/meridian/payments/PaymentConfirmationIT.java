package io.meridian.payments;

import static io.meridian.payments.PaymentClient.balance;
import static io.meridian.payments.PaymentClient.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.Node;
import io.meridian.cluster.ThreeRegions;
import io.meridian.http.HttpApi;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Critical writes with every region alive (docs/design.md, Critical writes): a payment is
 * acknowledged only once another region's replica has applied it, a retry is applied once, and when
 * confirmation is impossible in time (a region cut off, not declared down) the client gets 503
 * {@code not_durable_yet} and can retry safely. Nothing is declared down here ({@code
 * auto-down-after = off}), so every test leaves the cluster healed and the tests are independent.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
class PaymentConfirmationIT {
  private static final Duration DETECT = Duration.ofSeconds(20);
  private static ThreeRegions regions;
  private static PaymentClient client;

  /**
   * Second HTTP APIs of the us node, same cluster and entities, with another confirmation policy.
   */
  private static int usAllPort;

  private static int usAnyOtherPort;

  @BeforeAll
  static void start(CassandraLauncher cassandra) throws Exception {
    regions =
        ThreeRegions.start(
            cassandra,
            "it_pay_",
            """
        meridian.failover.auto-down-after = off
        meridian.admin-token = "t"
        meridian.payments.confirm-timeout = 1s
        meridian.payments.status-probe-timeout = 300ms
        """);
    client = new PaymentClient(regions);
    usAllPort = bindWithPolicy("us", "all");
    usAnyOtherPort = bindWithPolicy("us", "any-other");
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  /** What a node configured with {@code meridian.payments.confirmation = policy} would serve. */
  private static int bindWithPolicy(String region, String policy) throws Exception {
    Node node = regions.node(region);
    var meridian =
        ConfigFactory.parseString("payments.confirmation = " + policy + "\nhttp.port = 0")
            .withFallback(node.system().settings().config().getConfig("meridian"));
    var api =
        new HttpApi(
            node.system(),
            HttpApi.Settings.fromConfig(meridian),
            node.gateway(),
            node.regionService());
    return api.bind().toCompletableFuture().get(20, TimeUnit.SECONDS).localAddress().getPort();
  }

  @Test
  void aPaymentIsAcknowledgedOnlyOnceTheOwnersSuccessorHasAppliedIt() {
    client.create("ap", "ack-1", "us");
    JsonNode payment = expect(201, null, client.pay("ap", "ack-1", "p-1", "credit", "12.50"));
    assertEquals("confirmed", payment.get("status").asText());
    assertEquals("us", payment.get("acceptedBy").asText());
    assertEquals(
        "[\"eu\"]", payment.get("confirmedBy").toString(), "us's failover successor is eu");
    // Right after the 201, with no waiting: eu's own replica already has it.
    assertEquals("12.50", balance(client.local("eu", "ack-1")));
    JsonNode status = expect(200, null, client.status("eu", "ack-1", "p-1"));
    assertEquals("confirmed", status.get("status").asText());
    assertEquals("12.50", status.get("amount").asText());
  }

  @Test
  void theSamePaymentRetriedThroughOtherRegionsIsAppliedOnce() {
    client.create("us", "retry-1", "us");
    expect(201, null, client.pay("us", "retry-1", "p-1", "credit", "40.00"));
    JsonNode before = client.ownerView("us", "retry-1");

    for (String region : ThreeRegions.REGIONS) {
      JsonNode again = expect(201, null, client.pay(region, "retry-1", "p-1", "credit", "40.00"));
      assertEquals("confirmed", again.get("status").asText());
    }

    JsonNode after = client.ownerView("us", "retry-1");
    assertEquals("40.00", balance(after));
    assertEquals(
        before.get("version"),
        after.get("version"),
        "a retry persists nothing: one UserCreated, one PaymentRecorded");
    assertEquals(2, after.at("/version/us").asLong());
    expect(409, "payment_conflict", client.pay("eu", "retry-1", "p-1", "credit", "41.00"));
    expect(409, "payment_conflict", client.pay("ap", "retry-1", "p-1", "debit", "40.00"));
  }

  @Test
  void aDebitNeedsFundsAndARefusedDebitLeavesNoTrace() {
    client.create("eu", "funds-1", "eu");
    expect(201, null, client.pay("us", "funds-1", "p-1", "credit", "10.00"));
    JsonNode before = client.ownerView("eu", "funds-1");

    expect(409, "insufficient_funds", client.pay("ap", "funds-1", "p-2", "debit", "10.01"));
    expect(404, "unknown_payment", client.status("eu", "funds-1", "p-2"));
    assertEquals(before.get("version"), client.ownerView("eu", "funds-1").get("version"));

    JsonNode debit = expect(201, null, client.pay("ap", "funds-1", "p-3", "debit", "10.00"));
    assertEquals("[\"us\"]", debit.get("confirmedBy").toString(), "eu's failover successor is us");
    assertEquals("0.00", balance(client.ownerView("eu", "funds-1")));
  }

  @Test
  void
      whileTheSuccessorIsUnreachableButNotDeclaredDownPaymentsAreNotDurableYetAndARetryAfterHealingIsAppliedOnce() {
    client.create("us", "nd-1", "us");
    expect(201, null, client.pay("us", "nd-1", "p-0", "credit", "10.00"));
    regions.isolate("eu");
    try {
      // Before the failure detector notices: the confirmation ask reaches nobody and times out (1
      // s).
      expect(503, "not_durable_yet", client.pay("us", "nd-1", "p-1", "credit", "5.00"));
      client.awaitStatus("us", "eu", "suspect", DETECT);
      client.awaitStatus("ap", "eu", "suspect", DETECT);
      // Once eu is known unreachable: still 503 — ap is not eu's stand-in while eu is not declared
      // down.
      expect(503, "not_durable_yet", client.pay("ap", "nd-1", "p-2", "credit", "2.00"));

      JsonNode pending = expect(200, null, client.status("us", "nd-1", "p-1"));
      assertEquals("pending_replication", pending.get("status").asText());
      assertEquals("[]", pending.get("confirmedBy").toString());
      assertEquals("us", pending.get("acceptedBy").asText());
      // The owner recorded both: the balance counts them, other writes keep working.
      assertEquals("17.00", balance(client.ownerView("us", "nd-1")));
      expect(200, null, client.profile("ap", "nd-1", "Ada"));
      expect(200, null, client.points("us", "nd-1", 3));
    } finally {
      regions.heal("eu");
    }
    client.awaitStatus("us", "eu", "up", DETECT);
    client.awaitStatus("ap", "eu", "up", DETECT);
    client.awaitStatus("eu", "us", "up", DETECT);
    JsonNode before = client.ownerView("us", "nd-1");

    JsonNode retried = expect(201, null, client.pay("ap", "nd-1", "p-1", "credit", "5.00"));
    assertEquals("confirmed", retried.get("status").asText());
    assertEquals("[\"eu\"]", retried.get("confirmedBy").toString());
    // eu lost quorum while isolated: it reads the region directory again before it confirms
    // ownership, and until then answers 503 ownership_unconfirmed (retryable; same paymentId).
    io.meridian.cluster.Eventually.eventually(
        DETECT, () -> expect(201, null, client.pay("eu", "nd-1", "p-2", "credit", "2.00")));

    JsonNode after = client.ownerView("us", "nd-1");
    assertEquals("17.00", balance(after), "each payment counted once");
    assertEquals(before.get("version"), after.get("version"), "the retries persisted nothing");
    assertEquals(
        "confirmed", expect(200, null, client.status("eu", "nd-1", "p-2")).get("status").asText());
  }

  @Test
  void aRegionCutOffFromAllOthersRefusesPaymentsButServesReads_andPolicyAllWaitsForIt() {
    client.create("ap", "iso-ap", "ap");
    client.create("us", "iso-us", "us");
    expect(201, null, client.pay("ap", "iso-ap", "p-0", "credit", "30.00"));
    expect(201, null, client.pay("us", "iso-us", "p-0", "credit", "30.00"));

    regions.isolate("ap");
    try {
      client.awaitStatus("ap", "us", "suspect", DETECT);
      client.awaitStatus("ap", "eu", "suspect", DETECT);
      client.awaitStatus("us", "ap", "suspect", DETECT);

      // The isolated side: payments refused before anything is recorded, single-writer writes
      // refused, reads served.
      expect(503, "not_durable_yet", client.pay("ap", "iso-ap", "p-1", "credit", "1.00"));
      expect(503, "not_durable_yet", client.pay("ap", "iso-ap", "p-2", "debit", "10.00"));
      expect(503, "not_durable_yet", client.pay("ap", "iso-us", "p-3", "credit", "1.00"));
      expect(503, "ownership_unconfirmed", client.profile("ap", "iso-ap", "Cut"));
      JsonNode read = client.local("ap", "iso-ap");
      assertEquals("30.00", balance(read));
      assertEquals("ap", read.get("owner").asText());

      // The majority side: ap's users cannot be paid for (their owner is unreachable), us's can,
      // per the serving node's policy.
      expect(503, "region_unavailable", client.pay("us", "iso-ap", "p-4", "credit", "1.00"));
      assertEquals(
          "[\"eu\"]",
          expect(201, null, client.pay("us", "iso-us", "p-succ", "credit", "1.00"))
              .get("confirmedBy")
              .toString());
      assertEquals(
          "[\"eu\"]",
          expect(201, null, client.payAt(usAnyOtherPort, "iso-us", "p-any", "credit", "2.00"))
              .get("confirmedBy")
              .toString());
      expect(503, "not_durable_yet", client.payAt(usAllPort, "iso-us", "p-all", "credit", "4.00"));
    } finally {
      regions.heal("ap");
    }
    client.awaitStatus("us", "ap", "up", DETECT);
    client.awaitStatus("ap", "us", "up", DETECT);
    client.awaitStatus("ap", "eu", "up", DETECT);
    client.awaitStatus("eu", "ap", "up", DETECT);

    for (String refused : List.of("p-1", "p-2", "p-4"))
      expect(404, "unknown_payment", client.status("us", "iso-ap", refused));
    expect(404, "unknown_payment", client.status("eu", "iso-us", "p-3"));
    JsonNode all = expect(201, null, client.payAt(usAllPort, "iso-us", "p-all", "credit", "4.00"));
    assertEquals("[\"eu\",\"ap\"]", all.get("confirmedBy").toString());
    assertEquals(
        "37.00",
        balance(client.ownerView("eu", "iso-us")),
        "30 + 1 + 2 + 4, the retried p-all once");
    assertEquals("30.00", balance(client.ownerView("eu", "iso-ap")));
  }

  /**
   * Not an assertion on time: prints what a payment costs next to a plain single-writer write on
   * the same user through the owner region, measured interleaved in the same run so both see the
   * same load.
   */
  @Test
  void measurePaymentLatencyNextToAProfileWrite() {
    client.create("us", "lat-1", "us");
    int warmUp = 30;
    int n = 200;
    List<Long> payments = new ArrayList<>();
    List<Long> profiles = new ArrayList<>();
    for (int i = 0; i < warmUp + n; i++) {
      long t0 = System.nanoTime();
      expect(201, null, client.pay("us", "lat-1", "p-" + i, "credit", "1.00"));
      long t1 = System.nanoTime();
      expect(200, null, client.profile("us", "lat-1", "Name " + i));
      long t2 = System.nanoTime();
      if (i >= warmUp) {
        payments.add(t1 - t0);
        profiles.add(t2 - t1);
      }
    }
    assertEquals(
        new BigDecimal(warmUp + n).setScale(2).toPlainString(),
        balance(client.ownerView("us", "lat-1")));
    double paymentP50 = percentile(payments, 50);
    double profileP50 = percentile(profiles, 50);
    System.out.printf(
        "LATENCY payment p50=%.1fms p99=%.1fms max=%.1fms | profile p50=%.1fms p99=%.1fms max=%.1fms | ratio p50=%.2f p99=%.2f (n=%d each, owner us, confirmed by eu)%n",
        paymentP50,
        percentile(payments, 99),
        percentile(payments, 100),
        profileP50,
        percentile(profiles, 99),
        percentile(profiles, 100),
        paymentP50 / profileP50,
        percentile(payments, 99) / percentile(profiles, 99),
        n);
    assertTrue(paymentP50 > 0 && profileP50 > 0);
  }

  private static double percentile(List<Long> nanos, int p) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1))) / 1_000_000.0;
  }
}
