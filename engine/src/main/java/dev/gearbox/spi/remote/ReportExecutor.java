package dev.gearbox.spi.remote;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a remote backend reports outcomes: never on the I/O thread that heard them (a pipe
 * reader, a Hazelcast thread), because reporting completes the caller's future and runs the
 * caller's dependent actions in the reporting thread, and those may block, even on another task's
 * result. The pool therefore grows while reports block (threads idle for 30 s go), so one blocked
 * callback never stalls the others, and keeps one thread warm for the common case.
 *
 * <p>Once {@link #shutdown} has been called and the pool has stopped, {@link #execute} runs the
 * report in the calling thread instead of dropping it: every attempt is reported. A report that
 * throws is logged; it never kills a thread of the pool silently.
 *
 * <p>Thread-safe.
 */
public final class ReportExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(ReportExecutor.class);

  private final ThreadPoolExecutor pool;

  /** @param threadNameFormat the threads' names, with {@code %d} for a counter */
  public ReportExecutor(String threadNameFormat) {
    this.pool = new ThreadPoolExecutor(1, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat(threadNameFormat).build()) {
      @Override
      protected void afterExecute(Runnable r, Throwable t) {
        if (t != null) {
          log.warn("Gearbox: a report failed on {}", Thread.currentThread().getName(), t);
        }
      }
    };
  }

  /** Runs {@code report} on the pool; in the calling thread only when the pool has shut down. */
  @Override
  public void execute(Runnable report) {
    try {
      pool.execute(report);
    } catch (RejectedExecutionException e) {
      try {
        report.run();
      } catch (RuntimeException | Error failure) {
        log.warn("Gearbox: a report failed on {}", Thread.currentThread().getName(), failure);
      }
    }
  }

  /** Lets the reports already handed over finish; later ones run in their caller's thread. */
  public void shutdown() {
    pool.shutdown();
  }

  /** Waits for the reports handed over before {@link #shutdown} to end. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return pool.awaitTermination(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
  }
}
