/**
 * The user room (docs/design.md, Model and Ownership): the replicated, event-sourced user and the
 * single-writer ownership protocol around it.
 *
 * <p>Owns: the entity {@link io.meridian.user.User} (its commands, replies and events nested, its
 * command handler partitioned by what the replica knows: not created, owned here, owned elsewhere),
 * its state and merge rules ({@link io.meridian.user.UserState}), its settings ({@link
 * io.meridian.user.UserSettings}), and how a node reaches the replicas ({@link
 * io.meridian.user.UserGateway}: the owner for single-writer commands, any replica for CRDT writes,
 * the planned move, the lazy half of failover). What the gateway needs to know about the regions
 * comes through the port {@link io.meridian.user.RegionAvailability}, which the region room
 * implements.
 *
 * <p>May use: {@code topology}, {@code replication}, {@code metrics}, {@code serialization}. Never
 * {@code region}, {@code cassandra}, {@code http}, {@code cluster} or the tools
 * (PackageArrowsTest). Where the journals are comes in through {@link
 * io.meridian.user.UserSettings.Journals}, built where the node is composed.
 *
 * <p>Stored, never to be renamed or moved: every {@code User.Event} record (the journals hold them
 * under their class names, e.g. {@code io.meridian.user.User$PaymentRecorded}), and, for nodes of
 * different builds to talk, the commands and replies nested in {@code User}, with {@code User.View}
 * and {@code User.Payment} inside them. {@link io.meridian.user.UserState} is not stored while
 * snapshots are off; a state written as {@code User$State} reads through {@link
 * io.meridian.user.UserStateMigration}. UserGoldenBytesTest reads bytes written by earlier builds.
 */
package io.meridian.user;
