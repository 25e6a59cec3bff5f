package io.meridian.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.region.RegionDirectory.Directory;
import io.meridian.region.RegionDirectory.Observation;
import io.meridian.region.RegionDirectory.Observations;
import io.meridian.region.RegionDirectory.RegionRecord;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The region directory's replicated types merge as Distributed Data requires (commutative,
 * associative, idempotent, so every node ends with the same directory whatever the gossip order),
 * and the rule that picks a declaration and the members it downs.
 */
class RegionDirectoryTest {

  private static final RegionControl.Status UP = RegionControl.Status.up;
  private static final RegionControl.Status DOWN = RegionControl.Status.down;

  // ------------------------------------------------------------------ which declaration wins

  @Test
  void theHigherEpochWinsWhateverItsStatus() {
    var down1 = new RegionRecord(DOWN, 1, "auto", 100, List.of("a#1"));
    var up2 = new RegionRecord(UP, 2, "returned", 50, List.of());
    assertSame(up2, down1.merge(up2));
    assertSame(up2, up2.merge(down1));
  }

  @Test
  void atEqualEpochsDownWins() {
    var up = new RegionRecord(UP, 3, "returned", 200, List.of());
    var down = new RegionRecord(DOWN, 3, "operator", 100, List.of("a#1"));
    assertSame(down, up.merge(down));
    assertSame(down, down.merge(up));
  }

  @Test
  void atEqualEpochAndStatusTheLaterDeclarationWinsThenTheReasonThenTheMembers() {
    var early = new RegionRecord(DOWN, 1, "b", 100, List.of("a#1"));
    var late = new RegionRecord(DOWN, 1, "a", 101, List.of("a#1"));
    assertSame(late, early.merge(late));
    assertSame(late, late.merge(early));
    var reasonA = new RegionRecord(DOWN, 1, "a", 100, List.of("z#9"));
    var reasonB = new RegionRecord(DOWN, 1, "b", 100, List.of("a#1"));
    assertSame(reasonB, reasonA.merge(reasonB));
    assertSame(reasonB, reasonB.merge(reasonA));
  }

  @Test
  void theSameDeclarationSeenWithTwoMemberListsDownsBoth() {
    var one = new RegionRecord(DOWN, 1, "a", 100, List.of("b#2"));
    var other = new RegionRecord(DOWN, 1, "a", 100, List.of("a#1", "b#2"));
    assertEquals(List.of("a#1", "b#2"), one.merge(other).downedMembers());
    assertEquals(List.of("a#1", "b#2"), other.merge(one).downedMembers());
    var everyone = new RegionRecord(DOWN, 1, "a", 100, null);
    assertEquals(null, one.merge(everyone).downedMembers());
    assertEquals(null, everyone.merge(one).downedMembers());
  }

  @Test
  void twoReportsOfOneNodeAtTheSameMillisecondAreToldApartByContent() {
    var sees = new Observation("eu", Map.of("us", 10L), 100);
    var seesNothing = new Observation("eu", Map.of(), 100);
    // Either would do; what matters is that both orders pick the same one (here by content, "eu{}"
    // > "eu{us=10}").
    assertSame(seesNothing, Observations.newer(sees, seesNothing));
    assertSame(seesNothing, Observations.newer(seesNothing, sees));
    var later = new Observation("eu", Map.of(), 101);
    assertSame(later, Observations.newer(sees, later));
    assertSame(later, Observations.newer(later, sees));
  }

  // ------------------------------------------------------------------ which members a declaration
  // downs

  @Test
  void aDownDeclarationDownsTheIncarnationsItListsAndNoNewerOne() {
    var down =
        new RegionRecord(DOWN, 1, "operator", 100, List.of("pekko://meridian@127.0.0.1:2552#17"));
    assertTrue(down.downs("pekko://meridian@127.0.0.1:2552#17"));
    assertFalse(
        down.downs("pekko://meridian@127.0.0.1:2552#18"),
        "a restarted incarnation on the same address");
    assertFalse(down.downs("pekko://meridian@127.0.0.1:2553#17"));
  }

  @Test
  void aDownDeclarationWithoutAListDownsEveryMember() {
    var older = new RegionRecord(DOWN, 1, "operator", 100, null);
    assertTrue(older.downs("pekko://meridian@127.0.0.1:2552#17"));
  }

  @Test
  void anUpDeclarationDownsNobody() {
    var up =
        new RegionRecord(UP, 2, "returned", 100, List.of("pekko://meridian@127.0.0.1:2552#17"));
    assertFalse(up.downs("pekko://meridian@127.0.0.1:2552#17"));
    assertFalse(RegionRecord.INITIAL.downs("pekko://meridian@127.0.0.1:2552#17"));
  }

  @Test
  void anIncarnationIsTheAddressAndTheUid() {
    var address = org.apache.pekko.actor.Address.apply("pekko", "meridian", "127.0.0.1", 2552);
    var first = new org.apache.pekko.cluster.UniqueAddress(address, 17L);
    var second = new org.apache.pekko.cluster.UniqueAddress(address, 18L);
    assertEquals("pekko://meridian@127.0.0.1:2552#17", RegionRecord.incarnation(first));
    assertFalse(RegionRecord.incarnation(first).equals(RegionRecord.incarnation(second)));
  }

  @Test
  void aDirectoryMergeKeepsTheWinningDeclarationPerRegionAndANeverDeclaredRegionIsUp() {
    var euDown = new RegionRecord(DOWN, 1, "operator", 100, List.of("e#1"));
    var euUp = new RegionRecord(UP, 2, "returned", 200, List.of());
    var apDown = new RegionRecord(DOWN, 1, "auto", 100, List.of("a#1"));
    var left = Directory.EMPTY.with("eu", euDown).with("ap", apDown);
    var right = Directory.EMPTY.with("eu", euUp);
    var merged = left.mergeData(right);
    assertEquals(Map.of("eu", euUp, "ap", apDown), merged.records());
    assertEquals(merged, right.mergeData(left));
    assertFalse(merged.equals(left));
    assertFalse(Directory.EMPTY.with("eu", euDown).equals(Directory.EMPTY.with("eu", euUp)));
    assertEquals(euUp, left.with("eu", euUp).recordOf("eu"));
    assertEquals(
        euDown,
        Directory.EMPTY.with("eu", euDown).with("eu", RegionRecord.INITIAL).recordOf("eu"),
        "a lower epoch does not replace");
    assertSame(RegionRecord.INITIAL, merged.recordOf("us"));
    assertEquals(RegionControl.Status.up, merged.recordOf("us").status());
  }

  @Test
  void anObservationsMergeKeepsEachNodesNewestReport() {
    var old = new Observation("eu", Map.of("us", 10L), 100);
    var newer = new Observation("eu", Map.of(), 200);
    var a = Observations.EMPTY.with("n1", old);
    var b = Observations.EMPTY.with("n1", newer).with("n2", old);
    assertEquals(newer, a.mergeData(b).byNode().get("n1"));
    assertEquals(newer, b.mergeData(a).byNode().get("n1"));
    assertEquals(old, a.mergeData(b).byNode().get("n2"));
    assertFalse(a.equals(b));
    assertEquals(Set.of("us"), old.unreachable());
  }

  // ------------------------------------------------------------------ the merges are a semilattice

  @Property(tries = 300)
  void aDirectoryMergeIsCommutativeAssociativeAndIdempotent(
      @ForAll("directories") Directory a,
      @ForAll("directories") Directory b,
      @ForAll("directories") Directory c) {
    assertEquals(a.mergeData(b).records(), b.mergeData(a).records());
    assertEquals(a.mergeData(b).mergeData(c).records(), a.mergeData(b.mergeData(c)).records());
    assertEquals(a.records(), a.mergeData(a).records());
    assertEquals(a.mergeData(b), b.mergeData(a));
  }

  @Property(tries = 300)
  void anObservationsMergeIsCommutativeAssociativeAndIdempotent(
      @ForAll("observations") Observations a,
      @ForAll("observations") Observations b,
      @ForAll("observations") Observations c) {
    assertEquals(a.mergeData(b).byNode(), b.mergeData(a).byNode());
    assertEquals(a.mergeData(b).mergeData(c).byNode(), a.mergeData(b.mergeData(c)).byNode());
    assertEquals(a.byNode(), a.mergeData(a).byNode());
    assertEquals(a.mergeData(b), b.mergeData(a));
  }

  @Provide
  Arbitrary<Directory> directories() {
    Arbitrary<RegionRecord> records =
        Combinators.combine(
                Arbitraries.of(UP, DOWN),
                Arbitraries.longs().between(0, 3),
                Arbitraries.of("a", "b"),
                Arbitraries.longs().between(0, 2),
                Arbitraries.of("x#1", "y#2")
                    .list()
                    .ofMaxSize(2)
                    .uniqueElements()
                    .map(l -> List.copyOf(new java.util.TreeSet<>(l)))
                    .injectNull(0.1))
            .as(RegionRecord::new);
    return Arbitraries.maps(Arbitraries.of("us", "eu", "ap"), records)
        .ofMaxSize(3)
        .map(Directory::new);
  }

  @Provide
  Arbitrary<Observations> observations() {
    // Distinct publication times per node: a node publishes each report at a new time.
    Arbitrary<Observation> observation =
        Combinators.combine(
                Arbitraries.of("us", "eu"),
                Arbitraries.maps(
                        Arbitraries.of("us", "eu", "ap"), Arbitraries.longs().between(0, 5))
                    .ofMaxSize(2),
                Arbitraries.longs().between(0, 1_000_000))
            .as(Observation::new);
    return Arbitraries.maps(Arbitraries.of("n1", "n2", "n3"), observation)
        .ofMaxSize(3)
        .map(Observations::new);
  }
}
