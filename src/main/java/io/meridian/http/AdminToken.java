package io.meridian.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The bearer token every {@code /v1/admin/...} request must carry ({@code meridian.admin-token}).
 */
final class AdminToken {
  private final String token;

  AdminToken(String token) {
    this.token = token;
  }

  /** 401 without a bearer token, 403 with a wrong one (or when no admin token is configured). */
  void authorize(Optional<String> authorization) {
    if (authorization.isEmpty() || !authorization.get().startsWith("Bearer ")) {
      throw new ApiError(
          StatusCodes.UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <admin token>");
    }
    String presented = authorization.get().substring("Bearer ".length()).trim();
    // Compared in constant time, so the answer's timing says nothing about how much of it was
    // right.
    boolean ok =
        !token.isEmpty()
            && MessageDigest.isEqual(
                presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    if (!ok) throw new ApiError(StatusCodes.FORBIDDEN, "forbidden", "the admin token is not valid");
  }
}
