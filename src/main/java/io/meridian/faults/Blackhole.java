package io.meridian.faults;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import scala.concurrent.Await;

/**
 * The node side of the chaos tool's network partitions: drops this node's Artery traffic to and/or
 * from every member of another region, with Artery's test-mode blackhole (the mechanism the
 * integration tests use in {@code ThreeRegions.isolate}). Only for chaos runs: it needs {@code
 * pekko.remote.artery.advanced.test-mode = on}, and the HTTP API exposes it only when {@code
 * meridian.chaos.enabled = on}; neither is on by default. HTTP is not affected, so the chaos tool
 * can always heal what it cut.
 */
public final class Blackhole implements org.apache.pekko.actor.typed.Extension {
  public static final String ENABLED_KEY = "meridian.chaos.enabled";

  /** Which of this node's traffic with the other region is dropped. */
  public enum Direction {
    /** this node's messages to the other region (the other region still reaches this node) */
    SEND,
    /** the other region's messages to this node */
    RECEIVE,
    BOTH;

    ThrottlerTransportAdapter.Direction artery() {
      return switch (this) {
        case SEND -> ThrottlerTransportAdapter.sendDirection();
        case RECEIVE -> ThrottlerTransportAdapter.receiveDirection();
        case BOTH -> ThrottlerTransportAdapter.bothDirection();
      };
    }
  }

  private final ActorSystem<?> system;

  /**
   * Per region, every address this node has cut. Healing must reach them even when they are no
   * longer members here: a cut-off region the others declared down is removed from their view, and
   * healing only the current members left the others' side of the cut in place, so the cut-off
   * region never heard it was downed and ran on as an island (seen in a chaos run with fast failure
   * detection, where partitions outlast detection plus auto-down).
   */
  private final java.util.Map<String, java.util.Set<Address>> cut =
      new java.util.concurrent.ConcurrentHashMap<>();

  private Blackhole(ActorSystem<?> system) {
    this.system = system;
  }

  /**
   * The node's one blackhole (an extension): what it cut must be remembered across requests, and
   * HTTP routes are evaluated per request (a Blackhole made there forgot every cut, so a heal after
   * the cut region was removed lifted nothing: the island of the fast-detection chaos runs).
   */
  public static Blackhole get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends org.apache.pekko.actor.typed.ExtensionId<Blackhole> {
    static final Id INSTANCE = new Id();

    @Override
    public Blackhole createExtension(ActorSystem<?> system) {
      return new Blackhole(system);
    }
  }

  public static boolean enabled(ActorSystem<?> system) {
    var config = system.settings().config();
    return config.hasPath(ENABLED_KEY) && config.getBoolean(ENABLED_KEY);
  }

  /** Drops traffic with every current member of {@code region}; returns the addresses cut. */
  public List<String> cut(String region, Direction direction) {
    List<Address> targets = membersOf(region);
    cut.computeIfAbsent(region, r -> java.util.concurrent.ConcurrentHashMap.newKeySet())
        .addAll(targets);
    return apply(targets, direction.artery(), ThrottlerTransportAdapter.blackholeThrottleMode());
  }

  /**
   * Lets all traffic with {@code region} through again, both ways: its members now, and every
   * address cut before.
   */
  public List<String> heal(String region) {
    var targets = new java.util.LinkedHashSet<>(membersOf(region));
    java.util.Set<Address> wasCut = cut.remove(region);
    if (wasCut != null) targets.addAll(wasCut);
    return apply(
        List.copyOf(targets),
        ThrottlerTransportAdapter.bothDirection(),
        ThrottlerTransportAdapter.unthrottledThrottleMode());
  }

  private List<Address> membersOf(String region) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(member -> member.dataCenter().equals(region))
        .map(Member::address)
        .toList();
  }

  private List<String> apply(
      List<Address> targets,
      ThrottlerTransportAdapter.Direction direction,
      ThrottlerTransportAdapter.ThrottleMode mode) {
    var classic = Adapter.toClassic(system);
    for (Address target : targets) {
      var command = new ThrottlerTransportAdapter.SetThrottle(target, direction, mode);
      try {
        Object done =
            Await.result(
                ((RARP) RARP.get(classic)).provider().transport().managementCommand(command),
                scala.concurrent.duration.Duration.create(10, TimeUnit.SECONDS));
        if (!Boolean.TRUE.equals(done))
          throw new IllegalStateException(
              "the transport refused "
                  + command
                  + " (is pekko.remote.artery.advanced.test-mode on?)");
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("cannot change traffic to " + target, e);
      }
    }
    return targets.stream().map(Address::toString).toList();
  }
}
