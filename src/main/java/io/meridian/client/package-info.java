/**
 * The Java client of Meridian's HTTP API v1 (docs/openapi.yaml, docs/api.md): typed methods for
 * every operation, single-writer writes sent to the user's owner region once an answer named it
 * ({@code X-Meridian-Owner}), reads and CRDT writes to the caller's home region, and retries on
 * another region after a connection failure, a retryable 503 or a 429 (honouring {@code
 * Retry-After}), with the same {@code Idempotency-Key}, within a deadline per call.
 *
 * <p>Uses nothing but the JDK's HTTP client and Jackson: no Meridian package (PackageArrowsTest),
 * so a calling service can take it without the server.
 */
package io.meridian.client;
