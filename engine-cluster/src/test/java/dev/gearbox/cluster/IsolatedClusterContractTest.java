package dev.gearbox.cluster;

import dev.gearbox.EngineConfig;
import dev.gearbox.testkit.EngineContract;
import java.time.Duration;

/**
 * The {@code cluster} backend against the contract with its embedded member running each task in
 * a worker process of its own ({@code isolation=process}) and the stop ladder killing that worker
 * ({@code kill=task}): cancels, timeouts, progress, retries and {@code map} all cross the member's
 * process pool.
 */
class IsolatedClusterContractTest extends EngineContract {
  @Override
  protected EngineConfig.Builder configure(EngineConfig.Builder builder) {
    return builder.backend("cluster").workers(2).cancelGrace(Duration.ofMillis(500))
        .option("gearbox.cluster.isolation", "process")
        .option("gearbox.cluster.kill", "task");
  }
}
