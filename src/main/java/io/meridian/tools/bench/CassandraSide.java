package io.meridian.tools.bench;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bench's own driver session to the system's Cassandra: Cassandra's request counters (its
 * {@code system_views} virtual tables: local reads and writes per table, CQL statements executed),
 * the size of Meridian's journal rows, and baseline (b), raw asynchronous inserts.
 */
final class CassandraSide implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("meridian.bench");

  /**
   * Cassandra's counters at one instant: local reads and writes per "keyspace.table", and CQL
   * statements executed.
   */
  record Counters(
      long atNanos, Map<String, Long> reads, Map<String, Long> writes, long statements) {}

  /** Rates between two {@link Counters}, per second. */
  record Rates(
      double seconds,
      Map<String, Double> readsPerSecond,
      Map<String, Double> writesPerSecond,
      double statementsPerSecond) {
    double reads(java.util.function.Predicate<String> table) {
      return readsPerSecond.entrySet().stream()
          .filter(e -> table.test(e.getKey()))
          .mapToDouble(Map.Entry::getValue)
          .sum();
    }

    double writes(java.util.function.Predicate<String> table) {
      return writesPerSecond.entrySet().stream()
          .filter(e -> table.test(e.getKey()))
          .mapToDouble(Map.Entry::getValue)
          .sum();
    }
  }

  /** Average sizes of the event and metadata blobs of journal rows. */
  record RowSize(int rows, int eventBytes, int metaBytes) {}

  final CqlSession session;
  final String contactPoint;

  private CassandraSide(CqlSession session, String contactPoint) {
    this.session = session;
    this.contactPoint = contactPoint;
  }

  static CassandraSide connect(String contactPoint, String localDatacenter) {
    // Contact point and data center set in the driver's configuration itself, so that the
    // contact points of conf/ (127.0.0.1:9042) are never merged in.
    DriverConfigLoader loader =
        DriverConfigLoader.programmaticBuilder()
            .withStringList(DefaultDriverOption.CONTACT_POINTS, List.of(contactPoint))
            .withString(DefaultDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, localDatacenter)
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
            .withBoolean(DefaultDriverOption.RECONNECT_ON_INIT, false)
            .build();
    return new CassandraSide(CqlSession.builder().withConfigLoader(loader).build(), contactPoint);
  }

  Counters counters() {
    return new Counters(
        System.nanoTime(),
        perTable("system_views.local_read_latency"),
        perTable("system_views.local_write_latency"),
        statements());
  }

  private Map<String, Long> perTable(String view) {
    Map<String, Long> counts = new TreeMap<>();
    for (Row row : session.execute("SELECT keyspace_name, table_name, count FROM " + view)) {
      String keyspace = row.getString("keyspace_name");
      if (keyspace.startsWith("system")) continue;
      counts.put(keyspace + "." + row.getString("table_name"), row.getLong("count"));
    }
    return counts;
  }

  private long statements() {
    long total = 0;
    for (Row row : session.execute("SELECT name, value FROM system_views.cql_metrics")) {
      String name = row.getString("name");
      if (name.equals("prepared_statements_executed") || name.equals("regular_statements_executed"))
        total += (long) row.getDouble("value");
    }
    return total;
  }

  static Rates rates(Counters before, Counters after) {
    double seconds = Math.max(1e-3, (after.atNanos() - before.atNanos()) / 1e9);
    return new Rates(
        seconds,
        delta(before.reads(), after.reads(), seconds),
        delta(before.writes(), after.writes(), seconds),
        (after.statements() - before.statements()) / seconds);
  }

  private static Map<String, Double> delta(
      Map<String, Long> before, Map<String, Long> after, double seconds) {
    Map<String, Double> out = new TreeMap<>();
    after.forEach(
        (table, count) -> {
          double rate = (count - before.getOrDefault(table, 0L)) / seconds;
          if (rate > 0) out.put(table, Math.round(rate * 10) / 10.0);
        });
    return out;
  }

  /** The average journal row of {@code keyspace}.messages (up to 500 rows read). */
  RowSize rowSize(String keyspace) {
    int rows = 0;
    long event = 0;
    long meta = 0;
    try {
      for (Row row :
          session.execute("SELECT event, meta FROM " + keyspace + ".messages LIMIT 500")) {
        rows++;
        ByteBuffer e = row.getByteBuffer("event");
        ByteBuffer m = row.getByteBuffer("meta");
        event += e == null ? 0 : e.remaining();
        meta += m == null ? 0 : m.remaining();
      }
    } catch (RuntimeException e) {
      log.debug("no journal rows in {}: {}", keyspace, e.toString());
    }
    return rows == 0
        ? new RowSize(0, 0, 0)
        : new RowSize(rows, (int) (event / rows), (int) (meta / rows));
  }

  /**
   * Baseline (b): one insert per write into a table shaped like the journal's {@code messages}
   * table, with event and metadata blobs of the given sizes, at the journal's consistency level.
   */
  LoadGenerator.Sender rawInserts(String runId, int users, RowSize size) {
    session.execute(
        "CREATE KEYSPACE IF NOT EXISTS "
            + EntityBaseline.KEYSPACE
            + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    session.execute(
        "CREATE TABLE IF NOT EXISTS "
            + EntityBaseline.KEYSPACE
            + ".raw_events ("
            + "persistence_id text, partition_nr bigint, sequence_nr bigint, timestamp timeuuid, timebucket text, writer_uuid text, "
            + "ser_id int, ser_manifest text, event_manifest text, event blob, meta_ser_id int, meta_ser_manifest text, meta blob, tags set<text>, "
            + "PRIMARY KEY ((persistence_id, partition_nr), sequence_nr, timestamp))");
    PreparedStatement insert =
        session.prepare(
            "INSERT INTO "
                + EntityBaseline.KEYSPACE
                + ".raw_events "
                + "(persistence_id, partition_nr, sequence_nr, timestamp, timebucket, writer_uuid, ser_id, ser_manifest, event_manifest, event, meta_ser_id, meta_ser_manifest, meta) "
                + "VALUES (?, 0, ?, ?, ?, ?, 1, 'E', '', ?, 2, 'M', ?)");
    byte[] event = new byte[Math.max(1, size.eventBytes())];
    byte[] meta = new byte[size.metaBytes()];
    java.util.Arrays.fill(event, (byte) 'e');
    java.util.Arrays.fill(meta, (byte) 'm');
    String writer = java.util.UUID.randomUUID().toString();
    AtomicLongArray sequence = new AtomicLongArray(users);
    return op -> {
      Workload.Op write = op;
      long seq = sequence.incrementAndGet(write.user());
      var bound =
          insert
              .bind(
                  "Raw|" + runId + "-u" + write.user(),
                  seq,
                  Uuids.timeBased(),
                  "bench",
                  writer,
                  ByteBuffer.wrap(event),
                  meta.length == 0 ? null : ByteBuffer.wrap(meta))
              .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM);
      return session
          .executeAsync(bound)
          .thenApply(
              rs -> LoadGenerator.Outcome.ok(write.kind().write ? write.kind().label() : "points"));
    };
  }

  @Override
  public void close() {
    session.close();
  }
}
