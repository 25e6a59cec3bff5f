package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Every {@code /v1} request passes here before any route sees it: the caller is identified by its
 * bearer token ({@link CallerTokens}), the endpoint looked up in {@link EndpointScopes}, and the
 * caller must hold the endpoint's scope. Answers, in this order: 401 {@code unauthorized} with
 * {@code WWW-Authenticate: Bearer} without a credential or with one no caller has; 404 / 405 for a
 * request the table does not know; 403 {@code forbidden} when the caller lacks the scope. Only then
 * does the route run, with the caller at hand (for per-caller limits).
 */
final class CallerAuthorization {
  static final String REALM = "meridian";

  /** RFC 6750, section 2.1: {@code Bearer <b64token>}; the scheme is case-insensitive. */
  private static final Pattern BEARER = Pattern.compile("(?i:bearer) +([A-Za-z0-9\\-._~+/]+=*) *");

  private final CallerTokens tokens;
  private final ResponseMapper responses;

  CallerAuthorization(CallerTokens tokens, ResponseMapper responses) {
    this.tokens = tokens;
    this.responses = responses;
  }

  Route authorize(Function<Caller, Route> route) {
    return extractRequest(
        request ->
            optionalHeaderValueByName(
                "Authorization",
                authorization -> {
                  Optional<Caller> caller =
                      authorization
                          .flatMap(CallerAuthorization::bearerToken)
                          .flatMap(tokens::identify);
                  if (caller.isEmpty()) return refuse(unauthorized(authorization.isPresent()));
                  var match =
                      EndpointScopes.match(request.method().name(), request.getUri().path());
                  if (match instanceof EndpointScopes.Found found) {
                    Scope needed = found.endpoint().scope();
                    if (!caller.get().has(needed))
                      return refuse(forbidden(caller.get(), found.endpoint()));
                    return route.apply(caller.get());
                  }
                  if (match instanceof EndpointScopes.WrongMethod wrong)
                    return refuse(
                        responses.error(
                            StatusCodes.METHOD_NOT_ALLOWED,
                            "method_not_allowed",
                            "use " + wrong.allowed(),
                            List.of()));
                  return refuse(
                      responses.error(
                          StatusCodes.NOT_FOUND,
                          "not_found",
                          "no such endpoint; see docs/api.md",
                          List.of()));
                }));
  }

  /**
   * Answers once the request's body has been read and dropped. Answered before its body, Pekko HTTP
   * closes the connection after the answer, and a client still sending the body sees a reset, not
   * the 401/403 (FuzzCampaignIT: a 30 KB body to an endpoint the caller may not use). The body is
   * bounded by the server's parsing limits; a failure to read it still gets the answer.
   */
  private static Route refuse(HttpResponse response) {
    return extractMaterializer(
        materializer ->
            extractRequestEntity(
                entity ->
                    onComplete(
                        entity.discardBytes(materializer).completionStage(),
                        drained -> complete(response))));
  }

  /** The token of an {@code Authorization: Bearer <token>} header value; empty if malformed. */
  static Optional<String> bearerToken(String authorization) {
    Matcher bearer = BEARER.matcher(authorization);
    return bearer.matches() ? Optional.of(bearer.group(1)) : Optional.empty();
  }

  private HttpResponse unauthorized(boolean credentialSent) {
    // RFC 6750, section 3: no error attribute when no credential came, invalid_token otherwise.
    Map<String, String> params = credentialSent ? Map.of("error", "invalid_token") : Map.of();
    return responses.error(
        StatusCodes.UNAUTHORIZED,
        "unauthorized",
        credentialSent
            ? "the bearer token is not valid (malformed, unknown or revoked)"
            : "send Authorization: Bearer <token> (docs/api.md, Authentication)",
        List.of(challenge(params)));
  }

  private HttpResponse forbidden(Caller caller, EndpointScopes.Endpoint endpoint) {
    String scope = endpoint.scope().configName();
    return responses.error(
        StatusCodes.FORBIDDEN,
        "forbidden",
        "caller '"
            + caller.name()
            + "' lacks the scope '"
            + scope
            + "' that "
            + endpoint.method()
            + " "
            + endpoint.path()
            + " needs",
        List.of(challenge(orderedParams("error", "insufficient_scope", "scope", scope))));
  }

  private static Map<String, String> orderedParams(String... namesAndValues) {
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i + 1 < namesAndValues.length; i += 2)
      params.put(namesAndValues[i], namesAndValues[i + 1]);
    return params;
  }

  private static HttpHeader challenge(Map<String, String> params) {
    return WWWAuthenticate.create(HttpChallenge.create("Bearer", REALM, params));
  }
}
