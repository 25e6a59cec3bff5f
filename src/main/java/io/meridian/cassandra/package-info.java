/**
 * The persistence configuration: one pekko-persistence-cassandra plugin per region, so that each
 * region's replicas write their own keyspace ({@link io.meridian.cassandra.RegionJournals}: plugin
 * paths and ids, keyspaces, contact points).
 *
 * <p>May use: {@code topology} only (which regions there are). It knows nothing of what is stored:
 * the node's composition ({@code cluster.Node}) turns these plugin ids into the user replicas'
 * journals, and names the query the re-homing sweep reads. The embedded Cassandra for development
 * is a tool ({@code tools.cassandra}).
 */
package io.meridian.cassandra;
