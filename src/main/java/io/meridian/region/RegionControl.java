package io.meridian.region;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What the API shows and changes about regions: status, successor, epoch, and what this node sees.
 */
public interface RegionControl {

  enum Status {
    up,
    suspect,
    down
  }

  /**
   * One region as seen from this node; {@code lagMillis}: newest replication lag from it to here.
   */
  record RegionInfo(
      String region, Status status, String successor, long epoch, Long replicationLagMillis) {}

  List<RegionInfo> regionInfos();

  /** Operator: declare {@code region} down (downs its members and re-homes its users). */
  CompletionStage<RegionInfo> declareDown(String region, String reason);

  /**
   * Operator: declare {@code region} up again (hand-back of its users follows once it caught up).
   */
  CompletionStage<RegionInfo> declareUp(String region, String reason);
}
