package io.meridian.region;

import io.meridian.user.UserGateway;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The region drills of one node (issue 16; {@code POST /v1/admin/drills}): starts a {@link
 * RegionDrill} on a thread of its own, one at a time, and keeps the last {@link #KEPT} for {@code
 * GET /v1/admin/drills/{id}}. A drill is run by a node of a region other than the drilled one: the
 * drilled region's nodes are downed by the drill's first step.
 */
public final class RegionDrills {
  static final int KEPT = 20;

  /** One step: {@code state} pending, running, done or failed; times in ms. */
  public record Step(String name, String state, Long startedAt, Long tookMillis, String detail) {}

  /**
   * The drill's writes: payments sent, acknowledged by the owner, failed (refused or unanswered,
   * expected while ownership moves), and acknowledged ones missing in some region at the end.
   */
  public record Writes(
      long sent, long acknowledged, long failed, long lost, List<String> lostExamples) {}

  /**
   * Where a drill is. {@code status}: running, passed (every step done, no acknowledged write lost)
   * or failed. {@code usersMoved}, {@code usersHandedBack}: from this region's census (-1 until
   * known).
   */
  public record Progress(
      String id,
      String region,
      String successor,
      String runBy,
      String status,
      long startedAt,
      Long finishedAt,
      List<Step> steps,
      long usersMoved,
      long usersHandedBack,
      Writes writes,
      String message) {}

  /** Why a drill cannot start: {@code code} is the API's error code. */
  public static final class Refused extends RuntimeException {
    private final String code;

    Refused(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final RegionService regionService;
  private final UserGateway gateway;
  private final OwnershipJournal journal;
  private final Map<String, RegionDrill> drills = new LinkedHashMap<>();
  private final List<Consumer<Progress>> listeners = new CopyOnWriteArrayList<>();

  public RegionDrills(RegionService regionService, UserGateway gateway, OwnershipJournal journal) {
    this.regionService = regionService;
    this.gateway = gateway;
    this.journal = journal;
  }

  /** Told of every step of every drill (the console's event stream). */
  public void addListener(Consumer<Progress> listener) {
    listeners.add(listener);
  }

  /**
   * Starts a drill of {@code region} with {@code users} drill users; refused when {@code region} is
   * this node's own, is not up, has no successor, or a drill is running.
   */
  public synchronized Progress start(String region, int users, Duration stepTimeout) {
    if (region.equals(regionService.ownRegion()))
      throw new Refused(
          "drill_needs_other_region",
          "region "
              + region
              + " is this node's own: its first step downs this node; send the drill to a node of"
              + " another region");
    if (regionService.statusOf(region) != RegionControl.Status.up)
      throw new Refused(
          "region_not_up",
          "region " + region + " is " + regionService.statusOf(region) + ", not up");
    String successor =
        regionService
            .successorOf(region)
            .orElseThrow(() -> new Refused("no_successor", "no region could take over " + region));
    if (drills.values().stream().anyMatch(d -> !d.finished()))
      throw new Refused("drill_running", "a drill is running on this node; wait for its end");
    String id = UUID.randomUUID().toString().substring(0, 8);
    var drill =
        new RegionDrill(
            id,
            region,
            successor,
            users,
            stepTimeout,
            regionService,
            gateway,
            journal,
            progress -> listeners.forEach(listener -> listener.accept(progress)));
    drills.put(id, drill);
    while (drills.size() > KEPT) drills.remove(drills.keySet().iterator().next());
    Thread thread = new Thread(drill, "drill-" + id);
    thread.setDaemon(true);
    thread.start();
    return drill.progress();
  }

  public synchronized Optional<Progress> progress(String id) {
    return Optional.ofNullable(drills.get(id)).map(RegionDrill::progress);
  }
}
