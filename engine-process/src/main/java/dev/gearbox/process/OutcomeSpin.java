package dev.gearbox.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * The engine's pipe reader waiting a moment for a task's outcome without blocking, right after the
 * task's STARTED, when this worker's recent tasks ended within tens of microseconds of starting.
 * The worker flushes STARTED before it reads the task back (so that a task whose deserialization
 * kills the worker counts as started), and OK follows a few microseconds later for a tiny task: a
 * reader that blocks in between is woken twice per task, each wake-up costing this JVM more CPU
 * and time than the short poll of the pipe that spares it.
 *
 * <p>The poll lasts at most twice the recent gap from STARTED to the outcome, and at most
 * {@link #MAX_SPIN_NANOS}; it does not run at all while that gap is above {@link #SHORT_NANOS}
 * (longer tasks: the reader blocks, as before).
 *
 * <p>It polls only when this machine has more CPUs than the engine has workers
 * ({@link #worthPolling}): each worker's reader may poll, and a poll that takes a CPU a worker
 * needs delays the very outcome it waits for.
 *
 * <p>Thread-confined: only the worker's pipe reader uses it.
 */
final class OutcomeSpin {
  /** The longest poll after a STARTED. */
  static final long MAX_SPIN_NANOS = 50_000;
  /** Recent gaps from STARTED to outcome above this: no poll. */
  static final long SHORT_NANOS = 100_000;
  private static final long UNKNOWN = -1;

  private final LongSupplier nanoTime;
  /** False: the reader never polls (not CPUs enough to spare). */
  private final boolean enabled;
  private long wire;
  /** When the last STARTED was read; 0 once its outcome came. */
  private long startedAt;
  /** Whether the next read follows a STARTED. */
  private boolean afterStarted;
  /** Moving average of the gap from STARTED to the outcome, or {@link #UNKNOWN}. */
  private long gap = UNKNOWN;

  /** For one of an engine's {@code workers} workers, on this machine's CPUs. */
  static OutcomeSpin forWorkers(int workers) {
    return new OutcomeSpin(System::nanoTime, worthPolling(Runtime.getRuntime().availableProcessors(), workers));
  }

  /** With the clock given (tests); {@code enabled} false: it never polls. */
  OutcomeSpin(LongSupplier nanoTime, boolean enabled) {
    this.nanoTime = nanoTime;
    this.enabled = enabled;
  }

  /** Whether the readers of {@code workers} workers may poll on {@code cpus} CPUs: only with a CPU to spare beyond one per worker. */
  static boolean worthPolling(int cpus, int workers) {
    return cpus > workers;
  }

  /** Whether it may poll at all. */
  boolean enabled() {
    return enabled;
  }

  /** A STARTED of attempt {@code wire} was read. */
  void started(long wire) {
    this.wire = wire;
    startedAt = nanoTime.getAsLong();
    afterStarted = true;
  }

  /** An outcome of attempt {@code wire} was read. */
  void outcome(long wire) {
    if (wire != this.wire || startedAt == 0) {
      return;
    }
    long sample = nanoTime.getAsLong() - startedAt;
    gap = gap == UNKNOWN ? sample : (3 * gap + sample) / 4;
    startedAt = 0;
  }

  /** Before a read that may block: right after a STARTED of a short task, polls {@code in} a moment. */
  void beforeRead(InputStream in) throws IOException {
    if (!afterStarted || !enabled) {
      return;
    }
    afterStarted = false;
    if (gap == UNKNOWN || gap > SHORT_NANOS || startedAt == 0) {
      return;
    }
    long end = startedAt + Math.min(2 * gap, MAX_SPIN_NANOS);
    while (in.available() == 0 && nanoTime.getAsLong() - end < 0) {
      Thread.onSpinWait();
    }
  }
}
