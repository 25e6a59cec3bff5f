package io.meridian.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.stream.connectors.cassandra.CqlSessionProvider;
import org.apache.pekko.stream.connectors.cassandra.DefaultSessionProvider;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;

/**
 * One driver session per JVM for every region's plugin ({@code meridian.cassandra.shared-session}):
 * the plugins of all regions connect with the same driver configuration (RegionJournals gives them
 * the same contact points and local data center; statements name their keyspace), so the first
 * plugin to connect builds the session with the plugin's own default provider and the others reuse
 * it, instead of one session each (its own connections, I/O and admin threads, control connection).
 * The plugin looks the provider up by the {@code session-provider} setting of each plugin root
 * (pekko-connectors-cassandra CqlSessionProvider.scala, "It may optionally have a constructor with
 * an ActorSystem and Config parameter"). Closing is idempotent in the driver, so every plugin's
 * session closing it at shutdown is harmless.
 */
public final class SharedSessionProvider implements CqlSessionProvider {
  private final ActorSystem system;
  private final Config config;

  public SharedSessionProvider(ActorSystem system, Config config) {
    this.system = system;
    this.config = config;
  }

  @Override
  public Future<CqlSession> connect(ExecutionContext ec) {
    return Shared.ID.get(system).connect(() -> new DefaultSessionProvider(system, config), ec);
  }

  /** The JVM's (actor system's) one session, built by whichever plugin connects first. */
  static final class Shared implements Extension {
    static final Id ID = new Id();
    private Future<CqlSession> session;

    synchronized Future<CqlSession> connect(
        java.util.function.Supplier<CqlSessionProvider> first, ExecutionContext ec) {
      if (session == null
          || (session.isCompleted() && session.value().get().isFailure())
          || (session.isCompleted() && session.value().get().get().isClosed())) {
        session = first.get().connect(ec);
      }
      return session;
    }

    static final class Id extends AbstractExtensionId<Shared> {
      @Override
      public Shared createExtension(ExtendedActorSystem system) {
        return new Shared();
      }
    }
  }
}
