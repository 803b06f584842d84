package dev.gearbox.thread;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.gearbox.BackendCapabilities;
import dev.gearbox.EngineException;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.Execution;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A fixed pool of platform threads. The core never dispatches more attempts than the pool has
 * threads, so the pool's own queue holds at most the hand-over between one attempt ending and
 * the next starting on the same thread.
 *
 * <p>Limit: a task that ignores interrupts cannot be stopped. At its deadline the caller's future
 * fails with a timeout anyway, but the thread runs on, and its slot stays busy until the task
 * returns (the engine never oversubscribes the pool). Use the process backend to kill such tasks.
 */
final class ThreadBackend implements Backend {
  private final ThreadPoolExecutor pool;
  private final int threads;

  ThreadBackend(int threads, boolean daemon, String namePrefix) {
    this.threads = threads;
    this.pool = new ThreadPoolExecutor(threads, threads, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
        new ThreadFactoryBuilder().setDaemon(daemon).setNameFormat(namePrefix.replace("%", "%%") + "%d").build());
  }

  @Override
  public BackendCapabilities capabilities() {
    return BackendCapabilities.inProcess();
  }

  @Override
  public int parallelism() {
    return threads;
  }

  @Override
  public Execution start(Attempt attempt) {
    pool.execute(new Run(attempt));
    return Execution.runHere();
  }

  @Override
  public void shutdown() {
    pool.shutdown();
  }

  @Override
  public void shutdownNow() {
    for (Runnable r : pool.shutdownNow()) {
      if (r instanceof Run run) {
        run.attempt.lost(new EngineException(run.attempt.taskId(), run.attempt.taskName(),
            "the thread backend shut down before it started", null));
      }
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return pool.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** An attempt on its way to a pool thread; shutdownNow reports the ones that never ran. */
  private record Run(Attempt attempt) implements Runnable {
    @Override
    public void run() {
      // The core hands this thread the next dispatched attempt as each one ends.
      for (Attempt a = attempt; a != null; ) {
        a = a.runHere();
      }
    }
  }
}
