/**
 * The region topology: which regions exist, in which fixed order, and each region's failover order
 * ({@link io.meridian.topology.Regions}, read from {@code meridian.regions} and {@code
 * meridian.failover.order}).
 *
 * <p>A leaf: it uses no other Meridian package, so every package may use it (the user entity ranks
 * ownership claims by it, the region room picks successors by it, the persistence config lays out a
 * journal per region by it). Nothing here is serialized.
 */
package io.meridian.topology;
