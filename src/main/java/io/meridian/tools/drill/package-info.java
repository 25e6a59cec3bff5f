/**
 * {@code ./meridian drill}: a region drill run through the API ({@code POST /v1/admin/drills}) on a
 * node of another region, followed until it ends, with its table of step timings (docs/console.md).
 */
package io.meridian.tools.drill;
