package dev.gearbox.thread;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;

/** The {@code thread} backend against the contract, with two workers (these machines have 2 cores). */
class ThreadEngineContractTest extends EngineContract {
  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("thread").workers(2);
  }
}
