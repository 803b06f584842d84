package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.MapOptions;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
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
 * The thread backend against a raw {@link ThreadPoolExecutor} of the same size, in the same
 * JVM and run. Each engine benchmark has a {@code raw*} twin doing the same work with the JDK
 * executor; {@link RunBenchmarks} reports the ratios.
 *
 * <ul>
 *   <li>{@code roundTrip}: submit one trivial task and wait for it (latency, µs/op).
 *   <li>{@code batch}: submit 1,000 trivial tasks, then wait for all (throughput, µs per task).
 *   <li>{@code map1M}: map a trivial function over 1,000,000 inputs (µs per input). The raw twin
 *       keeps the same bounded window of futures by hand, which is what a careful user writes;
 *       submitting a million futures at once is the careless version and is not the baseline.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class ThreadBackendBenchmark {
  static final int WORKERS = 2;
  static final int BATCH = 1_000;
  static final int MAP_INPUTS = 1_000_000;

  private static final Task<Integer> TRIVIAL = () -> 1;
  private static final Callable<Integer> RAW_TRIVIAL = () -> 1;

  Engine engine;
  ThreadPoolExecutor raw;
  int window;

  @Setup(Level.Trial)
  public void setUp() {
    engine = Engine.open(EngineConfig.newBuilder().backend("thread").workers(WORKERS).queueCapacity(100_000).build());
    raw = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>());
    raw.prestartAllCoreThreads();
    window = Math.max(16, 4 * WORKERS); // the engine's default map window for this pool size
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    engine.close();
    raw.shutdown();
    raw.awaitTermination(10, TimeUnit.SECONDS);
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

  @Benchmark
  @OperationsPerInvocation(MAP_INPUTS)
  @Warmup(iterations = 2, time = 1)
  @Measurement(iterations = 4, time = 1)
  public long map1M() {
    try (Stream<Integer> out = engine.map(x -> x + 1, IntStream.range(0, MAP_INPUTS).boxed(), MapOptions.defaults())) {
      return out.mapToLong(Integer::longValue).sum();
    }
  }

  @Benchmark
  @OperationsPerInvocation(MAP_INPUTS)
  @Warmup(iterations = 2, time = 1)
  @Measurement(iterations = 4, time = 1)
  public long rawMap1M() throws InterruptedException, ExecutionException {
    ArrayDeque<Future<Integer>> inFlight = new ArrayDeque<>(window);
    long sum = 0;
    for (int i = 0; i < MAP_INPUTS; i++) {
      int x = i;
      if (inFlight.size() == window) {
        sum += inFlight.poll().get();
      }
      inFlight.add(raw.submit(() -> x + 1));
    }
    while (!inFlight.isEmpty()) {
      sum += inFlight.poll().get();
    }
    return sum;
  }
}
