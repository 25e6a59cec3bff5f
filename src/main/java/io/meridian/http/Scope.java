package io.meridian.http;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a caller of {@code /v1} may do (docs/api.md, "Authentication"): each endpoint needs one
 * scope ({@link EndpointScopes}), each caller holds a set of them ({@link Caller}). No scope
 * implies another: a caller gets exactly the scopes its configuration lists.
 */
enum Scope {
  /** Reads of users and regions. */
  READ,
  /** Writes to users: create, profile, points, devices, move. */
  WRITE,
  /** Payments: pay, and the status of a payment. */
  PAYMENTS,
  /** The operator's {@code /v1/admin/...}: region down/up, the chaos switches. */
  ADMIN;

  /** The name in config, docs and error messages: {@code read}, {@code write}, ... */
  String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Optional<Scope> parse(String name) {
    return Arrays.stream(values()).filter(s -> s.configName().equals(name)).findFirst();
  }
}
