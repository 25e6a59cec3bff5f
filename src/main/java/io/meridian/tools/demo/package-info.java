/**
 * {@code ./meridian demo}: the whole system on this machine, an embedded Cassandra and one {@code
 * ./meridian node} process per region, restarted when it exits, stopped on Ctrl-C or SIGTERM.
 *
 * <p>Owns: the demo's process tree, its ports and data folder, its banner (read by {@code bench}
 * and the tests), and the {@code 30s}/{@code 2m} duration syntax the other tools' options share
 * ({@link io.meridian.tools.demo.DemoCommand.DurationConverter}).
 *
 * <p>May use: {@code tools.cassandra}, and the product as a user does: by starting {@code
 * io.meridian.Main node} processes and calling their HTTP API. Tools may use product code; product
 * code never uses tools.
 */
package io.meridian.tools.demo;
