package dev.gearbox.testkit;

import dev.gearbox.EngineConfig;

/** The built-in {@code direct} backend against the contract. */
class DirectEngineContractTest extends EngineContract {
  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("direct");
  }
}
