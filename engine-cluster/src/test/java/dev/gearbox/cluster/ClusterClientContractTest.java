package dev.gearbox.cluster;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@code cluster} backend against the contract across JVMs: every engine is a client of one
 * worker member in a child JVM, so cancels, timeouts, progress, retries and {@code map} all cross
 * a real member boundary. The member is started once for the class and stopped after it.
 */
class ClusterClientContractTest extends EngineContract {
  private static final String CLUSTER = "gearbox-contract-" + Long.toHexString(System.nanoTime());
  private static MemberJvm member;
  private static Path memberDir;

  @BeforeAll
  static void startMember() throws Exception {
    memberDir = Files.createTempDirectory("gearbox-contract-member");
    int port = MemberJvm.freePort();
    member = MemberJvm.start(memberDir, "worker-c", port, MemberJvm.testClasspath(), "--cluster-name=" + CLUSTER,
        "--members=127.0.0.1:" + port, "--slots=4");
    member.awaitReady();
  }

  @AfterAll
  static void stopMember() throws Exception {
    if (member != null) {
      member.close();
    }
    if (memberDir != null) {
      try (var files = Files.list(memberDir)) {
        files.forEach(f -> f.toFile().delete());
      }
      Files.deleteIfExists(memberDir);
    }
  }

  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("cluster").workers(2).cancelGrace(Duration.ofMillis(500))
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.cluster-name", CLUSTER)
        .option("gearbox.cluster.members", member.address());
  }
}
