package io.meridian.tools.chaos;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** POSIX signals to one process by pid: Java has SIGKILL and SIGTERM, not SIGSTOP/SIGCONT. */
final class Signals {
  private Signals() {}

  static boolean kill9(long pid) {
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    return process.isPresent() && process.get().destroyForcibly();
  }

  static boolean stop(long pid) {
    return send("-STOP", pid);
  }

  static boolean resume(long pid) {
    return send("-CONT", pid);
  }

  private static boolean send(String signal, long pid) {
    try {
      Process kill =
          new ProcessBuilder("kill", signal, Long.toString(pid)).redirectErrorStream(true).start();
      return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
