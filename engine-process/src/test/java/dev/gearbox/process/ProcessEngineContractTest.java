package dev.gearbox.process;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;

/** The {@code process} backend against the contract, with real worker JVMs. */
class ProcessEngineContractTest extends EngineContract {
  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("process").workers(2).cancelGrace(java.time.Duration.ofMillis(500));
  }
}
