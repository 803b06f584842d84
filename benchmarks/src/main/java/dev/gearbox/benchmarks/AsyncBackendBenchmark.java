package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The async backend against a raw {@code Executors.newVirtualThreadPerTaskExecutor()} in the
 * same run: trivial-task round trip and batch throughput (µs per task).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class AsyncBackendBenchmark {
  static final int BATCH = 1_000;
  private static final Task<Integer> TRIVIAL = () -> 1;
  private static final Callable<Integer> RAW_TRIVIAL = () -> 1;

  Engine engine;
  ExecutorService raw;

  @Setup(Level.Trial)
  public void setUp() {
    engine = Engine.open(EngineConfig.newBuilder().backend("async").build());
    raw = Executors.newVirtualThreadPerTaskExecutor();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    engine.close();
    raw.close();
  }

  @Benchmark
  public Integer roundTrip() throws Exception {
    return engine.submit(TRIVIAL).get();
  }

  @Benchmark
  public Integer rawRoundTrip() throws Exception {
    return raw.submit(RAW_TRIVIAL).get();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long batch() throws Exception {
    List<TaskFuture<Integer>> futures = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      futures.add(engine.submit(TRIVIAL));
    }
    long sum = 0;
    for (TaskFuture<Integer> f : futures) {
      sum += f.get();
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long rawBatch() throws Exception {
    List<Future<Integer>> futures = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      futures.add(raw.submit(RAW_TRIVIAL));
    }
    long sum = 0;
    for (Future<Integer> f : futures) {
      sum += f.get();
    }
    return sum;
  }
}
