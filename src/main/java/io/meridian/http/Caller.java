package io.meridian.http;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * An authenticated caller of {@code /v1}: the calling service's configured name (for logs and, per
 * caller, limits) and the scopes its token grants.
 */
record Caller(String name, Set<Scope> scopes) {
  Caller {
    scopes =
        Collections.unmodifiableSet(
            scopes.isEmpty() ? EnumSet.noneOf(Scope.class) : EnumSet.copyOf(scopes));
  }

  boolean has(Scope scope) {
    return scopes.contains(scope);
  }
}
