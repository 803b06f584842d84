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
 *       deadline, or a cancellation ({@link #decide()});
 *   <li>the backend's <em>slot</em> is released only by the backend's first report
 *       ({@link #claimReport()}), so a task that runs on after its timeout still counts as running.
 * </ul>
 *
 * <p>Thread-safety: thread-safe; backends call it from any thread, the core from its own. The
 * once-only flags are claimed by atomic bitwise-or; other fields are volatile or confined to one
 * thread, as each says.
 */
final class AttemptImpl implements Attempt, TaskContext, Thread.UncaughtExceptionHandler {
  final Job job;

  // The once-only flags share one field, set by atomic bitwise-or through FLAGS: no field per flag
  // (an attempt is 40 bytes), and a report claims its slot's release and the outcome in one step.
  // The attempt's number takes the field's upper bits (NUMBER_SHIFT), written once at construction.
  /** The outcome is decided: claimed by {@link #decide()}. */
  private static final int DECIDED = 1;
  /** The backend's first report came: claimed by {@link #claimReport()}. */
  private static final int REPORTED = 2;
  /** The core wants the attempt stopped (cancel, deadline, shutdownNow); read by backends and the work. */
  private static final int CANCELLED = 4;
  /**
   * Handed to the thread that reported the previous attempt, to run next ({@link #runHere()}
   * returned it): if that thread runs it here, it starts it at once, so the hand-back's time (kept
   * in {@link Job#enqueuedNanos}) is its start too and saves a clock read. Set at construction.
   */
  private static final int HANDED_BACK = 8;
  /** {@link #runHere()} runs the work: {@link #runner} is set. */
  private static final int HERE = 16;
  /** {@link #runHere()}'s work has returned (or was skipped): the runner is no longer this attempt's. */
  private static final int DONE_HERE = 32;
  /** {@link #interrupt()} is interrupting the runner: the runner waits for {@link #INTERRUPTED} before it goes on. */
  private static final int INTERRUPTING = 64;
  /** {@link #interrupt()} has interrupted the runner, which clears that interrupt when its work has returned. */
  private static final int INTERRUPTED = 128;
  /** The flags' bits below the attempt's number. */
  private static final int NUMBER_SHIFT = 8;
  /** The highest attempt number: the engine runs no more attempts of a task (see {@link RetryPolicy#maxAttempts()}). */
  static final int MAX_NUMBER = Integer.MAX_VALUE >>> (NUMBER_SHIFT - 1);
  private static final java.lang.invoke.VarHandle FLAGS;

  static {
    try {
      FLAGS = java.lang.invoke.MethodHandles.lookup().findVarHandle(AttemptImpl.class, "flags", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * {@link #DECIDED}, {@link #REPORTED}, {@link #CANCELLED}, {@link #HANDED_BACK}, and the in-process
   * run's {@link #HERE}, {@link #DONE_HERE}, {@link #INTERRUPTING}, {@link #INTERRUPTED}; above them
   * the attempt's number. Bits are only ever set, each by one atomic operation: the runner and an
   * interrupting thread meet here without a lock (see {@link #runHere()} and {@link #interrupt()}).
   */
  private volatile int flags;
  /** The backend's handle: written by the thread that started the attempt, or by {@link #attach}. */
  volatile Execution execution;
  /** When {@link #started()} was first called, or 0. */
  volatile long startedNanos;
  /**
   * The deadline's timer entry, then, once the attempt is stopped with an interrupt, the kill's:
   * written by the thread that reports the start or stops the attempt, cancelled by the report.
   */
  volatile ScheduledFuture<?> deadline;

  /**
   * A progress report of an attempt (its number, a fraction within [0, 1] and its message, or
   * null), kept by the job ({@link Job#progress}) for snapshots, which show it for that attempt only.
   */
  record Progress(int attempt, double fraction, String message) {}

  /**
   * The thread running the work in-process, or null: written only by that thread, set before it
   * sets {@link #HERE} (which publishes it) and cleared once it has set {@link #DONE_HERE} and no
   * interrupt of the engine is in flight.
   */
  private Thread runner;

  /**
   * @param number the attempt's number, from 1 to {@link #MAX_NUMBER}
   * @param handedBack whether {@link #runHere()} hands it back to the thread that reported the previous attempt
   */
  AttemptImpl(Job job, int number, boolean handedBack) {
    checkArgument(number >= 1 && number <= MAX_NUMBER, "attempt number %s", number);
    this.job = job;
    // A plain write: publishing the attempt (Job#current) publishes it.
    FLAGS.set(this, number << NUMBER_SHIFT | (handedBack ? HANDED_BACK : 0));
  }

  /** Sets {@code bits}; returns the flags as they were. */
  private int set(int bits) {
    return (int) FLAGS.getAndBitwiseOr(this, bits);
  }

  /** Claims the right to decide this attempt's outcome; true for the one caller that gets it. */
  boolean decide() {
    return (set(DECIDED) & DECIDED) == 0;
  }

  boolean isDecided() {
    return (flags & DECIDED) != 0;
  }

  /** Claims the backend's report (and the slot release that goes with it); true once. */
  boolean claimReport() {
    return (set(REPORTED) & REPORTED) == 0;
  }

  /** {@link #claimReportAndDecide()}: a report came before this one; nothing to do. */
  static final int CLAIMED_BEFORE = -1;
  /** {@link #claimReportAndDecide()}: the report is claimed, the outcome was decided before it (a deadline, a cancel). */
  static final int REPORT_ONLY = 0;
  /** {@link #claimReportAndDecide()}: the report is claimed and decides the outcome. */
  static final int REPORT_DECIDES = 1;

  /**
   * {@link #claimReport()} and then {@link #decide()}, in one atomic step, for a report: one of
   * {@link #CLAIMED_BEFORE}, {@link #REPORT_ONLY}, {@link #REPORT_DECIDES}. The same as the two
   * calls in a row, minus the moment between them: every report claims both at once, and the
   * only other claim of the report (the start of a job cancelled since dispatch) decides first.
   */
  int claimReportAndDecide() {
    int was = set(REPORTED | DECIDED);
    return (was & REPORTED) != 0 ? CLAIMED_BEFORE : (was & DECIDED) == 0 ? REPORT_DECIDES : REPORT_ONLY;
  }

  boolean isReported() {
    return (flags & REPORTED) != 0;
  }

  /** Marks the attempt as one the core wants stopped: see {@link #isCancelled()}. */
  void markCancelled() {
    set(CANCELLED);
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
    return flags >>> NUMBER_SHIFT;
  }

  @Override
  public Work work() {
    return job.work();
  }

  @Override
  public java.util.Map<String, String> loggingContext() {
    return ContextualWork.mdcOf(job.work());
  }

  @Override
  public Object prepared() {
    return job.prepared();
  }

  @Override
  public TaskContext context() {
    return this;
  }

  @Override
  public boolean isCancelled() {
    return (flags & CANCELLED) != 0;
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
    if (!job.offerReport(report)) {
      executor.execute(report);
    }
  }

  @Override
  public void attach(Execution e) {
    execution = e;
    if (isCancelled()) {
      e.interrupt();
    }
  }

  @Override
  public Attempt runHere() {
    // The runner and interrupt() meet on the flags, each by one atomic operation, so they see
    // each other in one order: either the runner's HERE came first, and interrupt() (which sets
    // CANCELLED before it looks) interrupts the runner, or CANCELLED came first and the runner
    // skips the work. An interrupt in flight is awaited and cleared by endHere either way.
    runner = Thread.currentThread();
    if ((set(HERE) & CANCELLED) != 0) {
      endHere();
      return job.engine.onReportFromRunHere(this,
          Outcome.failure(new java.util.concurrent.CancellationException("cancelled before it started")));
    }
    // Marked from before the work starts until the report has returned (so also while the report
    // completes the future and runs the caller's dependent actions): see RunningHere.
    Object outer;
    try {
      outer = RunningHere.enter(this);
    } catch (Throwable t) { // no memory for the marker's pair: the attempt still reports
      endHere();
      return job.engine.onReportFromRunHere(this, Outcome.failure(t));
    }
    try {
      Object outcome;
      try {
        startedAt((flags & HANDED_BACK) != 0 ? job.enqueuedNanos : System.nanoTime());
        outcome = Outcome.success(job.runWork(this));
      } catch (Throwable t) {
        outcome = Outcome.failure(t);
      } finally {
        endHere();
      }
      // Still marked as running here while reporting: completing the future runs the caller's
      // dependent actions here, and a submit from one of them must not block.
      return job.engine.onReportFromRunHere(this, outcome);
    } finally {
      RunningHere.exit(outer);
    }
  }

  /**
   * The work has returned (or is skipped): from now on {@link #interrupt()} leaves this thread
   * alone. If it is interrupting it right now, waits until it has (a few instructions) and clears
   * that interrupt, which must not leak into the thread's next job.
   */
  private void endHere() {
    if ((set(DONE_HERE) & INTERRUPTING) != 0) {
      for (int spins = 0; (flags & INTERRUPTED) == 0; spins++) {
        if (spins < 64) {
          Thread.onSpinWait();
        } else {
          Thread.yield(); // the interrupting thread lost its core meanwhile
        }
      }
      Thread.interrupted();
    }
    runner = null;
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
    return RunningHere.workingHere();
  }

  /** Whether this attempt's work runs on the current thread: called by that thread only (it wrote {@link #runner}). */
  boolean worksHere() {
    return runner == Thread.currentThread();
  }

  /** The name of the thread running the work in-process ({@link ThreadNames}), or null. */
  String runnerName() {
    int f = flags;
    Thread t = runner; // read after the flags, which published it
    return (f & (HERE | DONE_HERE)) != HERE || t == null ? null : ThreadNames.of(t);
  }

  /**
   * Interrupts the work: its in-process thread if it runs here, and the backend's execution. The
   * caller has marked the attempt cancelled first (see {@link #runHere()}).
   */
  void interrupt() {
    for (int f = flags; (f & (HERE | DONE_HERE | INTERRUPTING)) == HERE; f = flags) {
      if (FLAGS.compareAndSet(this, f, f | INTERRUPTING)) {
        try {
          runner.interrupt(); // still set: the runner waits for INTERRUPTED before it clears it
        } finally {
          set(INTERRUPTED); // even if interrupt() threw: the runner must not wait for ever
        }
        break;
      }
    }
    Execution e = execution;
    if (e != null) {
      e.interrupt();
    }
  }

  /**
   * As the marker of a virtual thread running this attempt ({@link RunningHere}) that displaced no
   * handler: passes the exception on as the thread would have without the marker, to its group.
   * Called when code of the task hands an exception to its thread's handler itself, as some
   * libraries do with errors they cannot throw.
   */
  @Override
  public void uncaughtException(Thread t, Throwable e) {
    t.getThreadGroup().uncaughtException(t, e);
  }

  // ---- TaskContext (task side, in-process)

  @Override
  public int attempt() {
    return number();
  }

  @Override
  public void progress(double fraction, String message) {
    checkArgument(fraction >= 0.0 && fraction <= 1.0, "progress fraction must be within [0, 1], got %s", fraction);
    if (job.current == this) { // an attempt abandoned at its timeout must not hide the current one's
      job.progress = new Progress(number(), fraction, message);
    }
    job.engine.onProgress(this, fraction, message);
  }

  @Override
  public String toString() {
    return "attempt " + number() + " of " + job.label();
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
