package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineSnapshot;
import java.util.Iterator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code engine.snapshot} costs with 100,000 tasks in flight (one running, blocked; the rest
 * queued), against what a raw {@link ThreadPoolExecutor} with as many queued tasks offers in its
 * place, its queue copied ({@code getQueue().toArray()}):
 *
 * <ul>
 *   <li>{@code snapshot500}: {@code snapshot(500)}, what the dashboard takes every second; twin
 *       {@code rawSnapshot500} reads the first 500 entries of the raw queue.
 *   <li>{@code snapshotAll}: {@code snapshot()}, every task as a record; twin {@code rawSnapshotAll}.
 * </ul>
 * The engine holds its lock only while copying references; the records are built after.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SnapshotBenchmark {
  static final int IN_FLIGHT = 100_000;

  private Engine engine;
  private ThreadPoolExecutor raw;
  private final CountDownLatch release = new CountDownLatch(1);

  @Setup(Level.Trial)
  public void setUp() {
    engine = Engine.open(EngineConfig.newBuilder().backend("thread").workers(1).queueCapacity(IN_FLIGHT * 2).build());
    raw = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>());
    CountDownLatch gate = release;
    engine.submit(() -> {
      gate.await();
      return null;
    });
    raw.execute(() -> {
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    for (int i = 1; i < IN_FLIGHT; i++) {
      engine.submit(() -> 0);
      raw.execute(() -> { });
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    release.countDown();
    engine.shutdownNow();
    engine.close();
    raw.shutdownNow();
  }

  @Benchmark
  public EngineSnapshot snapshot500() {
    return engine.snapshot(500);
  }

  @Benchmark
  public int rawSnapshot500() {
    int n = 0;
    for (Iterator<Runnable> it = raw.getQueue().iterator(); it.hasNext() && n < 500; n++) {
      it.next();
    }
    return n + raw.getActiveCount();
  }

  @Benchmark
  public EngineSnapshot snapshotAll() {
    return engine.snapshot();
  }

  @Benchmark
  public Object[] rawSnapshotAll() {
    return raw.getQueue().toArray();
  }
}
