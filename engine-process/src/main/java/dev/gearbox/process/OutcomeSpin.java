package dev.gearbox.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>It polls only with a CPU to spare: the pipe readers of every engine in this JVM share one
 * count of the CPUs they take or leave taken ({@link Cpus}): a task started in any worker and
 * not yet reported, and a reader polling, each count one; a reader polls only if that keeps the
 * count within the machine's CPUs. A poll that took the CPU a worker needs would delay the very
 * outcome it waits for. So on 2 CPUs a single task in flight is polled for, and two workers'
 * tasks in flight at once are not.
 *
 * <p>Thread-confined: only the worker's pipe reader uses it (the shared count is atomic).
 */
final class OutcomeSpin {
  /** The longest poll after a STARTED. */
  static final long MAX_SPIN_NANOS = 50_000;
  /** Recent gaps from STARTED to outcome above this: no poll. */
  static final long SHORT_NANOS = 100_000;
  private static final long UNKNOWN = -1;

  /**
   * The CPUs that the engines' pipe readers share, and how many are taken: by tasks started and
   * not yet reported, and by readers polling. Thread-safe.
   */
  static final class Cpus {
    /** Every reader of this JVM, on this machine's CPUs. */
    static final Cpus MACHINE = new Cpus(Runtime.getRuntime().availableProcessors());

    private final int cpus;
    private final AtomicInteger taken = new AtomicInteger();

    Cpus(int cpus) {
      this.cpus = cpus;
    }

    /** Takes one for a poll if one is spare; true if taken (then {@link #give} it back). */
    boolean tryTake() {
      if (taken.incrementAndGet() > cpus) {
        taken.decrementAndGet();
        return false;
      }
      return true;
    }

    void take() {
      taken.incrementAndGet();
    }

    void give(int n) {
      taken.addAndGet(-n);
    }

    /**
     * Whether a task sent now would leave a CPU spare beside it, counting those taken: then its
     * worker may poll for its next frame after it ({@link WorkerBound.Run#poll}), and this JVM's
     * threads still have a CPU to answer on.
     */
    boolean spareBesideOneMore() {
      return taken.get() + 2 <= cpus;
    }

    /** How many are taken now. */
    int taken() {
      return taken.get();
    }
  }

  private final LongSupplier nanoTime;
  private final Cpus cpus;
  /**
   * The attempts of this worker counted in {@link #cpus}: started and not yet reported; the first
   * {@link #tasks} entries. Only their outcomes give a CPU back (not that of a task cancelled
   * before it started, nor that of an attempt whose late STARTED was not counted).
   */
  private long[] counted = new long[4];
  private int tasks;
  private long wire;
  /** When the last STARTED was read; 0 once its outcome came. */
  private long startedAt;
  /** Whether the next read follows a STARTED. */
  private boolean afterStarted;
  /** Moving average of the gap from STARTED to the outcome, or {@link #UNKNOWN}. */
  private long gap = UNKNOWN;

  /** For a worker's pipe reader, sharing this machine's CPUs with every other reader of this JVM. */
  static OutcomeSpin forReader() {
    return new OutcomeSpin(System::nanoTime, Cpus.MACHINE);
  }

  /** With the clock and the shared CPUs given (tests). */
  OutcomeSpin(LongSupplier nanoTime, Cpus cpus) {
    this.nanoTime = nanoTime;
    this.cpus = cpus;
  }

  /** A STARTED of attempt {@code wire} was read. */
  void started(long wire) {
    if (tasks == counted.length) {
      counted = java.util.Arrays.copyOf(counted, 2 * tasks);
    }
    counted[tasks++] = wire;
    cpus.take();
    this.wire = wire;
    startedAt = nanoTime.getAsLong();
    afterStarted = true;
  }

  /** An outcome of attempt {@code wire} was read. */
  void outcome(long wire) {
    for (int i = 0; i < tasks; i++) {
      if (counted[i] == wire) {
        counted[i] = counted[--tasks];
        cpus.give(1);
        break;
      }
    }
    if (wire != this.wire || startedAt == 0) {
      return;
    }
    long sample = nanoTime.getAsLong() - startedAt;
    gap = gap == UNKNOWN ? sample : (3 * gap + sample) / 4;
    startedAt = 0;
  }

  /** Before a read that may block: right after a STARTED of a short task, polls {@code in} a moment. */
  void beforeRead(InputStream in) throws IOException {
    if (!afterStarted) {
      return;
    }
    afterStarted = false;
    if (gap == UNKNOWN || gap > SHORT_NANOS || startedAt == 0 || !cpus.tryTake()) {
      return;
    }
    try {
      long end = startedAt + Math.min(2 * gap, MAX_SPIN_NANOS);
      while (in.available() == 0 && nanoTime.getAsLong() - end < 0) {
        Thread.onSpinWait();
      }
    } finally {
      cpus.give(1);
    }
  }

  /** The reader stops: its tasks not reported no longer take a CPU. */
  void close() {
    cpus.give(tasks);
    tasks = 0;
  }
}
