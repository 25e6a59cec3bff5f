/**
 * Replication through the journal, woken by hints (notify-then-read).
 *
 * <p>Pekko's Replicated Event Sourcing reads every other region's events through that region's
 * query plugin ({@code eventsByPersistenceId}). Direct replication (events published over the
 * cluster) is off: on Pekko 1.x it can drop an event for good (docs/decisions.md). This package
 * makes the journal path fast without a tight poll: after a replica persists an event, {@link
 * HintPublisher} sends a small {@link Hint} (user, origin, sequence number) to the other regions;
 * there the live stream of {@link HintedReadJournal} for that persistence id reads at once,
 * re-reads on a short back-off until it has seen the hinted number, and otherwise reads only on a
 * slow safety poll. Order and completeness come from the journal alone; a lost hint costs latency,
 * never an event.
 */
package io.meridian.replication;
