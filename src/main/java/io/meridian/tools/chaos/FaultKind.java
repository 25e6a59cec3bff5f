package io.meridian.tools.chaos;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The faults {@code ./meridian chaos} can inject. Clock skew is not here: it needs a per-process
 * clock such as libfaketime, which the region processes do not have (docs/testing.md).
 */
public enum FaultKind {
  /**
   * SIGKILL of a region's process; the demo supervisor restarts it, as Kubernetes restarts a pod.
   */
  KILL("kill", true),
  /**
   * SIGSTOP of a region's process, SIGCONT 2-10 s later: a stalled JVM (GC pause, throttled CPU).
   */
  PAUSE_REGION("pause-region", true),
  /** SIGSTOP of the Cassandra process, SIGCONT 2-10 s later: a stalled journal for every region. */
  PAUSE_CASSANDRA("pause-cassandra", false),
  /** An operator declares a region down, and up again 5-15 s later. */
  ADMIN_DOWN_UP("admin-down-up", true),
  /** A planned move of one user to another region, while the clients write to it. */
  MOVE("move", false),
  /**
   * One region cut off from the others, both ways (Artery test-mode blackhole), healed 5-15 s
   * later.
   */
  PARTITION("partition", true),
  /** One region cannot send to the others, but still receives from them; healed 5-15 s later. */
  ASYMMETRIC_PARTITION("asymmetric-partition", true);

  private final String label;
  private final boolean regionFault;

  FaultKind(String label, boolean regionFault) {
    this.label = label;
    this.regionFault = regionFault;
  }

  /** The name used on the command line, in history.jsonl and in report.json. */
  @com.fasterxml.jackson.annotation.JsonValue
  public String label() {
    return label;
  }

  /**
   * Whether the fault makes one region faulty (so the plan must keep it apart from other region
   * faults).
   */
  public boolean regionFault() {
    return regionFault;
  }

  public static List<FaultKind> all() {
    return List.of(values());
  }

  public static FaultKind parse(String label) {
    String wanted = label.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values())
        .filter(kind -> kind.label.equals(wanted))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown fault kind '"
                        + label
                        + "'; use one of "
                        + Arrays.stream(values()).map(FaultKind::label).toList()
                        + " (clock-skew is not available: see docs/testing.md)"));
  }
}
