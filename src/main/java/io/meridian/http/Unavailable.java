package io.meridian.http;

import io.meridian.region.RegionService;
import io.meridian.user.UserGateway;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Why the cluster path could not serve a request now, whichever feature asked: each is a 503 that
 * the client may retry (docs/api.md). The gateway and the region service fail with exceptions of
 * their own packages ({@link UserGateway.RegionUnavailable}, {@link
 * UserGateway.OwnershipUnconfirmed}, {@link RegionService.NoQuorum}) and an ask that ran out of
 * time fails with a {@link TimeoutException}; {@link #of} gathers them into this closed family, so
 * that each kind carries its own error code and message and a new kind cannot be added without
 * saying what the client sees.
 */
sealed interface Unavailable {

  /** The stable error code of the 503. */
  String code();

  /** What the client is told, including what to do about it. */
  String message();

  /**
   * The region the request needed is known to be unreachable (and not declared down), so nothing
   * was sent there.
   */
  record RegionUnavailable(String reason) implements Unavailable {
    @Override
    public String code() {
      return "region_unavailable";
    }

    @Override
    public String message() {
      return reason + "; retry later";
    }
  }

  /** This region is cut off from a majority of regions: single-writer writes are refused here. */
  record OwnershipUnconfirmed(String reason) implements Unavailable {
    @Override
    public String code() {
      return "ownership_unconfirmed";
    }

    @Override
    public String message() {
      return reason;
    }
  }

  /** This region cannot reach a majority of regions, so it cannot change the region directory. */
  record NoQuorum(String reason) implements Unavailable {
    @Override
    public String code() {
      return "no_quorum";
    }

    @Override
    public String message() {
      return reason + "; ask a node of the majority side";
    }
  }

  /** The owner region did not answer within the ask timeout. */
  record NoAnswerInTime() implements Unavailable {
    @Override
    public String code() {
      return "owner_unavailable";
    }

    @Override
    public String message() {
      return "the owner region did not answer in time; retry later";
    }
  }

  /**
   * The member of the family {@code cause} stands for; empty for any other failure (a defect,
   * answered 500).
   */
  static Optional<Unavailable> of(Throwable cause) {
    if (cause instanceof UserGateway.RegionUnavailable unavailable)
      return Optional.of(new RegionUnavailable(unavailable.getMessage()));
    if (cause instanceof UserGateway.OwnershipUnconfirmed unconfirmed)
      return Optional.of(new OwnershipUnconfirmed(unconfirmed.getMessage()));
    if (cause instanceof RegionService.NoQuorum noQuorum)
      return Optional.of(new NoQuorum(noQuorum.getMessage()));
    if (cause instanceof TimeoutException) return Optional.of(new NoAnswerInTime());
    return Optional.empty();
  }
}
