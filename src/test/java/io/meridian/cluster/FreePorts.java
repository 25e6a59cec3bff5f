package io.meridian.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free loopback ports for tests that start whole process trees (demo, chaos). */
public final class FreePorts {
  private FreePorts() {}

  /** One free loopback port. */
  public static int one() {
    try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A base port with {@code count} free consecutive ports from it. Take one block for all the ports
   * a test needs: separate searches can return overlapping blocks.
   */
  public static int freeBase(int count) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base;
      try (ServerSocket probe = new ServerSocket(0)) {
        base = probe.getLocalPort();
      }
      if (base + count > 65535) continue;
      boolean free = true;
      for (int port = base; port < base + count && free; port++) {
        try (ServerSocket s = new ServerSocket(port, 0, InetAddress.getLoopbackAddress())) {
          // free
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) return base;
    }
    throw new IOException("no " + count + " consecutive free ports");
  }
}
