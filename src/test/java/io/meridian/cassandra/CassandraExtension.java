package io.meridian.cassandra;

import io.meridian.tools.cassandra.CassandraLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real Cassandra per test JVM, shared by every test class that uses this extension.
 *
 * <p>It starts when the first such class starts (never for a JVM that runs none), lives in the root
 * context's store, and JUnit closes it when the whole run ends: Cassandra stops and its data folder
 * (under target/) is deleted. The folder is fresh and never restarted, so it runs with {@code
 * throwAwayData}. Tests that stop or restart Cassandra start their own {@link CassandraLauncher}
 * instead.
 *
 * <p>Use: {@code @ExtendWith(CassandraExtension.class)} and a {@link CassandraLauncher} parameter
 * (e.g. of a {@code @BeforeAll} method).
 */
public final class CassandraExtension implements BeforeAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(CassandraExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    shared(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == CassandraLauncher.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return shared(context);
  }

  /** The shared Cassandra, started on first use. */
  public static CassandraLauncher shared(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            SharedCassandra.class, type -> SharedCassandra.start(), SharedCassandra.class)
        .launcher;
  }

  /**
   * A fresh folder for a Cassandra's data: under the project's target/ when known, else the temp
   * dir.
   */
  public static Path newDataDir(String prefix) {
    try {
      String project = System.getProperty("meridian.project.dir");
      Path parent =
          project != null
              ? Path.of(project, "target")
              : Path.of(System.getProperty("java.io.tmpdir"));
      Files.createDirectories(parent);
      return Files.createTempDirectory(parent, prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Closed by JUnit at the end of the run (store values that are AutoCloseable are closed, JUnit
   * 5.13+).
   */
  private record SharedCassandra(CassandraLauncher launcher) implements AutoCloseable {
    static SharedCassandra start() {
      Path dataDir = newDataDir("cassandra-shared-");
      var launcher =
          new CassandraLauncher(
              dataDir, CassandraLauncher.Options.defaults().withThrowAwayData(true));
      try {
        launcher.start();
      } catch (RuntimeException e) {
        deleteRecursively(dataDir);
        throw e;
      }
      return new SharedCassandra(launcher);
    }

    @Override
    public void close() {
      try {
        launcher.kill(); // its data is deleted next: no need to wait for a graceful drain (~5 s)
      } finally {
        deleteRecursively(launcher.dataDir());
      }
    }
  }
}
