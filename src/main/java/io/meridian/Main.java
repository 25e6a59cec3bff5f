package io.meridian;

import io.meridian.bench.BenchCommand;
import io.meridian.chaos.ChaosCommand;
import io.meridian.cluster.NodeCommand;
import io.meridian.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./meridian node | demo | bench | chaos}: one entry point, subcommands parsed by picocli. */
@Command(
    name = "meridian",
    mixinStandardHelpOptions = true,
    version = "meridian 0.1.0",
    description = "Follow-the-sun, multi-region ownership service on Apache Pekko.",
    subcommands = {NodeCommand.class, DemoCommand.class, BenchCommand.class, ChaosCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    int exit = new CommandLine(new Main()).execute(args);
    if (exit != 0) System.exit(exit);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(new java.io.PrintWriter(System.err, true));
  }
}
