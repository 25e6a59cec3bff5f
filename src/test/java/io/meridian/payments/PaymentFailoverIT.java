package io.meridian.payments;

import static io.meridian.cluster.Eventually.eventually;
import static io.meridian.payments.PaymentClient.balance;
import static io.meridian.payments.PaymentClient.expect;
import static io.meridian.payments.PaymentClient.owner;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The loss of a home region right after it acknowledged a payment (docs/design.md, Critical writes
 * and Guarantees 1): the region that takes over already has every acknowledged payment before it
 * accepts its first debit, retries anywhere are applied once, and payments of the surviving regions
 * fall back to the next region of the failover order once the lost one is declared down.
 *
 * <p>The confirm timeout is the default 3 s: the new owner's first events after a seizure reach the
 * confirming region through its journal, read at once on the new owner's hint.
 *
 * <p>One story in order — the region dies once per class (a cluster start is ~15 s) — so the tests
 * are the phases of that story: before the loss, while the dead region is only unreachable, after
 * it is declared down. Nothing is declared down automatically ({@code auto-down-after = off}).
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PaymentFailoverIT {
  private static final Duration DETECT = Duration.ofSeconds(20);
  private static final Duration CONVERGE = Duration.ofSeconds(20);
  private static ThreeRegions regions;
  private static PaymentClient client;

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions =
        ThreeRegions.start(
            cassandra,
            "it_payfo_",
            """
        meridian.failover.auto-down-after = off
        meridian.admin-token = "t"
        meridian.payments.status-probe-timeout = 300ms
        """);
    client = new PaymentClient(regions);
    client.create("us", "k-1", "us");
    client.create("eu", "e-1", "eu");
  }

  @AfterAll
  static void stop() {
    if (regions != null) regions.close();
  }

  @Test
  @Order(1)
  void beforeTheLoss_aPaymentRetriedThroughOtherRegionsIsAppliedOnce() {
    JsonNode credit = expect(201, null, client.pay("us", "k-1", "p-1", "credit", "100.00"));
    assertEquals("[\"eu\"]", credit.get("confirmedBy").toString());
    expect(201, null, client.pay("ap", "k-1", "p-1", "credit", "100.00"));
    expect(201, null, client.pay("eu", "k-1", "p-1", "credit", "100.00"));
    assertEquals(
        "[\"us\"]",
        expect(201, null, client.pay("eu", "e-1", "p-1", "credit", "50.00"))
            .get("confirmedBy")
            .toString());

    JsonNode user = client.ownerView("ap", "k-1");
    assertEquals("100.00", balance(user));
    assertEquals(2, user.at("/version/us").asLong(), "UserCreated and one PaymentRecorded");
  }

  @Test
  @Order(2)
  void theHomeRegionDiesRightAfterAcknowledgingAPayment_andItsSuccessorAlreadyHasIt() {
    expect(201, null, client.pay("us", "k-1", "p-2", "credit", "25.00"));
    regions.kill("us");

    // No waiting: the 201 meant eu's replica had applied it.
    JsonNode inEu = client.local("eu", "k-1");
    assertEquals("125.00", balance(inEu));
    assertEquals(3, inEu.at("/version/us").asLong());
  }

  @Test
  @Order(3)
  void
      whileTheDeadRegionIsOnlyUnreachable_paymentsItMustConfirmAreNotDurableYet_andOtherWritesWork() {
    client.awaitStatus("eu", "us", "suspect", DETECT);
    client.awaitStatus("ap", "us", "suspect", DETECT);

    // e-1 is owned by eu, whose successor us is unreachable but not declared down: recorded, not
    // durable.
    expect(503, "not_durable_yet", client.pay("eu", "e-1", "p-2", "credit", "5.00"));
    assertEquals(
        "pending_replication",
        expect(200, null, client.status("ap", "e-1", "p-2")).get("status").asText());
    assertEquals("55.00", balance(client.ownerView("ap", "e-1")));
    // Profile and points writes keep working, for eu's user and (points, any replica) for us's.
    expect(200, null, client.profile("ap", "e-1", "Eve"));
    expect(200, null, client.points("ap", "e-1", 7));
    expect(200, null, client.points("ap", "k-1", 1));
    // us's user has no owner to write to until us is declared down.
    expect(503, "region_unavailable", client.pay("eu", "k-1", "p-3", "debit", "1.00"));
    expect(503, "region_unavailable", client.profile("ap", "k-1", "Kay"));
  }

  @Test
  @Order(4)
  void afterTheDeadRegionIsDeclaredDown_theNewOwnersFirstDebitSeesEveryAcknowledgedPayment() {
    assertEquals("down", expect(200, null, client.declareDown("eu", "us")).get("status").asText());

    var debit = client.pay("eu", "k-1", "p-4", "debit", "125.00");
    JsonNode body = expect(201, null, debit);
    assertEquals("eu", owner(debit));
    assertEquals("eu", body.get("acceptedBy").asText());
    assertEquals(2, body.get("acceptedInEpoch").asLong());
    assertEquals(
        "[\"ap\"]", body.get("confirmedBy").toString(), "eu's next successor after the downed us");
    expect(409, "insufficient_funds", client.pay("eu", "k-1", "p-5", "debit", "0.01"));
    assertEquals("0.00", balance(client.ownerView("eu", "k-1")));
  }

  @Test
  @Order(5)
  void afterTheLoss_retriesOfPaymentsAcknowledgedBeforeAndAfterItAreAppliedOnce() {
    client.awaitStatus("ap", "us", "down", DETECT);
    for (String region : new String[] {"ap", "eu"}) {
      JsonNode p1 = expect(201, null, client.pay(region, "k-1", "p-1", "credit", "100.00"));
      assertEquals("us", p1.get("acceptedBy").asText());
      assertEquals(1, p1.get("acceptedInEpoch").asLong());
      expect(201, null, client.pay(region, "k-1", "p-2", "credit", "25.00"));
      expect(201, null, client.pay(region, "k-1", "p-4", "debit", "125.00"));
    }
    eventually(
        CONVERGE,
        () -> {
          JsonNode user = client.ownerView("ap", "k-1");
          assertEquals("eu", user.get("owner").asText());
          assertEquals("0.00", balance(user));
          // us: UserCreated, p-1, p-2; eu: OwnershipSeized, p-4; ap: the points. Nothing from the
          // retries.
          assertEquals("{\"ap\":1,\"eu\":2,\"us\":3}", user.get("version").toString());
        });
  }

  @Test
  @Order(6)
  void afterTheLoss_theNextRegionInTheFailoverOrderConfirmsForTheSurvivors() {
    JsonNode retried = expect(201, null, client.pay("eu", "e-1", "p-2", "credit", "5.00"));
    assertEquals("[\"ap\"]", retried.get("confirmedBy").toString());
    assertEquals(
        "[\"ap\"]",
        expect(201, null, client.pay("ap", "e-1", "p-3", "credit", "1.00"))
            .get("confirmedBy")
            .toString());
    expect(200, null, client.profile("ap", "k-1", "Kay"));

    JsonNode user = client.ownerView("ap", "e-1");
    assertEquals("56.00", balance(user), "50 + 5 (once) + 1");
    assertEquals("Eve", user.at("/profile/displayName").asText());
    assertEquals(7, user.get("points").asLong());
  }
}
