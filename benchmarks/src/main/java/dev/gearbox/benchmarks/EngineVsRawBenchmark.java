package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * An engine against the raw JDK executor it is built on, in the same JVM and run: trivial-task
 * round trip ({@code roundTrip}, µs per task) and throughput ({@code batch}: submit 1,000, then
 * wait for all; µs per task). Each benchmark has a {@code raw*} twin; {@link RunBenchmarks}
 * reports the ratios. Subclasses say which engine and which raw executor.
 *
 * <p>After each iteration the counts of {@link IterationCounts} are printed per task.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class EngineVsRawBenchmark {
  static final int BATCH = 1_000;
  private static final Task<Integer> TRIVIAL = () -> 1;
  private static final Callable<Integer> RAW_TRIVIAL = () -> 1;

  Engine engine;
  ExecutorService raw;
  /** Tasks run in the current iteration, counted by the benchmark thread. */
  private long tasks;
  private final IterationCounts counts = new IterationCounts();

  /** The engine under test. */
  abstract Engine openEngine();

  /** The raw executor of the same kind and size, started and ready. */
  abstract ExecutorService openRaw();

  @Setup(Level.Trial)
  public void setUp() {
    engine = openEngine();
    raw = openRaw();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    engine.close();
    raw.shutdown();
    raw.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Setup(Level.Iteration)
  public void markIteration() {
    tasks = 0;
    counts.start();
  }

  @TearDown(Level.Iteration)
  public void printPerTask(BenchmarkParams params) {
    counts.print(params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1), tasks);
  }

  @Benchmark
  public Integer roundTrip() throws Exception {
    tasks++;
    return engine.submit(TRIVIAL).get();
  }

  @Benchmark
  public Integer rawRoundTrip() throws Exception {
    tasks++;
    return raw.submit(RAW_TRIVIAL).get();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long batch() throws Exception {
    tasks += BATCH;
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
    tasks += BATCH;
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
