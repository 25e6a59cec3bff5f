package io.meridian.region;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.meridian.serialization.CborSerializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.cluster.ddata.AbstractReplicatedData;
import org.apache.pekko.cluster.ddata.Key;

/**
 * The replicated data behind the region directory (Pekko Distributed Data, written with majority
 * consistency across data centers): each region's declared status and epoch, and what each node
 * currently sees as unreachable.
 */
public final class RegionDirectory {
  private RegionDirectory() {}

  /**
   * A region's declared status; {@code epoch} grows with every declaration about that region.
   *
   * @param downedMembers for a down declaration, the incarnations of the region's members the
   *     declaring node knew (address and uid, {@link #incarnation}): a node that learns of the
   *     declaration later downs only those, never a newer incarnation that joined meanwhile. Empty
   *     for up; {@code null} in records written before it existed (then every member is downed).
   */
  public record RegionRecord(
      RegionControl.Status status, long epoch, String reason, long at, List<String> downedMembers)
      implements CborSerializable {
    static final RegionRecord INITIAL =
        new RegionRecord(RegionControl.Status.up, 0, "initial", 0, List.of());

    /**
     * Highest epoch wins; at equal epochs "down" wins (the safer claim), then the later
     * declaration.
     */
    RegionRecord merge(RegionRecord other) {
      if (other.epoch != epoch) return other.epoch > epoch ? other : this;
      if (other.status != status) return other.status == RegionControl.Status.down ? other : this;
      if (other.at != at) return other.at > at ? other : this;
      int byReason = other.reason.compareTo(reason);
      if (byReason != 0) return byReason > 0 ? other : this;
      return withDownedMembers(union(downedMembers, other.downedMembers));
    }

    /**
     * The same declaration seen with two member lists downs both; a missing list means every
     * member.
     */
    private static List<String> union(List<String> a, List<String> b) {
      if (a == null || b == null) return null;
      var union = new java.util.TreeSet<>(a);
      union.addAll(b);
      return List.copyOf(union);
    }

    private RegionRecord withDownedMembers(List<String> members) {
      return java.util.Objects.equals(members, downedMembers)
          ? this
          : new RegionRecord(status, epoch, reason, at, members);
    }

    /**
     * Whether a node that learns of this declaration downs {@code member} (an {@link
     * #incarnation}): a down declaration covers the incarnations it lists, or every one if it lists
     * none (older records); an up declaration downs nobody.
     */
    boolean downs(String member) {
      if (status != RegionControl.Status.down) return false;
      return downedMembers == null || downedMembers.contains(member);
    }

    /** A member's incarnation as declarations list it: its address and the uid of this start. */
    static String incarnation(org.apache.pekko.cluster.UniqueAddress member) {
      return member.address() + "#" + member.longUid();
    }
  }

  /** Region name → declared status. A region never declared is up at epoch 0. */
  public static final class Directory extends AbstractReplicatedData<Directory>
      implements CborSerializable {
    public static final Key<Directory> KEY = new Key<>("meridian-region-directory") {};
    public static final Directory EMPTY = new Directory(Map.of());

    private final Map<String, RegionRecord> records;

    @JsonCreator
    public Directory(@JsonProperty("records") Map<String, RegionRecord> records) {
      this.records = Map.copyOf(records);
    }

    @JsonProperty("records")
    public Map<String, RegionRecord> records() {
      return records;
    }

    public RegionRecord recordOf(String region) {
      return records.getOrDefault(region, RegionRecord.INITIAL);
    }

    public Directory with(String region, RegionRecord record) {
      var updated = new HashMap<>(records);
      updated.merge(region, record, RegionRecord::merge);
      return new Directory(updated);
    }

    @Override
    public Directory mergeData(Directory that) {
      var merged = new HashMap<>(records);
      that.records.forEach((region, record) -> merged.merge(region, record, RegionRecord::merge));
      return new Directory(merged);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Directory d && d.records.equals(records);
    }

    @Override
    public int hashCode() {
      return records.hashCode();
    }

    @Override
    public String toString() {
      return "Directory" + new TreeMap<>(records);
    }
  }

  /** What one node sees: the regions it finds unreachable and since when (its clock, ms). */
  public record Observation(String observerRegion, Map<String, Long> unreachableSince, long at)
      implements CborSerializable {
    Set<String> unreachable() {
      return unreachableSince.keySet();
    }
  }

  /** Node address → its newest observation (newest {@code at} wins per node). */
  public static final class Observations extends AbstractReplicatedData<Observations>
      implements CborSerializable {
    public static final Key<Observations> KEY = new Key<>("meridian-region-observations") {};
    public static final Observations EMPTY = new Observations(Map.of());

    private final Map<String, Observation> byNode;

    @JsonCreator
    public Observations(@JsonProperty("byNode") Map<String, Observation> byNode) {
      this.byNode = Map.copyOf(byNode);
    }

    @JsonProperty("byNode")
    public Map<String, Observation> byNode() {
      return byNode;
    }

    public Observations with(String node, Observation observation) {
      var updated = new HashMap<>(byNode);
      updated.put(node, observation);
      return new Observations(updated);
    }

    @Override
    public Observations mergeData(Observations that) {
      var merged = new HashMap<>(byNode);
      that.byNode.forEach((node, obs) -> merged.merge(node, obs, Observations::newer));
      return new Observations(merged);
    }

    /**
     * A node's newer report; two reports of one node with the same time (one millisecond) are told
     * apart by their content, so every node keeps the same one whatever the gossip order.
     */
    static Observation newer(Observation a, Observation b) {
      if (a.at() != b.at()) return b.at() > a.at() ? b : a;
      return canonical(b).compareTo(canonical(a)) > 0 ? b : a;
    }

    private static String canonical(Observation observation) {
      return observation.observerRegion() + new TreeMap<>(observation.unreachableSince());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Observations other && other.byNode.equals(byNode);
    }

    @Override
    public int hashCode() {
      return byNode.hashCode();
    }
  }
}
