package io.meridian.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * A user as the API answers it (docs/openapi.yaml, schema User). {@code version}: per origin
 * region, the events the answering replica has applied (for {@link
 * MeridianClient#userOnceApplied}). {@code cohort}: its follow-the-sun cohort, or null.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UserDocument(
    String userId,
    String homeRegion,
    String owner,
    long epoch,
    Map<String, String> profile,
    long points,
    List<String> devices,
    Wallet wallet,
    Map<String, Long> version,
    String cohort) {

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Wallet(String balance, boolean overdraftFlagged) {}
}
