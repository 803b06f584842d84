package dev.gearbox.cluster;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.ChannelsContract;
import dev.gearbox.testkit.ContractBase;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Channels from the worker processes of an isolated member in another JVM
 * ({@code WorkerMember --isolation=process}): each task's channel calls go from its worker over the
 * member's pipe to the member, which forwards them to the engine (a client here) as sealed,
 * encrypted envelopes. The channel tests that kill a task's process kill its worker; a member that
 * died anyway is replaced for the next test.
 */
class IsolatedMemberChannelsContractTest extends ContractBase implements ChannelsContract {
  @RegisterExtension
  static final ContractMember MEMBER = new ContractMember("worker-ic",
      "gearbox-isolated-channels-" + Long.toHexString(System.nanoTime()), 3, "--isolation=process");

  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return MEMBER.clientOf(builder, 3);
  }
}
