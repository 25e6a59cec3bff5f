package io.meridian.http;

import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * A request the API refuses: the HTTP status, a stable machine-readable code and a message that
 * tells the client what to fix. Thrown by validation, turned into {@code {"error","message"}}.
 */
public final class ApiError extends RuntimeException {
  private final StatusCode status;
  private final String code;

  public ApiError(StatusCode status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public StatusCode status() {
    return status;
  }

  public String code() {
    return code;
  }

  public static ApiError badRequest(String code, String message) {
    return new ApiError(StatusCodes.BAD_REQUEST, code, message);
  }
}
