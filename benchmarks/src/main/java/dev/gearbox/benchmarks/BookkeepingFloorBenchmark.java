package dev.gearbox.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under the thread backend's {@code batch}: a raw {@link ThreadPoolExecutor} of two
 * threads, the same batch of 1,000 trivial tasks as {@link EngineVsRawBenchmark#rawBatch()}, with
 * the per-task bookkeeping the engine's contract asks for added piece by piece, each built the
 * cheapest way the JDK offers. No engine code runs here: the question is what any executor with
 * those duties pays on this machine, before its own design costs anything.
 *
 * <p>{@code with} names the pieces added ({@code none} is the raw pool):
 * <ul>
 *   <li>{@code clock}: the three clock reads of {@code stamps} alone, kept in the task's fields;
 *   <li>{@code stamps}: the queue wait and the run time, timed (three clock reads: submit, start,
 *       end) and counted in two adders, with the engine's sampling gate (a volatile read);
 *   <li>{@code attempt}: a run is an attempt of its task, an object of its own whose report is
 *       claimed once (one compare-and-set), so that a timeout, a cancel and a report decide the
 *       outcome exactly once;
 *   <li>{@code live}: running tasks are visible while they run (snapshots, the live view): each
 *       enters a concurrent set as it starts and leaves it as it ends;
 *   <li>{@code count}: unfinished tasks are counted (termination after shutdown), an atomic
 *       incremented at submit and decremented at the end;
 *   <li>{@code all}: every piece above.
 * </ul>
 * Each task is a {@link FutureTask} subclass carrying its id and submit time, as the engine's job
 * is its future. Compare every variant with {@code none} from the same run. After each iteration
 * the counts of {@link IterationCounts} are printed per task.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BookkeepingFloorBenchmark {
  static final int BATCH = EngineVsRawBenchmark.BATCH;
  /** The engine's sampling gate: at most one sampled duration per 100 µs. */
  private static final long SAMPLE_GAP_NANOS = 100_000L;

  @Param({"none", "clock", "stamps", "attempt", "live", "count", "all"})
  public String with;

  private ThreadPoolExecutor pool;
  private boolean clock;
  private boolean stamps;
  private boolean attempts;
  private boolean live;
  private boolean count;
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong unfinished = new AtomicLong();
  private final Set<Tracked> running = ConcurrentHashMap.newKeySet();
  private final Gate queueWait = new Gate();
  private final Gate runTime = new Gate();
  private final IterationCounts counts = new IterationCounts();
  private long tasks;

  @Setup(Level.Trial)
  public void setUp() {
    stamps = with.equals("stamps") || with.equals("all");
    clock = stamps || with.equals("clock");
    attempts = with.equals("attempt") || with.equals("all");
    live = with.equals("live") || with.equals("all");
    count = with.equals("count") || with.equals("all");
    pool = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>());
    pool.prestartAllCoreThreads();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    pool.shutdown();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Setup(Level.Iteration)
  public void markIteration() {
    tasks = 0;
    counts.start();
  }

  @TearDown(Level.Iteration)
  public void printPerTask() {
    counts.print("batch with " + with, tasks);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long batch() throws Exception {
    tasks += BATCH;
    List<Tracked> futures = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      if (count) {
        unfinished.incrementAndGet();
      }
      Tracked t = new Tracked(ids.incrementAndGet(), clock ? System.nanoTime() : 0L);
      pool.execute(t);
      futures.add(t);
    }
    long sum = 0;
    for (Tracked f : futures) {
      sum += f.get();
    }
    return sum;
  }

  /** A count and the engine's sampling gate in front of its distribution (the distribution left out). */
  private static final class Gate {
    private final LongAdder count = new LongAdder();
    private volatile long lastSampleNanos;

    void record(long now) {
      count.increment();
      if (now - lastSampleNanos >= SAMPLE_GAP_NANOS) {
        lastSampleNanos = now;
      }
    }
  }

  /** One run of a task: its report is claimed once. */
  private static final class Attempt {
    private final AtomicInteger flags = new AtomicInteger();
    final Tracked task;

    Attempt(Tracked task) {
      this.task = task;
    }

    boolean claimReport() {
      return flags.compareAndSet(0, 1);
    }
  }

  /** A trivial task that is its own future, with the bookkeeping {@code with} names around its run. */
  private final class Tracked extends FutureTask<Integer> {
    final long id;
    final long submittedNanos;
    long startedNanos;
    long endedNanos;

    Tracked(long id, long submittedNanos) {
      super(() -> 1);
      this.id = id;
      this.submittedNanos = submittedNanos;
    }

    @Override
    public void run() {
      if (clock) {
        startedNanos = System.nanoTime();
      }
      if (stamps) {
        queueWait.record(startedNanos);
      }
      Attempt a = attempts ? new Attempt(this) : null;
      if (live) {
        running.add(this);
      }
      super.run();
      if (a != null && !a.claimReport()) {
        throw new IllegalStateException("reported twice: " + id);
      }
      if (live) {
        running.remove(this);
      }
      if (clock) {
        endedNanos = System.nanoTime();
      }
      if (stamps) {
        runTime.record(endedNanos);
      }
      if (count) {
        unfinished.decrementAndGet();
      }
    }
  }
}
