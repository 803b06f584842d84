package dev.gearbox.cluster;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@code cluster} backend against the contract across JVMs: every engine is a client of one
 * worker member in a child JVM, so cancels, timeouts, progress, retries and {@code map} all cross
 * a real member boundary, authenticated with the deployment secret and with payloads encrypted
 * ({@code gearbox.cluster.encrypt=true}). The member is started once for the class and stopped after it.
 */
class ClusterClientContractTest extends EngineContract {
  private static final String CLUSTER = "gearbox-contract-" + Long.toHexString(System.nanoTime());
  private static MemberJvm member;

  @BeforeAll
  static void startMember() throws Exception {
    member = MemberJvm.startAlone("worker-c", CLUSTER, MemberJvm.testClasspath(), 4);
  }

  @AfterAll
  static void stopMember() throws Exception {
    if (member != null) {
      member.close();
    }
  }

  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("cluster").workers(2).cancelGrace(Duration.ofMillis(500))
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.encrypt", "true")
        .option("gearbox.cluster.cluster-name", CLUSTER)
        .option("gearbox.cluster.members", member.address());
  }

  /** The member was started before the engine: it makes the engine's worker state at the engine's first task there. */
  @Override
  public boolean initializesWorkersAtOpen() {
    return false;
  }
}
