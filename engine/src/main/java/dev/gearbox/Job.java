package dev.gearbox;

import dev.gearbox.spi.Work;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * A submitted task as the core tracks it, across all its attempts; it is also the task's future,
 * the {@link TaskFuture} the caller gets (one object per task instead of two: the caller sees only
 * {@code TaskFuture}'s API, whose behaviour this class leaves as it is).
 *
 * <p>Memory: 88 bytes (compressed references, 8-byte alignment), held for the task's whole life,
 * with the future's four references, nine of its own and three {@code long}s. What is rare or
 * derivable has no field: the attempts started are the current attempt's number, whether the job
 * is linked in the live list follows from its links, a dispatch into the prefetch room is a
 * {@link State}, what a remote backend kept at submit shares the work's field, the run time of
 * the attempt that succeeded takes the place of the queue time, which is no longer needed then,
 * and a plain task is kept without a {@link Work} wrapper. A field more crosses to 96 bytes.
 *
 * <p>Thread-safety: the future's side is thread-safe ({@link TaskFuture}); the job's fields are
 * not by themselves: each mutable one says what guards it, most are guarded by its engine's
 * {@code mainLock} (see {@link DefaultEngine}).
 */
final class Job extends TaskFuture<Object> {
  /**
   * Where the job is. RUNNING and PREFETCHED both hold a slot: PREFETCHED is a dispatch into the
   * backend's prefetch room (more work waited behind it), which shutdownNow treats as not started
   * while its first attempt has not started. A state rather than a flag of its own (see the
   * class comment on the job's size).
   */
  enum State { QUEUED, RUNNING, PREFETCHED, WAITING_RETRY, DONE }

  final DefaultEngine engine;
  final long id;
  /**
   * What the job runs: its backend {@link Work}, or, for a {@link Task} submitted with nothing to
   * wrap it (the common case), the task itself; either one inside a {@link Prepared} when the
   * backend kept something from checking it at submit (see Backend.prepare: the remote backends'
   * encoded task; in-process backends keep nothing). A wrapper per task would be held for the
   * task's whole life (16 bytes): {@link #work()} makes one only when a backend asks for the work,
   * and {@link #runWork} calls the task directly. Never a Work that is also a Task (the core makes
   * none).
   */
  private final Object work;
  /**
   * As submitted: the name (null for the default {@code task-<id>}, built only when asked for),
   * priority, timeout and retry policy, the last two null for the engine's defaults. One reference
   * to the caller's options (most tasks share {@link TaskOptions#defaults()}) instead of a field
   * for each.
   */
  private final TaskOptions options;
  final long submittedNanos;

  /** Guarded by mainLock. */
  State state;
  /**
   * When the job began waiting for its next attempt. Written under mainLock when the job is
   * admitted or requeued; read by the thread that starts that attempt, after it dispatched the
   * job under mainLock. That thread, when it hands the attempt back to a worker that runs it at
   * once ({@link AttemptImpl#runHere()}), then writes the hand-back's time here: that attempt's
   * start, read by the same thread.
   *
   * <p>Once a report of success ends the job, no attempt follows, and the field holds that
   * attempt's run time instead ({@link #successRunNanos()}), for adaptive batching: written by the
   * report before it completes the future, read after the future completed (which publishes it).
   * Not a field of its own, nor volatile: the job stays within 88 bytes, and a report costs no
   * fence for it.
   */
  long enqueuedNanos;
  /**
   * The latest attempt, whose number is the count of attempts started so far ({@link #attempts()}).
   * Written only by the thread that starts the next attempt, which first dispatched the job under
   * mainLock (after the previous attempt's report released it there); read by cancel, shutdownNow,
   * snapshots and for events.
   */
  volatile AttemptImpl current;
  /**
   * The last progress an attempt reported (with its number, so that a snapshot shows only the
   * running attempt's), or null: written by progress reports, read by snapshots. Kept here rather
   * than in each attempt, which stays smaller: progress is rare, attempts are not.
   */
  volatile AttemptImpl.Progress progress;
  /** The scheduled retry while WAITING_RETRY. Guarded by mainLock. */
  ScheduledFuture<?> pendingRetry;
  /**
   * Links in the engine's list of live (running or retry-waiting) jobs. Guarded by mainLock. A job
   * is linked when it has a predecessor or is the list's head (no flag of its own).
   */
  Job prevLive;
  Job nextLive;

  /**
   * @param work a {@link Work}, or a {@link Task} to run as one
   * @param prepared what the backend kept from checking the work at submit, or null
   */
  Job(DefaultEngine engine, long id, Object work, Object prepared, TaskOptions options) {
    this.engine = engine;
    this.id = id;
    this.work = prepared == null ? work : new Prepared(work, prepared);
    this.options = options;
    this.submittedNanos = System.nanoTime();
  }

  /** The work as a backend runs it: see {@link #work}. */
  Work work() {
    return asWork(work instanceof Prepared p ? p.work() : work);
  }

  /** What the backend kept from checking the work at submit (see Backend.prepare), or null. */
  Object prepared() {
    return work instanceof Prepared p ? p.prepared() : null;
  }

  /**
   * The run time of the attempt whose success ended the job (0 if it never reported its start);
   * read only once the future has completed with that success (see {@link #enqueuedNanos}).
   */
  long successRunNanos() {
    return enqueuedNanos;
  }

  /** Attempts started so far. */
  int attempts() {
    AttemptImpl a = current;
    return a == null ? 0 : a.number();
  }

  /** A job's work with what the backend kept from checking it (only where a backend keeps something). */
  private record Prepared(Object work, Object prepared) {}

  /** {@code work} (a {@link Work}, or a {@link Task} to run as one) as a Work. */
  static Work asWork(Object work) {
    return work instanceof Task<?> t ? new DefaultEngine.TaskWork(t) : (Work) work;
  }

  /** Runs the work in this thread, as {@code work().run(context)} would, without a wrapper for a task. */
  Object runWork(TaskContext context) throws Exception {
    Object w = work instanceof Prepared p ? p.work() : work;
    return w instanceof Task<?> t ? t.call() : ((Work) w).run(context);
  }

  String name() {
    String given = options.nameOrNull();
    return given != null ? given : "task-" + id;
  }

  int priority() {
    return options.priority();
  }

  /** The task's timeout, or null for none. */
  Duration timeout() {
    Duration given = options.timeoutOrNull();
    return given != null ? given : engine.defaultTimeout();
  }

  RetryPolicy retry() {
    RetryPolicy given = options.retryOrNull();
    return given != null ? given : engine.defaultRetry();
  }

  TaskEvent event(int attempt) {
    return new TaskEvent(engine.name(), id, name(), attempt, System.nanoTime() - submittedNanos);
  }

  /**
   * How messages name the job: its name and id. (Not {@code toString}, which stays the future's.)
   */
  String label() {
    return name() + " (id " + id + ")";
  }
}
