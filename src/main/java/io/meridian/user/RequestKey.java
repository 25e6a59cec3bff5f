package io.meridian.user;

import io.meridian.serialization.CborSerializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A write's Idempotency-Key (chosen by the client) and the digest of the request it was sent with:
 * carried by the write's command and, once it is executed, by its event, so every replica learns
 * the key ({@link IdempotencyKeys}). The same key with the same digest is a retry (answered with
 * the first outcome, nothing changes); with another digest, a different request (refused, 422).
 *
 * @param digest SHA-256 (hex) of the operation and its validated arguments ({@link #of})
 */
public record RequestKey(String key, String digest) implements CborSerializable {

  /**
   * The key of a request: {@code operation} (create, profile, points, ...) and its arguments as the
   * server validated them, in a fixed order, so a retry of the same request digests the same
   * wherever it arrives.
   */
  public static RequestKey of(String key, String operation, String... arguments) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(operation.getBytes(StandardCharsets.UTF_8));
      for (String argument : arguments) {
        sha.update((byte) 0);
        sha.update(String.valueOf(argument).getBytes(StandardCharsets.UTF_8));
      }
      return new RequestKey(key, HexFormat.of().formatHex(sha.digest()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
