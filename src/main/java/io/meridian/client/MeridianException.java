package io.meridian.client;

/**
 * A call that did not succeed: its last answer (an error of the API or a transport failure) and
 * every attempt ({@link #result()}). {@link #status()} 0: no HTTP answer at all.
 */
public final class MeridianException extends RuntimeException {
  private final transient CallResult result;

  public MeridianException(CallResult result) {
    super(message(result), null, false, false);
    this.result = result;
  }

  private static String message(CallResult result) {
    Answer last = result.last();
    return result.request().method()
        + " "
        + result.request().path()
        + " failed after "
        + result.attempts().size()
        + " attempt(s) in "
        + result.took().toMillis()
        + " ms"
        + (result.deadlineReached() ? " (deadline reached)" : "")
        + ": "
        + last.describe();
  }

  public CallResult result() {
    return result;
  }

  public int status() {
    return result.last().status();
  }

  /** The API's error code ({@code unknown_user}, ...), or null. */
  public String errorCode() {
    return result.last().errorCode();
  }
}
