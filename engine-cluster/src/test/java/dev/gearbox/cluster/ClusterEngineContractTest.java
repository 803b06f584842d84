package dev.gearbox.cluster;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;
import java.time.Duration;

/** The {@code cluster} backend against the contract, on its default: an embedded member in this JVM. */
class ClusterEngineContractTest extends EngineContract {
  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("cluster").workers(2).cancelGrace(Duration.ofMillis(500));
  }
}
