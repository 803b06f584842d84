package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineListener;
import dev.gearbox.WorkerEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A client engine whose only member goes away: it outlives the outage, and closes without waiting for the cluster. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientReconnectTest {
  private static final Duration PROMPTLY = Duration.ofSeconds(20);
  /**
   * The engines' startup-timeout here: short, so that an outage can outlast it, yet long enough
   * for a cold client to connect to and prove a new member on a loaded machine.
   */
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(5);
  /** How long closing an engine whose cluster went away may take. */
  private static final Duration CLOSES_WITHIN = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private final String clusterName = "gearbox-reconnect-" + Long.toHexString(System.nanoTime());
  private final List<MemberJvm> members = new ArrayList<>();
  private final List<Engine> engines = new ArrayList<>();

  @AfterEach
  void stopEverything() throws InterruptedException {
    try {
      for (Engine e : engines) {
        e.shutdownNow();
        assertThat(e.awaitTermination(PROMPTLY)).isTrue();
      }
    } finally {
      members.forEach(MemberJvm::close);
    }
  }

  private MemberJvm startMember(String name, int port) throws Exception {
    MemberJvm m = MemberJvm.start(dir, name, port, MemberJvm.testClasspath(), "--cluster-name=" + clusterName,
        "--members=127.0.0.1:" + port, "--slots=2", "--member-timeout=3s");
    members.add(m);
    m.awaitReady();
    return m;
  }

  private Engine openClient(String name, MemberJvm member) {
    return openClient(name, member, STARTUP_TIMEOUT, Duration.ofSeconds(3));
  }

  private Engine openClient(String name, MemberJvm member, Duration startupTimeout, Duration memberTimeout) {
    Engine e = Engine.open(EngineConfig.newBuilder().backend("cluster").name(name)
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.cluster-name", clusterName)
        .option("gearbox.cluster.members", member.address())
        .option("gearbox.cluster.startup-timeout", startupTimeout.toMillis() + "ms")
        .option("gearbox.cluster.member-timeout", memberTimeout.toMillis() + "ms")
        .build());
    engines.add(e);
    return e;
  }

  @Test
  void aClusterOutageLongerThanTheStartupTimeout_doesNotStopTheClient() throws Exception {
    MemberJvm first = startMember("worker-1", MemberJvm.freePort());
    Engine engine = openClient("outage", first);
    List<WorkerEvent> started = new CopyOnWriteArrayList<>();
    engine.addListener(new EngineListener() {
      @Override
      public void workerStarted(WorkerEvent event) {
        started.add(event);
      }
    });
    assertThat(engine.submit(MemberTasks.whereAmI(1, 0)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        .isEqualTo("1:" + first.pid());

    first.kill();
    // The outage itself, not a wait for something: a client whose reconnection is bounded by the
    // startup timeout gives up during it and shuts down for good.
    Thread.sleep(STARTUP_TIMEOUT.multipliedBy(2).toMillis());
    MemberJvm restarted = startMember("worker-2", first.port()); // the member restarted at the same address
    assumeThat(restarted.port()).as("the port was taken meanwhile").isEqualTo(first.port());

    await().atMost(PROMPTLY).until(() -> started.stream().anyMatch(e -> e.worker().contains("worker-2")));
    assertThat(engine.submit(MemberTasks.whereAmI(2, 0)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        .isEqualTo("2:" + restarted.pid());
  }

  @Test
  void close_withTheClusterGone_returnsPromptly() throws Exception {
    assertClosesPromptly(MemberJvm::kill);
  }

  @Test
  void close_withTheClusterSilent_returnsPromptly() throws Exception {
    assertClosesPromptly(MemberJvm::freeze);
  }

  private interface Outage {
    void inflict(MemberJvm member) throws Exception;
  }

  private void assertClosesPromptly(Outage outage) throws Exception {
    MemberJvm only = startMember("worker-only", MemberJvm.freePort());
    // Startup and member timeouts longer than CLOSES_WITHIN: closing must wait neither for the client
    // to give up reconnecting nor for it to notice that a silent member is gone.
    Engine engine = openClient("unreachable", only, Duration.ofSeconds(30), Duration.ofSeconds(30));
    assertThat(engine.submit(MemberTasks.whereAmI(1, 0)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        .isEqualTo("1:" + only.pid());
    outage.inflict(only);
    long t0 = System.nanoTime();
    engine.close();
    assertThat(engine.awaitTermination(Duration.ZERO)).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(CLOSES_WITHIN);
    await().atMost(PROMPTLY).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("hz.gearbox-client-" + clusterName)));
  }
}
