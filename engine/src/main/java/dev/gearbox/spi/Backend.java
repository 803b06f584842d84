package dev.gearbox.spi;

import dev.gearbox.BackendCapabilities;
import java.time.Duration;

/**
 * Runs attempts somewhere and reports how they ended. That is all: queueing, priorities,
 * deadlines, retries, batching, cancellation bookkeeping, events and metrics belong to the core,
 * which never starts more than {@link #parallelism()} attempts at once.
 *
 * <p>Lifecycle: created by its {@link BackendProvider} at {@code Engine.open}; started attempts
 * run until reported; {@link #shutdown()} is called once the engine has nothing left to run.
 * Implementations must be thread-safe; {@link #start} must not block.
 */
public interface Backend {

  BackendCapabilities capabilities();

  /** How many attempts may run at once; the core's dispatch limit. */
  int parallelism();

  /**
   * How many attempts beyond {@link #parallelism()} the backend can hold without running them,
   * so that the next one is at hand when a running one ends (a worker process would otherwise
   * wait a round trip to the engine for it). The core hands over into this extra room only while
   * more work waits behind it, so priorities hold for everything not yet handed over, and the
   * last queued attempts go to whichever worker frees up first. An attempt held there has not
   * started: its deadline starts when the backend calls {@link Attempt#started()}. Default 0.
   */
  default int prefetch() {
    return 0;
  }

  /**
   * Starts running {@code attempt} without blocking the caller (except the {@code direct}
   * backend, whose point is to run in the caller's thread).
   *
   * @throws java.util.concurrent.RejectedExecutionException if the backend can no longer run work
   */
  Execution start(Attempt attempt);

  /**
   * Checks at submit, in the submitting thread, that {@code work} can run on this backend, and
   * returns whatever the backend wants to keep from that check (a backend that crosses a process
   * boundary serializes the work here and keeps the bytes). The core hands it back with every
   * attempt as {@link Attempt#prepared()}, whichever thread starts it. The default accepts all
   * and keeps nothing.
   *
   * @return the prepared form, or null
   * @throws java.util.concurrent.RejectedExecutionException saying what cannot cross and why
   */
  default Object prepare(Work work) {
    return null;
  }

  /**
   * The backend's workers or members and where its attempts run, for {@link dev.gearbox.Engine#snapshot(int)}.
   * Called from any thread, perhaps every second: it must be cheap (no round trip to a worker) and
   * must not block on the backend's I/O. The default has nothing to add.
   */
  default BackendView view() {
    return BackendView.NONE;
  }

  /** Releases the backend's threads and processes once the attempts it holds have ended. */
  void shutdown();

  /** Like {@link #shutdown()}, but interrupts (or kills) attempts that are still running. */
  void shutdownNow();

  /** Waits until every thread and process of the backend has ended. */
  boolean awaitTermination(Duration timeout) throws InterruptedException;
}
