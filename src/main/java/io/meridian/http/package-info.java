/**
 * The HTTP API v1 of one node (docs/api.md is the contract): one routes class per feature (users,
 * payments, regions and admin, chaos), composed by {@link io.meridian.http.HttpApi} with {@code GET
 * /metrics}, one error shape and the {@code X-Meridian-Served-By} header.
 *
 * <p>Every {@code /v1} request is authenticated and authorized before a route sees it ({@code
 * CallerAuthorization}): the bearer token names a caller ({@code CallerTokens}, which keeps only
 * token digests), and the endpoint's scope comes from one table ({@code EndpointScopes}); a request
 * the table does not know never reaches a route.
 *
 * <p>Owns: the input rules ({@code Validation}, {@code RequestBody}), the callers and scopes, the
 * documents clients see ({@code UserDocument}, {@code PaymentDocument}, built from the rooms'
 * answers, never the entity's own types), and the one place where an answer becomes a status, an
 * error code and headers ({@code ResponseMapper}, with {@code Unavailable}, the closed family of
 * 503s). A route validates, calls its room once and maps the outcome; no protocol lives here
 * (docs/decisions.md, "Payments and HTTP: the protocol in payment, one response mapper in http").
 *
 * <p>May use: {@code payment}, {@code user}, {@code region}, {@code faults} (the chaos switch),
 * {@code topology}, {@code metrics}. Never {@code replication}, {@code cassandra}, {@code
 * serialization}, {@code cluster} or the tools (PackageArrowsTest). The node's composition ({@code
 * cluster.Node}) builds and binds it.
 *
 * <p>Nothing here is stored or sent between nodes: a request for a user owned elsewhere travels
 * over the cluster as the user entity's command, never as HTTP. The JSON field names, error codes
 * and headers are the public contract in docs/api.md: clients read them, so they change only
 * together with that file.
 */
package io.meridian.http;
