package io.meridian.payments;

import static io.meridian.cluster.Eventually.eventually;
import static io.meridian.payments.PaymentClient.balance;
import static io.meridian.payments.PaymentClient.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.cassandra.CassandraExtension;
import io.meridian.cluster.ThreeRegions;
import io.meridian.tools.cassandra.CassandraLauncher;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Debits on both sides of a partition (docs/design.md, Model: the wallet rule): the only HTTP path
 * to two concurrent debits is the window in which the cut-off owner does not know yet that it is
 * cut off (the failure detector needs ~5 s) while the majority already declared it down (an
 * operator's down is immediate). The old owner records its debit but cannot confirm it (503
 * not_durable_yet, never a 201); the new owner, which has not seen it, accepts its own. When the
 * old owner's event arrives, both are kept and the negative balance is flagged in every region,
 * logged and counted. Once the cut-off region knows it is cut off, it refuses debits (503) and
 * keeps serving reads.
 *
 * <p>Storage is shared in this harness (one Cassandra), so the journal read crosses the Artery
 * blackhole: the hints from the old owner are lost in the blackhole, but the new owner reads the
 * old owner's debit at its next safety poll. The poll is 6 s here (each stream starts at a random
 * phase between half the interval and the interval), so that poll falls into the second between the
 * two debits of a user with a probability of about 1/6; with five users, at least one is overdrawn
 * with a probability above 0.9998, and every user's balance is checked against the payments the
 * regions report, whichever way its race went. The confirm and ask timeouts are 10 s, so that a
 * stream restarted by the partition (its back-off is up to 10 s) still confirms in time.
 */
@ExtendWith({CassandraExtension.class, LogCapturingExtension.class})
class PaymentPartitionIT {
  private static final Duration DETECT = Duration.ofSeconds(20);
  private static final Duration CONVERGE = Duration.ofSeconds(40);
  private static final List<String> USERS = List.of("od-1", "od-2", "od-3", "od-4", "od-5");
  private static ThreeRegions regions;
  private static PaymentClient client;
  private static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  static void start(CassandraLauncher cassandra) {
    regions =
        ThreeRegions.start(
            cassandra,
            "it_paypart_",
            """
        meridian.failover.auto-down-after = off
        meridian.admin-token = "t"
        meridian.payments.confirm-timeout = 10s
        meridian.http.ask-timeout = 10s
        meridian.payments.status-probe-timeout = 300ms
        meridian.replication.safety-poll = 6s
        """);
    client = new PaymentClient(regions);
    logs.start();
    rootLogger().addAppender(logs);
  }

  @AfterAll
  static void stop() {
    rootLogger().detachAppender(logs);
    if (regions != null) regions.close();
  }

  private static Logger rootLogger() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @Test
  void
      debitsOnBothSidesOfAPartitionAreBothKeptAndTheOverdraftIsFlaggedEverywhere_andTheCutOffSideRefusesDebits() {
    for (String user : USERS) {
      client.create("us", user, "us");
      expect(201, null, client.pay("us", user, "p-credit", "credit", "100.00"));
    }

    regions.isolate("us");
    // The old owner, not yet aware it is cut off, records a debit for each user.
    List<CompletableFuture<HttpResponse<String>>> oldOwnerDebits = new ArrayList<>();
    for (String user : USERS)
      oldOwnerDebits.add(client.payAsync("us", user, "p-us", "debit", "80.00"));
    for (String user : USERS)
      eventually(DETECT, () -> assertEquals("20.00", balance(client.local("us", user))));

    // The majority declares us down at once, and eu (us's successor) takes the users over.
    assertEquals("down", expect(200, null, client.declareDown("eu", "us")).get("status").asText());
    Map<String, Integer> newOwnerDebits = new LinkedHashMap<>();
    List<CompletableFuture<HttpResponse<String>>> euDebits =
        USERS.stream().map(user -> client.payAsync("eu", user, "p-eu", "debit", "70.00")).toList();
    for (int i = 0; i < USERS.size(); i++) {
      HttpResponse<String> response = euDebits.get(i).join();
      assertTrue(response.statusCode() == 201 || response.statusCode() == 409, response.body());
      if (response.statusCode() == 409)
        expect(409, "insufficient_funds", response); // eu had already seen p-us
      newOwnerDebits.put(USERS.get(i), response.statusCode());
    }
    // The old owner never acknowledged: it could not reach its successor.
    for (var debit : oldOwnerDebits) expect(503, "not_durable_yet", debit.join());

    // Once us knows it is cut off: debits refused before anything is recorded, reads still served.
    client.awaitStatus("us", "eu", "suspect", DETECT);
    client.awaitStatus("us", "ap", "suspect", DETECT);
    expect(503, "not_durable_yet", client.pay("us", "od-1", "p-us-late", "debit", "1.00"));
    expect(503, "ownership_unconfirmed", client.profile("us", "od-1", "Cut"));
    // (What it shows may already include eu's events: the journals' shared storage is not cut
    // here.)
    assertEquals("od-1", client.local("us", "od-1").get("userId").asText());

    int overdrawn = 0;
    for (String user : USERS) {
      boolean both = newOwnerDebits.get(user) == 201;
      if (both) overdrawn++;
      String expected = both ? "-50.00" : "20.00";
      for (String region : List.of("eu", "ap")) {
        eventually(
            CONVERGE,
            () -> {
              JsonNode view = client.local(region, user);
              assertEquals(expected, balance(view), region + " " + view);
              assertEquals(
                  both, view.at("/wallet/overdraftFlagged").asBoolean(), region + " " + view);
              assertEquals("eu", view.get("owner").asText());
            });
      }
      // The balance is explained by the payments the new owner reports: who accepted what, in which
      // epoch.
      BigDecimal explained = new BigDecimal("100.00");
      JsonNode usDebit = expect(200, null, client.status("eu", user, "p-us"));
      assertEquals(
          List.of("us", 1L, "debit", "80.00"),
          List.of(
              usDebit.get("acceptedBy").asText(),
              usDebit.get("acceptedInEpoch").asLong(),
              usDebit.get("kind").asText(),
              usDebit.get("amount").asText()));
      explained = explained.subtract(new BigDecimal(usDebit.get("amount").asText()));
      if (both) {
        JsonNode euDebit = expect(200, null, client.status("eu", user, "p-eu"));
        assertEquals(
            List.of("eu", 2L),
            List.of(euDebit.get("acceptedBy").asText(), euDebit.get("acceptedInEpoch").asLong()));
        explained = explained.subtract(new BigDecimal(euDebit.get("amount").asText()));
      } else {
        expect(404, "unknown_payment", client.status("eu", user, "p-eu"));
      }
      assertEquals(expected, explained.toPlainString());
    }
    System.out.printf(
        "PARTITION debits: %d of %d users had both debits accepted (overdrawn and flagged)%n",
        overdrawn, USERS.size());
    assertTrue(
        overdrawn >= 1,
        "no user got a debit on both sides; the race this test relies on did not happen: "
            + newOwnerDebits);

    for (String region : List.of("eu", "ap")) {
      String metrics = regions.send(region, "GET", "/metrics", null).body();
      assertTrue(
          counter(metrics, "meridian_overdrafts_flagged_total") >= 1, region + ": " + metrics);
    }
    List<String> warnings =
        logs.list.stream()
            .filter(
                e ->
                    e.getLevel() == Level.WARN
                        && e.getFormattedMessage().startsWith("overdraft user=od-"))
            .map(ILoggingEvent::getFormattedMessage)
            .toList();
    assertTrue(warnings.stream().anyMatch(w -> w.contains("balance=-50.00")), warnings.toString());
  }

  private static double counter(String prometheus, String name) {
    return prometheus
        .lines()
        .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }
}
