package io.meridian.cohort;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The clock that schedules are read against on one node: the system clock, or one a test sets, so
 * that boundaries come when a test says, not after hours of real time. Everything that asks "who
 * owns this cohort now" (the hand-off, the API) reads it here.
 */
public final class CohortClock implements Extension {

  private static final ExtensionId<CohortClock> ID =
      new ExtensionId<>() {
        @Override
        public CohortClock createExtension(ActorSystem<?> system) {
          return new CohortClock();
        }
      };

  public static CohortClock get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  private final AtomicReference<Clock> clock = new AtomicReference<>(Clock.systemUTC());

  private CohortClock() {}

  public Instant now() {
    return clock.get().instant();
  }

  /** Tests only: read schedules against {@code replacement} from now on. */
  public void set(Clock replacement) {
    clock.set(replacement);
  }
}
