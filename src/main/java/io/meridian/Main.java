package io.meridian;

import io.meridian.cluster.NodeCommand;
import io.meridian.tools.bench.BenchCommand;
import io.meridian.tools.cassandra.CassandraLauncher;
import io.meridian.tools.chaos.ChaosCommand;
import io.meridian.tools.demo.DemoCommand;
import io.meridian.tools.drill.DrillCommand;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./meridian node | demo | bench | chaos | drill}: one entry point, subcommands parsed by
 * picocli.
 */
@Command(
    name = "meridian",
    mixinStandardHelpOptions = true,
    version = "meridian 0.1.0",
    description = "Follow-the-sun, multi-region ownership service on Apache Pekko.",
    subcommands = {
      NodeCommand.class,
      DemoCommand.class,
      BenchCommand.class,
      ChaosCommand.class,
      DrillCommand.class
    })
public final class Main implements Runnable {

  public static void main(String[] args) {
    int exit = new CommandLine(new Main(), new Factory()).execute(args);
    if (exit != 0) System.exit(exit);
  }

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("meridian");

  /** No subcommand: the usage, logged like everything else the process says. */
  @Override
  public void run() {
    log.info("{}", new CommandLine(this, new Factory()).getUsageMessage());
  }

  /**
   * Creates the commands as picocli's default factory does, except {@code node}, which gets the
   * embedded Cassandra from here: the node is product code and does not use the tool that runs it.
   */
  private static final class Factory implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
      if (type == NodeCommand.class)
        return type.cast(new NodeCommand(Main::startEmbeddedCassandra));
      return CommandLine.defaultFactory().create(type);
    }
  }

  private static String startEmbeddedCassandra(Path dataDir) {
    return CassandraLauncher.builder(dataDir).build().start().contactPoint();
  }
}
