package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.MapOptions;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The thread backend against a raw {@link ThreadPoolExecutor} of the same size, in the same
 * JVM and run: round trip and batch from {@link EngineVsRawBenchmark}, plus
 *
 * <ul>
 *   <li>{@code map1M}: map a trivial function over 1,000,000 inputs (µs per input), in chunks of
 *       {@link #MAP_CHUNK} inputs with the engine's default window of chunks in flight. The raw
 *       twin does the same by hand (the same chunks, the same bounded window of futures), which
 *       is what a careful user writes; submitting a million futures at once is the careless
 *       version and is not the baseline. The chunk size is fixed on both sides: the engine's
 *       adaptive chunks would otherwise be compared with one-input tasks.
 * </ul>
 */
@State(Scope.Benchmark)
public class ThreadBackendBenchmark extends EngineVsRawBenchmark {
  static final int WORKERS = 2;
  static final int MAP_INPUTS = 1_000_000;
  /** Inputs per job in {@code map1M} and its twin. */
  static final int MAP_CHUNK = 256;

  /** The engine's default map window for this pool size, used by the raw twin too. */
  private final int window = Math.max(16, 4 * WORKERS);

  @Override
  Engine openEngine() {
    return Engine.open(EngineConfig.newBuilder().backend("thread").workers(WORKERS).queueCapacity(100_000).build());
  }

  @Override
  ExecutorService openRaw() {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>());
    pool.prestartAllCoreThreads();
    return pool;
  }

  @Benchmark
  @OperationsPerInvocation(MAP_INPUTS)
  @Warmup(iterations = 2, time = 1)
  @Measurement(iterations = 4, time = 1)
  public long map1M() {
    try (Stream<Integer> out = engine.map(x -> x + 1, IntStream.range(0, MAP_INPUTS).boxed(),
        MapOptions.newBuilder().chunkSize(MAP_CHUNK).build())) {
      return out.mapToLong(Integer::longValue).sum();
    }
  }

  @Benchmark
  @OperationsPerInvocation(MAP_INPUTS)
  @Warmup(iterations = 2, time = 1)
  @Measurement(iterations = 4, time = 1)
  public long rawMap1M() throws InterruptedException, ExecutionException {
    ArrayDeque<Future<Integer[]>> inFlight = new ArrayDeque<>(window);
    java.util.Iterator<Integer> inputs = IntStream.range(0, MAP_INPUTS).boxed().iterator();
    long sum = 0;
    while (inputs.hasNext()) {
      Integer[] chunk = new Integer[Math.min(MAP_CHUNK, MAP_INPUTS)];
      int n = 0;
      while (n < chunk.length && inputs.hasNext()) {
        chunk[n++] = inputs.next();
      }
      Integer[] in = n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n);
      if (inFlight.size() == window) {
        sum += sumOf(inFlight.poll().get());
      }
      inFlight.add(raw.submit(() -> {
        Integer[] out = new Integer[in.length];
        for (int k = 0; k < in.length; k++) {
          out[k] = in[k] + 1;
        }
        return out;
      }));
    }
    while (!inFlight.isEmpty()) {
      sum += sumOf(inFlight.poll().get());
    }
    return sum;
  }

  private static long sumOf(Integer[] outputs) {
    long sum = 0;
    for (Integer o : outputs) {
      sum += o;
    }
    return sum;
  }
}
