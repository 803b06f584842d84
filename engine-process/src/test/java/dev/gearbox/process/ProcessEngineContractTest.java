package dev.gearbox.process;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;

/** The {@code process} backend against the contract, with real worker JVMs. */
class ProcessEngineContractTest extends EngineContract {
  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    // 1.5 s: an interrupted task on a loaded machine must get to react before the kill that follows.
    return builder.backend("process").workers(2).cancelGrace(java.time.Duration.ofMillis(1500));
  }
}
