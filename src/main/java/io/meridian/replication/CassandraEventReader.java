package io.meridian.replication;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.datastax.oss.protocol.internal.util.Bytes;
import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import scala.Option;

/**
 * Reads a region's pekko-persistence-cassandra journal with one CQL query per read.
 *
 * <p>Why not the plugin's {@code currentEventsByPersistenceId}: it costs three queries each time
 * (the deleted-to marker, the partition, and the next partition in case a write straddled the
 * boundary), and its live variant polls on a timer. This reader issues exactly one {@code SELECT}
 * on the journal table ({@code messages}), whose layout is the plugin's documented schema
 * (docs/cassandra-schema.cql), through the plugin's own session (same config path, so the same
 * {@code CqlSession}). Assumptions, pinned by {@code CassandraEventReaderIT}:
 *
 * <ul>
 *   <li>event {@code n} is in partition {@code (n - 1) / target-partition-size}: the journal writes
 *       an atomic write into the partition of its highest sequence number
 *       (CassandraJournal.scala:393-417 in pekko-persistence-cassandra 1.1.0), and Meridian
 *       persists one event per write;
 *   <li>no events are deleted (Meridian never deletes: no snapshots, no retention);
 *   <li>the payload and the metadata (Replicated Event Sourcing's {@code ReplicatedEventMetadata})
 *       are Pekko-serialized in the columns {@code ser_id, ser_manifest, event} and {@code
 *       meta_ser_id, meta_ser_manifest, meta}.
 * </ul>
 */
public final class CassandraEventReader implements EventReader {
  private final ActorSystem<?> system;
  private final String pluginPath;
  private final String statement;
  private final String readProfile;
  private final long partitionSize;
  private final Serialization serialization;
  private final AtomicReference<CompletionStage<PreparedStatement>> prepared =
      new AtomicReference<>();

  /**
   * @param pluginPath the region's plugin root, e.g. {@code cassandra-us} (RegionJournals).
   */
  public CassandraEventReader(ActorSystem<?> system, String pluginPath) {
    this.system = system;
    this.pluginPath = pluginPath;
    Config plugin = system.settings().config().getConfig(pluginPath);
    this.statement =
        "SELECT sequence_nr, timestamp, ser_id, ser_manifest, event, meta_ser_id, meta_ser_manifest, meta FROM "
            + plugin.getString("journal.keyspace")
            + "."
            + plugin.getString("journal.table")
            + " WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr >= ? AND sequence_nr <= ?";
    this.readProfile = plugin.getString("query.read-profile");
    this.partitionSize = plugin.getLong("journal.target-partition-size");
    this.serialization = SerializationExtension.get(system.classicSystem());
  }

  /** The plugin's session, looked up once (the registry lookup showed in the CPU profile). */
  private volatile CassandraSession session;

  private CassandraSession session() {
    CassandraSession current = session;
    if (current == null) {
      current = CassandraSessionRegistry.get(system.classicSystem()).sessionFor(pluginPath);
      session = current;
    }
    return current;
  }

  /** Prepared once; a failed prepare (keyspace not created yet) is tried again on the next read. */
  private CompletionStage<PreparedStatement> statement() {
    CompletionStage<PreparedStatement> current = prepared.get();
    if (current != null) return current;
    CompletionStage<PreparedStatement> attempt = session().prepare(statement);
    attempt.whenComplete(
        (ok, failure) -> {
          if (failure != null) prepared.compareAndSet(attempt, null);
        });
    return prepared.compareAndSet(null, attempt) ? attempt : prepared.get();
  }

  @Override
  public CompletionStage<List<EventEnvelope>> read(
      String persistenceId, long fromSequenceNr, int max) {
    long partition = (fromSequenceNr - 1) / partitionSize;
    // Never past the partition's end: the next read starts in the next partition.
    long to = Math.min(fromSequenceNr + max - 1, (partition + 1) * partitionSize);
    return statement()
        .thenCompose(
            ps -> {
              Statement<?> bound =
                  ps.bind(persistenceId, partition, fromSequenceNr, to)
                      .setExecutionProfileName(readProfile);
              // Straight through the driver: the session's selectAll materializes a Pekko stream
              // per read, which showed in a region's CPU profile (docs/benchmarks.md).
              return session().underlying().thenCompose(cql -> cql.executeAsync(bound));
            })
        .thenCompose(page -> allRows(page, new ArrayList<>()))
        .thenApply(rows -> envelopes(persistenceId, fromSequenceNr, rows));
  }

  /** Every row of a result, page after page (a read asks for at most one partition's worth). */
  private static CompletionStage<List<Row>> allRows(AsyncResultSet page, List<Row> rows) {
    page.currentPage().forEach(rows::add);
    if (!page.hasMorePages()) return CompletableFuture.completedFuture(rows);
    return page.fetchNextPage().thenCompose(next -> allRows(next, rows));
  }

  /**
   * The rows as envelopes, stopping at the first gap (a row not readable yet in this data center).
   */
  private List<EventEnvelope> envelopes(String persistenceId, long fromSequenceNr, List<Row> rows) {
    var envelopes = new ArrayList<EventEnvelope>(rows.size());
    long expected = fromSequenceNr;
    for (Row row : rows) {
      long sequenceNr = row.getLong("sequence_nr");
      if (sequenceNr != expected) break;
      Object event =
          deserialize(
              row.getByteBuffer("event"), row.getInt("ser_id"), row.getString("ser_manifest"));
      ByteBuffer meta = row.getByteBuffer("meta");
      Option<Object> metadata =
          meta == null
              ? Option.empty()
              : Option.apply(
                  deserialize(meta, row.getInt("meta_ser_id"), row.getString("meta_ser_manifest")));
      long timestamp = Uuids.unixTimestamp(row.getUuid("timestamp")); // the write time, a timeuuid
      envelopes.add(
          new EventEnvelope(
              Offset.sequence(sequenceNr), persistenceId, sequenceNr, event, timestamp, metadata));
      expected++;
    }
    return envelopes;
  }

  private Object deserialize(ByteBuffer bytes, int serializerId, String manifest) {
    return serialization
        .deserialize(Bytes.getArray(bytes), serializerId, manifest == null ? "" : manifest)
        .get();
  }
}
