package io.meridian.tools.chaos;

import java.util.Locale;
import java.util.Set;

/**
 * What a request did, as far as the client can know (Jepsen's ok / fail / info).
 *
 * <p>{@code FAILED} is only used where the API's contract says that nothing changed: a 4xx, or a
 * 503 that is refused before anything is executed ({@code ownership_unconfirmed}, {@code
 * region_unavailable}, {@code no_quorum}), or a connection that was refused (the request reached no
 * server). Everything else that is not a 2xx — a timeout, a broken connection, {@code
 * owner_unavailable} (the owner may have executed it after the ask timed out), {@code
 * not_durable_yet} (the owner recorded the payment) — is {@code INDETERMINATE}: it may or may not
 * have happened, now or later.
 */
public enum Outcome {
  OK,
  FAILED,
  INDETERMINATE;

  /** 503 codes the API documents as "refused, nothing changed". */
  static final Set<String> REFUSED_503 =
      Set.of("ownership_unconfirmed", "region_unavailable", "no_quorum");

  /** 503 codes the API documents as "may have happened". */
  static final Set<String> UNCERTAIN_503 = Set.of("owner_unavailable", "not_durable_yet");

  /**
   * Status 0 means no HTTP answer; {@code refused} that the connection was refused (nothing sent).
   */
  public static Outcome classify(int status, String errorCode, boolean refused) {
    if (status == 0) return refused ? FAILED : INDETERMINATE;
    if (status >= 200 && status < 300) return OK;
    if (status >= 400 && status < 500) return FAILED;
    if (status == 503 && errorCode != null && REFUSED_503.contains(errorCode)) return FAILED;
    return INDETERMINATE;
  }

  /** Whether a 5xx is one the API documents (a 503 with a documented code). */
  public static boolean documentedServerError(int status, String errorCode) {
    if (status < 500) return true;
    return status == 503
        && errorCode != null
        && (REFUSED_503.contains(errorCode) || UNCERTAIN_503.contains(errorCode));
  }

  @com.fasterxml.jackson.annotation.JsonValue
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
