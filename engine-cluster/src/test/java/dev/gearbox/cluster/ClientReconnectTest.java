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
  /** The engines' startup-timeout here: short, so that an outage can outlast it. */
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(2);

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
    Engine e = Engine.open(EngineConfig.newBuilder().backend("cluster").name(name)
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.cluster-name", clusterName)
        .option("gearbox.cluster.members", member.address())
        .option("gearbox.cluster.startup-timeout", STARTUP_TIMEOUT.toMillis() + "ms")
        .option("gearbox.cluster.member-timeout", "3s")
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
}
