package io.meridian.cohort;

import java.util.Optional;
import java.util.function.Predicate;

/**
 * Where a user joining a cohort goes now: the region the cohort's schedule gives the cohort at this
 * node's {@link CohortClock}, if that region is live; otherwise nowhere yet (the user stays with
 * its owner, and the region's hand-off pulls it when the region is back within its window).
 */
public final class CohortPlacement {

  /** The cohort has no schedule. */
  public static final class UnknownCohort extends RuntimeException {
    public UnknownCohort(String cohort) {
      super(
          "no cohort "
              + cohort
              + " is scheduled (GET /v1/admin/cohorts lists them; PUT /v1/admin/cohorts/"
              + cohort
              + " creates it)");
    }
  }

  private final CohortDirectory directory;
  private final CohortClock clock;
  private final Predicate<String> live;

  /**
   * @param live whether a region can take users now (not declared down, reachable)
   */
  public CohortPlacement(CohortDirectory directory, CohortClock clock, Predicate<String> live) {
    this.directory = directory;
    this.clock = clock;
    this.live = live;
  }

  /** The region {@code cohort}'s schedule gives it now, if live; throws for an unknown cohort. */
  public Optional<String> placeNow(String cohort) {
    CohortDirectory.Cohort known =
        directory.cohort(cohort).orElseThrow(() -> new UnknownCohort(cohort));
    return Optional.of(known.schedule().ownerAt(clock.now())).filter(live);
  }

  /** The region {@code cohort}'s schedule gives it now, live or not; empty: no such cohort. */
  public Optional<String> scheduledNow(String cohort) {
    return directory.cohort(cohort).map(known -> known.schedule().ownerAt(clock.now()));
  }

  public CohortDirectory directory() {
    return directory;
  }

  public CohortClock clock() {
    return clock;
  }
}
