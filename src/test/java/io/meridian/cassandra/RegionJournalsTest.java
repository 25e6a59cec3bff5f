package io.meridian.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.meridian.topology.Regions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegionJournalsTest {

  private static Config loaded(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseString("meridian.cassandra.contact-points = []"))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  private static Config withJournals(Config loaded, Optional<String> embedded) {
    return RegionJournals.withRegionJournals(
        loaded, Regions.fromConfig(loaded.getConfig("meridian")), embedded);
  }

  @Test
  void eachRegionGetsItsOwnKeyspacesUnderItsOwnPluginIds() {
    Config config = withJournals(loaded("meridian.region = eu"), Optional.of("127.0.0.1:19042"));

    for (String region : List.of("us", "eu", "ap")) {
      assertEquals(
          "meridian_" + region, config.getString("cassandra-" + region + ".journal.keyspace"));
      assertEquals(
          "meridian_" + region + "_snapshot",
          config.getString("cassandra-" + region + ".snapshot.keyspace"));
      // The rest is the shared plugin configuration.
      assertEquals(
          config.getString("pekko.persistence.cassandra.query.refresh-interval"),
          config.getString("cassandra-" + region + ".query.refresh-interval"));
      assertEquals(
          "org.apache.pekko.persistence.cassandra.journal.CassandraJournal",
          config.getString("cassandra-" + region + ".journal.class"));
    }
    assertEquals("cassandra-eu.journal", config.getString("pekko.persistence.journal.plugin"));
    assertEquals(
        "cassandra-eu.snapshot", config.getString("pekko.persistence.snapshot-store.plugin"));
    // Replicas replicate through Meridian's hinted plugin, which reads that region's journal
    // itself.
    assertEquals(
        "cassandra-us.hinted-query",
        String.format(RegionJournals.REPLICATION_QUERY_PLUGIN_ID, "us"));
    assertEquals(
        "io.meridian.replication.HintedReadJournal$Provider",
        config.getString("cassandra-us.hinted-query.class"));
    assertEquals("cassandra-us", config.getString("cassandra-us.hinted-query.cassandra-plugin"));
    assertEquals(
        List.of("127.0.0.1:19042"),
        config.getStringList("datastax-java-driver.basic.contact-points"));
  }

  @Test
  void configuredContactPointsWinOverTheEmbeddedOneAndMayBeACommaSeparatedString() {
    Config asList =
        withJournals(
            loaded("meridian.cassandra.contact-points = [\"10.0.0.1:9042\", \"10.0.0.2:9042\"]"),
            Optional.of("127.0.0.1:19042"));
    Config asString =
        withJournals(
            loaded("meridian.cassandra.contact-points = \"10.0.0.1:9042, 10.0.0.2:9042\""),
            Optional.empty());

    assertEquals(
        List.of("10.0.0.1:9042", "10.0.0.2:9042"),
        asList.getStringList("datastax-java-driver.basic.contact-points"));
    assertEquals(
        List.of("10.0.0.1:9042", "10.0.0.2:9042"),
        asString.getStringList("datastax-java-driver.basic.contact-points"));
    assertFalse(RegionJournals.wantsEmbeddedCassandra(asString));
  }

  @Test
  void overridesOfMeridianCassandraReachThePluginsEvenOnAResolvedConfig() {
    Config config =
        withJournals(
            loaded(
                """
                meridian.cassandra.local-datacenter = us
                meridian.cassandra.schema-autocreate = off
                meridian.cassandra.data-center-replication-factors = "us:3,eu:3,ap:3"
                meridian.cassandra.keyspace-prefix = "prod_"
                """),
            Optional.of("127.0.0.1:19042"));

    assertEquals(
        "us",
        config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
    assertFalse(config.getBoolean("cassandra-ap.journal.tables-autocreate"));
    assertFalse(config.getBoolean("cassandra-ap.snapshot.keyspace-autocreate"));
    assertEquals(
        "NetworkTopologyStrategy", config.getString("cassandra-ap.journal.replication-strategy"));
    assertEquals(
        "us:3,eu:3,ap:3",
        config.getString("cassandra-ap.snapshot.data-center-replication-factors"));
    assertEquals("prod_ap", config.getString("cassandra-ap.journal.keyspace"));
  }

  @Test
  void withoutContactPointsOrAnEmbeddedCassandraItSaysWhatIsMissing() {
    Config loaded = loaded("");
    var error =
        assertThrows(IllegalStateException.class, () -> withJournals(loaded, Optional.empty()));
    assertEquals(
        "meridian.cassandra.contact-points is empty and no embedded Cassandra was started",
        error.getMessage());
  }

  @Test
  void rejectsAKeyspacePrefixThatIsNoCqlIdentifier() {
    Config loaded = loaded("meridian.cassandra.keyspace-prefix = \"meridian-\"");
    assertThrows(
        IllegalArgumentException.class, () -> withJournals(loaded, Optional.of("127.0.0.1:19042")));
  }
}
