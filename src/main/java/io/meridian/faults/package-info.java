/**
 * Fault injection on the node side, for {@code ./meridian chaos} only: off unless {@code
 * meridian.chaos.enabled = on} (which only the chaos tool sets on the processes it starts). Part of
 * the product because the node must act on it; the tool in {@code io.meridian.tools.chaos} drives
 * it over HTTP and the product never uses the tool.
 */
package io.meridian.faults;
