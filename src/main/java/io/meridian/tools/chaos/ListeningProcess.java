package io.meridian.tools.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the process that listens on a TCP port the way {@code ss -ltnp} does, from /proc: the
 * socket inodes in LISTEN state for the port in /proc/net/tcp and tcp6, then the process whose
 * /proc/&lt;pid&gt;/fd links to one of them. Works for a system we started and for one we attach to
 * (same user), and after the demo restarted a region under a new pid.
 */
public final class ListeningProcess {
  private static final String LISTEN = "0A";

  private ListeningProcess() {}

  public static Optional<Long> pidListeningOn(int port) {
    Set<String> inodes = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        inodes.addAll(listeningInodes(Files.readAllLines(Path.of(table)), port));
      } catch (IOException e) {
        // no IPv6 table: fine
      }
    }
    if (inodes.isEmpty()) return Optional.empty();
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc :
          procs
              .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
              .toList()) {
        if (holdsAny(proc.resolve("fd"), inodes))
          return Optional.of(Long.parseLong(proc.getFileName().toString()));
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * The inodes of the sockets listening on {@code port} in one /proc/net/tcp table (pure, for
   * tests).
   */
  static Set<String> listeningInodes(List<String> table, int port) {
    String hexPort = String.format(Locale.ROOT, "%04X", port);
    Set<String> inodes = new HashSet<>();
    for (String line : table.subList(Math.min(1, table.size()), table.size())) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 10) continue;
      String local = f[1];
      if (local.endsWith(":" + hexPort) && LISTEN.equals(f[3]) && !"0".equals(f[9]))
        inodes.add(f[9]);
    }
    return inodes;
  }

  private static boolean holdsAny(Path fdDir, Set<String> inodes) {
    try (var fds = Files.list(fdDir)) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")
              && inodes.contains(target.substring(8, target.length() - 1))) return true;
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    } catch (IOException | SecurityException e) {
      // not ours to look at
    }
    return false;
  }
}
