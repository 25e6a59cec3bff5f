package io.meridian.http;

import java.util.List;

/**
 * Every {@code /v1} endpoint and the scope it needs: the one table that decides access
 * (docs/api.md, "Authentication", lists the same; a test keeps the two in step and calls every
 * endpoint with and without its scope). {@link CallerAuthorization} looks a request up here before
 * any route sees it, and a request that matches no entry is answered 404 (or 405 for a known path)
 * right there: an endpoint added to a routes class without its line here is unreachable, never
 * open.
 */
final class EndpointScopes {
  private EndpointScopes() {}

  /**
   * One endpoint: its method and path template ({@code {name}} stands for one non-empty path
   * segment).
   */
  record Endpoint(String method, String path, Scope scope) {
    private String[] segments() {
      return path.split("/", -1);
    }

    boolean matchesPath(String[] requestSegments) {
      String[] template = segments();
      if (template.length != requestSegments.length) return false;
      for (int i = 0; i < template.length; i++) {
        boolean parameter = template[i].startsWith("{") && template[i].endsWith("}");
        if (parameter ? requestSegments[i].isEmpty() : !template[i].equals(requestSegments[i]))
          return false;
      }
      return true;
    }
  }

  static final List<Endpoint> ALL =
      List.of(
          new Endpoint("POST", "/v1/users", Scope.WRITE),
          new Endpoint("GET", "/v1/users/{userId}", Scope.READ),
          new Endpoint("PATCH", "/v1/users/{userId}/profile", Scope.WRITE),
          new Endpoint("POST", "/v1/users/{userId}/points", Scope.WRITE),
          new Endpoint("PUT", "/v1/users/{userId}/devices/{deviceId}", Scope.WRITE),
          new Endpoint("DELETE", "/v1/users/{userId}/devices/{deviceId}", Scope.WRITE),
          new Endpoint("POST", "/v1/users/{userId}/move", Scope.WRITE),
          new Endpoint("POST", "/v1/users/{userId}/payments", Scope.PAYMENTS),
          // A payment's status is the payments scope's, not read's: the caller that pays is the
          // one that asks after its payment (docs/decisions.md).
          new Endpoint("GET", "/v1/users/{userId}/payments/{paymentId}", Scope.PAYMENTS),
          new Endpoint("GET", "/v1/regions", Scope.READ),
          // The contract (docs/openapi.yaml): read, like every /v1 answer, so the rule "every /v1
          // request carries a token" has no exception (docs/decisions.md).
          new Endpoint("GET", "/v1/openapi.json", Scope.READ),
          new Endpoint("POST", "/v1/admin/regions/{region}/down", Scope.ADMIN),
          new Endpoint("POST", "/v1/admin/regions/{region}/up", Scope.ADMIN),
          new Endpoint("POST", "/v1/admin/chaos/blackhole", Scope.ADMIN),
          new Endpoint("POST", "/v1/admin/chaos/heal", Scope.ADMIN),
          // The operator console (issue 16, docs/console.md): views read, buttons admin.
          new Endpoint("GET", "/v1/users/{userId}/ownership", Scope.READ),
          new Endpoint("GET", "/v1/users/{userId}/replicas", Scope.READ),
          new Endpoint("GET", "/v1/regions/lag", Scope.READ),
          new Endpoint("GET", "/v1/events", Scope.READ),
          new Endpoint("POST", "/v1/admin/users/{userId}/move", Scope.ADMIN),
          new Endpoint("POST", "/v1/admin/drills", Scope.ADMIN),
          new Endpoint("GET", "/v1/admin/drills/{drillId}", Scope.ADMIN),
          // Follow the sun (issue 17, docs/follow-the-sun.md): a user joins a cohort with a write;
          // the schedules are the operator's.
          new Endpoint("PUT", "/v1/users/{userId}/cohort", Scope.WRITE),
          new Endpoint("GET", "/v1/admin/cohorts", Scope.ADMIN),
          new Endpoint("GET", "/v1/admin/cohorts/{cohort}", Scope.ADMIN),
          new Endpoint("PUT", "/v1/admin/cohorts/{cohort}", Scope.ADMIN));

  /** What the table says about a request. */
  sealed interface Match {}

  /** The endpoint the request is for. */
  record Found(Endpoint endpoint) implements Match {}

  /** A known path, but no endpoint with this method: 405, with the methods there are. */
  record WrongMethod(List<String> allowed) implements Match {}

  /** No endpoint has this path: 404. */
  record Unknown() implements Match {}

  /**
   * Looks up {@code method} and {@code path} (the request's path as Pekko renders it: percent-
   * encoded where needed, so an encoded '/' stays inside its segment, as Pekko's routing sees it).
   */
  static Match match(String method, String path) {
    String[] segments = path.split("/", -1);
    List<Endpoint> samePath = ALL.stream().filter(e -> e.matchesPath(segments)).toList();
    return samePath.stream()
        .filter(e -> e.method().equals(method))
        .findFirst()
        .<Match>map(Found::new)
        .orElseGet(
            () ->
                samePath.isEmpty()
                    ? new Unknown()
                    : new WrongMethod(samePath.stream().map(Endpoint::method).distinct().toList()));
  }
}
