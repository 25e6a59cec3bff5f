package io.meridian.client;

/**
 * Metrics hooks of {@link MeridianClient}: called on the thread that completes the attempt, so keep
 * them short and never block. Every method has a no-op default.
 */
public interface ClientListener {
  ClientListener NONE = new ClientListener() {};

  /** An attempt of {@code request} got {@code answer} (an HTTP answer or a transport failure). */
  default void attempted(ApiRequest request, Answer answer) {}

  /**
   * The client will send {@code request} again, to {@code nextRegion}, after {@code waitMillis}.
   */
  default void retrying(ApiRequest request, Answer previous, String nextRegion, long waitMillis) {}

  /** The call ended (with success or not). */
  default void completed(CallResult result) {}
}
