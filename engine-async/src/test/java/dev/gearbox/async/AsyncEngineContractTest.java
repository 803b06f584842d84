package dev.gearbox.async;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;

/** The {@code async} backend against the contract. */
class AsyncEngineContractTest extends EngineContract {
  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("async");
  }
}
