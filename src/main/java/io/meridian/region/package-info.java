/**
 * The region room: region status, failover and return (docs/failover.md; docs/design.md, Regions).
 *
 * <p>Owns: the region directory ({@link io.meridian.region.RegionDirectory}: each region's declared
 * status and epoch, and what each node sees as unreachable, in Pekko Distributed Data); this node's
 * view of it and every routing answer drawn from it ({@link io.meridian.region.RegionService},
 * which implements the user room's port {@link io.meridian.user.RegionAvailability} and the API's
 * {@link io.meridian.region.RegionControl}); the actor that keeps the view current, publishes this
 * node's observations, declares regions down and up, and downs the members of a region declared
 * down ({@link io.meridian.region.RegionMonitor}); the pure rules it applies ({@link
 * io.meridian.region.Quorum}, {@link io.meridian.region.AutoDown}); and the eager half of
 * re-homing, the successor's seizure sweep and the hand-back sweep ({@link
 * io.meridian.region.Rehoming}). The lazy half, a seizure on the first single-writer command, is
 * the user room's ({@code UserGateway}). For the operator console (docs/console.md): what the
 * journals say about ownership ({@link io.meridian.region.OwnershipJournal}: a user's history, the
 * census of owned users), the gossiped replication lag matrix ({@link
 * io.meridian.region.LagMatrix}), and region drills ({@link io.meridian.region.RegionDrills}).
 *
 * <p>May use: {@code user} (the ownership commands, sent through the gateway; the port it
 * implements), {@code topology}, {@code metrics}, {@code serialization}. Never {@code replication},
 * {@code payment}, {@code http}, {@code cassandra}, {@code cluster} or the tools
 * (PackageArrowsTest). Which query lists the users in a region's journal comes in from the node's
 * composition ({@code cluster.Node}), as a plugin id.
 *
 * <p>Stored, never to be renamed or moved: the Distributed Data values {@code
 * RegionDirectory$Directory}, {@code RegionDirectory$RegionRecord}, {@code
 * RegionDirectory$Observations} and {@code RegionDirectory$Observation} (their class names are the
 * Jackson manifests, their field names and the {@code RegionControl.Status} constants are in the
 * bytes), and the keys {@code meridian-region-directory} and {@code meridian-region-observations}.
 * The directory is not durable on disk: it lives in the nodes' memory and is gossiped between them,
 * also between nodes of two builds during a rolling update, so a renamed type or key would leave
 * the new nodes with an empty directory that takes a region declared down for up. The lag matrix's
 * {@code LagMatrix$Row} and its key {@code meridian-lag-matrix} are gossiped too (a rename costs
 * only the console's matrix during a rolling update, but is still a rename). RegionMonitor's
 * commands stay inside the node and are not serialized. The pure rules are named in pom.xml's
 * mutation profile, which a rename must follow.
 */
package io.meridian.region;
