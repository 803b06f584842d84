package dev.gearbox;

import static com.google.common.base.Preconditions.checkArgument;

import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.Work;
import java.util.concurrent.ScheduledFuture;

/**
 * One attempt of a {@link Job}. Two things end separately and each exactly once:
 * <ul>
 *   <li>the <em>outcome</em> is decided by whichever comes first of the backend's report, the
 *       deadline, or a cancellation ({@link #decided});
 *   <li>the backend's <em>slot</em> is released only by the backend's first report
 *       ({@link #reported}), so a task that runs on after its timeout still counts as running.
 * </ul>
 *
 * <p>Thread-safety: thread-safe; backends call it from any thread, the core from its own. The
 * once-only flags are claimed by compare-and-set; other fields are volatile or guarded by this
 * object's monitor, as each says.
 */
final class AttemptImpl implements Attempt, TaskContext {
  final Job job;
  final int number;
  // Two once-only flags; VarHandles spare two AtomicBoolean allocations per attempt.
  private static final java.lang.invoke.VarHandle DECIDED;
  private static final java.lang.invoke.VarHandle REPORTED;

  static {
    try {
      java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
      DECIDED = l.findVarHandle(AttemptImpl.class, "decided", boolean.class);
      REPORTED = l.findVarHandle(AttemptImpl.class, "reported", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // accessed through DECIDED
  private volatile boolean decided;
  @SuppressWarnings("unused") // accessed through REPORTED
  private volatile boolean reported;
  /** Set once the core wants the attempt stopped (cancel, deadline, shutdownNow); read by backends and the work. */
  volatile boolean cancelled;
  /** The backend's handle: written by the thread that started the attempt, or by {@link #attach}. */
  volatile Execution execution;
  /** When {@link #started()} was first called, or 0. */
  volatile long startedNanos;
  /**
   * When the core handed this attempt to the thread that reported the previous one, to run next
   * ({@link #runHere()} returned it), or 0: if that thread runs it here, it starts it at once, so
   * this time is its start too and saves a clock read. Written before the hand-back, read by the
   * thread it was handed to.
   */
  long dispatchedNanos;
  /**
   * The deadline's timer entry, then, once the attempt is stopped with an interrupt, the kill's:
   * written by the thread that reports the start or stops the attempt, cancelled by the report.
   */
  volatile ScheduledFuture<?> deadline;

  /**
   * The last progress reported (fraction and message, read together), or null: for snapshots;
   * written by progress reports. One field, made only when a task reports progress.
   */
  volatile Progress progress;

  /** A progress report: a fraction within [0, 1] and its message (or null). */
  record Progress(double fraction, String message) {}

  /**
   * The attempt whose runHere was active on this thread when this one's began (one run inside
   * another's task, as the direct backend does), or null. Written and read only by that thread.
   */
  private AttemptImpl outerHere;
  /**
   * Guarded by {@code this}: the thread running the work in-process, and whether we interrupted it.
   * {@code runner} is written only by that thread, which may also read it without the monitor.
   */
  private Thread runner;
  private boolean interruptedByEngine;
  private boolean finishedHere;

  AttemptImpl(Job job, int number) {
    this.job = job;
    this.number = number;
  }

  /** Claims the right to decide this attempt's outcome; true for the one caller that gets it. */
  boolean decide() {
    return DECIDED.compareAndSet(this, false, true);
  }

  boolean isDecided() {
    return decided;
  }

  /** Claims the backend's report (and the slot release that goes with it); true once. */
  boolean claimReport() {
    return REPORTED.compareAndSet(this, false, true);
  }

  boolean isReported() {
    return reported;
  }

  // ---- Attempt (backend side)

  @Override
  public long taskId() {
    return job.id;
  }

  @Override
  public String taskName() {
    return job.name();
  }

  @Override
  public int number() {
    return number;
  }

  @Override
  public Work work() {
    return job.work;
  }

  @Override
  public java.util.Map<String, String> loggingContext() {
    return ContextualWork.mdcOf(job.work);
  }

  @Override
  public Object prepared() {
    return job.prepared;
  }

  @Override
  public TaskContext context() {
    return this;
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void started() {
    startedAt(System.nanoTime());
  }

  private void startedAt(long now) {
    if (startedNanos == 0L) {
      startedNanos = now;
      job.engine.onStarted(this);
    }
  }

  @Override
  public void succeeded(Object result) {
    job.engine.onReport(this, Outcome.success(result));
  }

  @Override
  public void failed(Throwable failure) {
    job.engine.onReport(this, Outcome.failure(failure == null ? new NullPointerException("task threw null") : failure));
  }

  @Override
  public void lost(EngineException failure) {
    job.engine.onReport(this, Outcome.failure(failure != null ? failure : new EngineException(taskId(), taskName(),
        "the backend reported the attempt lost without a cause",
        new NullPointerException("Attempt.lost was called with a null failure"))));
  }

  @Override
  public void report(Runnable report, java.util.concurrent.Executor executor) {
    if (!job.future.offerReport(report)) {
      executor.execute(report);
    }
  }

  @Override
  public void attach(Execution e) {
    execution = e;
    if (cancelled) {
      e.interrupt();
    }
  }

  @Override
  public Attempt runHere() {
    boolean skip;
    synchronized (this) {
      skip = cancelled;
      if (skip) {
        finishedHere = true;
      } else {
        runner = Thread.currentThread();
      }
    }
    if (skip) { // reported outside the monitor: reporting runs callbacks and may launch work
      return job.engine.onReportFromRunHere(this,
          Outcome.failure(new java.util.concurrent.CancellationException("cancelled before it started")));
    }
    // Marked from before the work starts until the report has returned (so also while the report
    // completes the future and runs the caller's dependent actions): see RunningHere.
    AttemptImpl outer = RunningHere.enter(this);
    outerHere = outer;
    try {
      Object outcome;
      try {
        long handedBack = dispatchedNanos;
        startedAt(handedBack != 0L ? handedBack : System.nanoTime());
        outcome = Outcome.success(job.work.run(this));
      } catch (Throwable t) {
        outcome = Outcome.failure(t);
      } finally {
        synchronized (this) {
          runner = null;
          finishedHere = true;
          if (interruptedByEngine) {
            Thread.interrupted(); // our interrupt must not leak into the thread's next job
          }
        }
      }
      // Still marked as running here while reporting: completing the future runs the caller's
      // dependent actions here, and a submit from one of them must not block.
      return job.engine.onReportFromRunHere(this, outcome);
    } finally {
      RunningHere.exit(outer);
      outerHere = null;
    }
  }

  /** The engine whose attempt's runHere is active on this thread (its work or its report), or null. */
  static DefaultEngine engineRunningHere() {
    AttemptImpl a = RunningHere.current();
    return a == null ? null : a.job.engine;
  }

  /**
   * The attempt whose work (not its report) runs on this thread right now, and so holds its slot:
   * the innermost one, past those whose work has returned and which are reporting. Null if none.
   */
  static AttemptImpl workRunningHere() {
    Thread me = Thread.currentThread();
    for (AttemptImpl a = RunningHere.current(); a != null; a = a.outerHere) {
      if (a.runner == me) { // written by this very thread
        return a;
      }
    }
    return null;
  }

  /** The name of the thread running the work in-process ({@link ThreadNames}), or null. */
  synchronized String runnerName() {
    return runner == null || finishedHere ? null : ThreadNames.of(runner);
  }

  /** Interrupts the work: its in-process thread if it runs here, and the backend's execution. */
  void interrupt() {
    synchronized (this) {
      if (runner != null && !finishedHere) {
        interruptedByEngine = true;
        runner.interrupt();
      }
    }
    Execution e = execution;
    if (e != null) {
      e.interrupt();
    }
  }

  // ---- TaskContext (task side, in-process)

  @Override
  public int attempt() {
    return number;
  }

  @Override
  public void progress(double fraction, String message) {
    checkArgument(fraction >= 0.0 && fraction <= 1.0, "progress fraction must be within [0, 1], got %s", fraction);
    progress = new Progress(fraction, message);
    job.engine.onProgress(this, fraction, message);
  }

  @Override
  public String toString() {
    return "attempt " + number + " of " + job;
  }

  /**
   * How an attempt ended, as the core passes it on (an {@code Object}): a success is the task's
   * result itself, so that a success costs no object; a failure is a {@link Failed} holding the
   * exception. A result can never be a {@code Failed}: the type is private to the core. The same
   * idea as {@code CompletableFuture}'s own result field.
   */
  static final class Outcome {
    private Outcome() {}

    private record Failed(Throwable failure) {}

    static Object success(Object value) {
      return value;
    }

    static Object failure(Throwable failure) {
      return new Failed(failure);
    }

    static boolean succeeded(Object outcome) {
      return !(outcome instanceof Failed);
    }

    /** The failure of an outcome that did not succeed. */
    static Throwable failureOf(Object outcome) {
      return ((Failed) outcome).failure();
    }
  }
}
