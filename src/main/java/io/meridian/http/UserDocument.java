package io.meridian.http;

import io.meridian.user.User;
import java.util.List;
import java.util.Map;

/**
 * The user as clients see it (docs/api.md, Documents); built from the entity's view, never the
 * entity's own types.
 */
record UserDocument(
    String userId,
    String homeRegion,
    String owner,
    long epoch,
    Map<String, String> profile,
    long points,
    List<String> devices,
    Wallet wallet,
    Map<String, Long> version,
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String cohort) {

  record Wallet(String balance, boolean overdraftFlagged) {}

  static UserDocument of(User.View view) {
    return new UserDocument(
        view.userId(),
        view.homeRegion(),
        view.owner(),
        view.epoch(),
        view.profile(),
        view.points(),
        view.devices(),
        new Wallet(view.balance().setScale(2).toPlainString(), view.overdraftFlagged()),
        view.version(),
        view.cohort());
  }
}
