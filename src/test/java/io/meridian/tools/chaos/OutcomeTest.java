package io.meridian.tools.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OutcomeTest {

  @Test
  void classifiesAsTheApiContractSays() {
    assertEquals(Outcome.OK, Outcome.classify(200, null, false));
    assertEquals(Outcome.OK, Outcome.classify(201, null, false));
    assertEquals(Outcome.FAILED, Outcome.classify(409, "insufficient_funds", false));
    assertEquals(Outcome.FAILED, Outcome.classify(404, "unknown_user", false));
    assertEquals(Outcome.FAILED, Outcome.classify(503, "region_unavailable", false));
    assertEquals(Outcome.FAILED, Outcome.classify(503, "ownership_unconfirmed", false));
    assertEquals(Outcome.FAILED, Outcome.classify(503, "no_quorum", false));
    assertEquals(Outcome.INDETERMINATE, Outcome.classify(503, "owner_unavailable", false));
    assertEquals(Outcome.INDETERMINATE, Outcome.classify(503, "not_durable_yet", false));
    assertEquals(Outcome.INDETERMINATE, Outcome.classify(0, "HttpTimeoutException", false));
    assertEquals(Outcome.FAILED, Outcome.classify(0, "connection_refused", true));
    assertEquals(Outcome.INDETERMINATE, Outcome.classify(500, "internal_error", false));
  }

  @Test
  void onlyDocumented503sAreDocumentedServerErrors() {
    assertTrue(Outcome.documentedServerError(503, "not_durable_yet"));
    assertTrue(Outcome.documentedServerError(409, "payment_conflict"));
    assertTrue(Outcome.documentedServerError(0, "HttpTimeoutException"));
    assertFalse(Outcome.documentedServerError(500, "internal_error"));
    assertFalse(Outcome.documentedServerError(503, "something_else"));
    assertFalse(Outcome.documentedServerError(502, null));
  }

  @Test
  void subsetSumIsExact() {
    assertEquals(SubsetSum.Answer.YES, SubsetSum.reachable(List.of(), 0));
    assertEquals(SubsetSum.Answer.NO, SubsetSum.reachable(List.of(), 3));
    assertEquals(SubsetSum.Answer.YES, SubsetSum.reachable(List.of(3L, 5L, 9L), 14));
    assertEquals(SubsetSum.Answer.NO, SubsetSum.reachable(List.of(3L, 5L, 9L), 10));
    assertEquals(SubsetSum.Answer.YES, SubsetSum.reachable(List.of(2_001L, -105L), 1_896));
  }

  @Test
  void findsListeningSocketsInProcNetTcp() {
    List<String> table =
        List.of(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:2059 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0",
            "   1: 0100007F:2059 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1",
            "   2: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0000000000000000 100 0 0 10 0");
    assertEquals(Set.of("4242"), ListeningProcess.listeningInodes(table, 0x2059));
    assertEquals(Set.of("4444"), ListeningProcess.listeningInodes(table, 8081));
    assertEquals(Set.of(), ListeningProcess.listeningInodes(table, 9042));
  }
}
