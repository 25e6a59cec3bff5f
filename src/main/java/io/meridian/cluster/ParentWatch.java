package io.meridian.cluster;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.LoggerFactory;

/** Ends a node whose launching process is gone, so that a killed demo never leaves orphans. */
final class ParentWatch {
  private ParentWatch() {}

  static void exitWhenGone(ActorSystem<?> system, long parentPid) {
    system
        .scheduler()
        .scheduleAtFixedRate(
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            () -> {
              boolean alive = ProcessHandle.of(parentPid).map(ProcessHandle::isAlive).orElse(false);
              if (!alive) {
                LoggerFactory.getLogger(ParentWatch.class)
                    .warn("parent process {} is gone; stopping", parentPid);
                Runtime.getRuntime().halt(3);
              }
            },
            system.executionContext());
  }
}
