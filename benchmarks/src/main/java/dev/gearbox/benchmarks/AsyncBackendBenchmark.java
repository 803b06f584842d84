package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The async backend against a raw {@code Executors.newVirtualThreadPerTaskExecutor()}. */
@State(Scope.Benchmark)
public class AsyncBackendBenchmark extends EngineVsRawBenchmark {
  @Override
  Engine openEngine() {
    return Engine.open(EngineConfig.newBuilder().backend("async").build());
  }

  @Override
  ExecutorService openRaw() {
    return Executors.newVirtualThreadPerTaskExecutor();
  }
}
