package dev.gearbox.cluster;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code cluster} backend against the contract across JVMs: every engine is a client of one
 * worker member in a child JVM, so cancels, timeouts, progress, retries, {@code map} and channels
 * all cross a real member boundary, authenticated with the deployment secret and with payloads
 * encrypted ({@code gearbox.cluster.encrypt=true}). The member is started once for the class and
 * stopped after it; the channel tests that kill the process running a task kill that member, and
 * the next test starts another.
 */
class ClusterClientContractTest extends EngineContract {
  @RegisterExtension
  static final ContractMember MEMBER =
      new ContractMember("worker-c", "gearbox-contract-" + Long.toHexString(System.nanoTime()), 4);

  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return MEMBER.clientOf(builder, 2);
  }

  /** The member was started before the engine: it makes the engine's worker state at the engine's first task there. */
  @Override
  public boolean initializesWorkersAtOpen() {
    return false;
  }
}
