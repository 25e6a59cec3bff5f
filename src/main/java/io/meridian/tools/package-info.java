/**
 * The tools, apart from the product: {@code ./meridian demo}, {@code bench} and {@code chaos}, and
 * the embedded Cassandra launcher, each in a package of its own ({@code tools.demo}, {@code
 * tools.bench}, {@code tools.chaos}, {@code tools.cassandra}).
 *
 * <p>Tools may use product code; product code never uses tools. The only code outside this tree
 * that names a tool is the entry point {@code io.meridian.Main}, which registers the tools'
 * commands and hands {@code ./meridian node} the embedded Cassandra as a {@link
 * io.meridian.cluster.NodeLauncher.EmbeddedCassandra}.
 */
package io.meridian.tools;
