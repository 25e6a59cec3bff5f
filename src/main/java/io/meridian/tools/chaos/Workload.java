package io.meridian.tools.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The clients of a run: creates the users (homes spread over the regions), waits until every region
 * knows every user, then runs {@code clients} {@link ChaosClient}s that share {@code rate} ops/s.
 */
public final class Workload {
  static final int SETUP_CLIENT = -2;

  private final RecordingClient requests;
  private final List<String> regions;
  private final List<WorkloadUser> users;
  private final long seed;
  private final java.util.function.Consumer<String> progress;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  /** {@code tag} keeps user ids of different runs apart when attached to a long-running system. */
  public Workload(
      RecordingClient requests,
      List<String> regions,
      int userCount,
      long seed,
      String tag,
      java.util.function.Consumer<String> progress) {
    this.requests = requests;
    this.regions = List.copyOf(regions);
    this.seed = seed;
    this.progress = progress;
    List<WorkloadUser> list = new ArrayList<>();
    for (int i = 0; i < userCount; i++)
      list.add(new WorkloadUser("u" + i + "-" + tag, regions.get(i % regions.size())));
    this.users = List.copyOf(list);
  }

  public List<WorkloadUser> users() {
    return users;
  }

  /**
   * Creates every user (retrying what did not answer) and waits until each region can read each
   * one.
   */
  public void createUsers(Duration timeout) throws InterruptedException {
    Random random = new Random(seed);
    long deadline = System.nanoTime() + timeout.toNanos();
    for (WorkloadUser user : users) {
      while (true) {
        String via = regions.get(random.nextInt(regions.size()));
        Operation op =
            requests.call(
                SETUP_CLIENT,
                via,
                "create",
                Map.of("userId", user.userId(), "homeRegion", user.homeRegion()),
                "POST",
                "/v1/users",
                "{\"userId\":\""
                    + user.userId()
                    + "\",\"homeRegion\":\""
                    + user.homeRegion()
                    + "\"}");
        if (op.status() == 201 || "user_exists".equals(op.error())) break;
        if (System.nanoTime() > deadline)
          throw new IllegalStateException(
              "cannot create " + user.userId() + ": " + op.status() + " " + op.error());
        TimeUnit.MILLISECONDS.sleep(500); // retry pause, as a client would
      }
    }
    for (WorkloadUser user : users) {
      for (String region : regions) {
        while (requests.http().send(region, "GET", "/v1/users/" + user.userId(), null).status()
            != 200) {
          if (System.nanoTime() > deadline)
            throw new IllegalStateException(
                region + " does not know " + user.userId() + " after " + timeout);
          TimeUnit.MILLISECONDS.sleep(200); // polling replication: nothing to wait on
        }
      }
    }
    progress.accept(
        String.format("chaos: %d users created and visible in every region", users.size()));
  }

  public void start(int clients, double ratePerSecond) {
    running = true;
    for (int i = 0; i < clients; i++) {
      Thread thread =
          new Thread(
              new ChaosClient(
                  i, seed, requests, regions, users, ratePerSecond / clients, () -> running),
              "chaos-client-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Stops the clients and waits for their requests in flight (each has a 5 s timeout). */
  public void stop() throws InterruptedException {
    running = false;
    for (Thread thread : threads) thread.join(TimeUnit.SECONDS.toMillis(30));
  }
}
