package dev.gearbox;

import dev.gearbox.spi.Work;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * A submitted task as the core tracks it, across all its attempts; it is also the task's future,
 * the {@link TaskFuture} the caller gets (one object per task instead of two: the caller sees only
 * {@code TaskFuture}'s API, whose behaviour this class leaves as it is).
 *
 * <p>Thread-safety: the future's side is thread-safe ({@link TaskFuture}); the job's fields are
 * not by themselves: each mutable one says what guards it, most are guarded by its engine's
 * {@code mainLock} (see {@link DefaultEngine}).
 */
final class Job extends TaskFuture<Object> {
  enum State { QUEUED, RUNNING, WAITING_RETRY, DONE }

  final DefaultEngine engine;
  final long id;
  final Work work;
  /**
   * As submitted: the name (null for the default {@code task-<id>}, built only when asked for),
   * priority, timeout and retry policy, the last two null for the engine's defaults. One reference
   * to the caller's options (most tasks share {@link TaskOptions#defaults()}) instead of a field
   * for each.
   */
  private final TaskOptions options;
  final long submittedNanos;

  /**
   * What the backend kept from checking the work at submit (see Backend.prepare). Written once,
   * by the submitting thread before the job is published under mainLock.
   */
  Object prepared;
  /** Guarded by mainLock. */
  State state;
  /**
   * When the job began waiting for its next attempt. Written under mainLock when the job is
   * admitted or requeued; read by the thread that starts that attempt, after it dispatched the
   * job under mainLock. That thread, when it hands the attempt back to a worker that runs it at
   * once ({@link AttemptImpl#runHere()}), then writes the hand-back's time here: that attempt's
   * start, read by the same thread.
   */
  long enqueuedNanos;
  /**
   * Attempts started so far. Written only by the thread that starts the next attempt, which first
   * dispatched the job under mainLock (after the previous attempt's report released it there); read
   * racily by shutdownNow and for events.
   */
  int attempts;
  /** The latest attempt; written by the thread that starts it, read by cancel and shutdownNow. */
  volatile AttemptImpl current;
  /**
   * The last progress an attempt reported (with its number, so that a snapshot shows only the
   * running attempt's), or null: written by progress reports, read by snapshots. Kept here rather
   * than in each attempt, which stays smaller: progress is rare, attempts are not.
   */
  volatile AttemptImpl.Progress progress;
  /**
   * Whether the latest dispatch went into the backend's prefetch room (more work waited behind
   * it). Written under mainLock, by the dispatch; read by shutdownNow after it has moved the engine
   * to STOP under mainLock, from which on nothing is dispatched: it reads the last value. Not
   * volatile, so that a dispatch costs no fence under the lock.
   */
  boolean prefetched;
  /** The scheduled retry while WAITING_RETRY. Guarded by mainLock. */
  ScheduledFuture<?> pendingRetry;
  /** Links in the engine's list of live (running or retry-waiting) jobs. Guarded by mainLock. */
  Job prevLive;
  Job nextLive;
  boolean inLive;
  /**
   * Run time of the last attempt that reported, for adaptive batching: written by a report before
   * it completes the future, and read after the future completed (which publishes it). Only the
   * job's current attempt writes it, so a late report of an attempt a timeout abandoned cannot
   * race that read. Not volatile, so that a report costs no fence for it.
   */
  long lastRunNanos;

  Job(DefaultEngine engine, long id, Work work, TaskOptions options) {
    this.engine = engine;
    this.id = id;
    this.work = work;
    this.options = options;
    this.submittedNanos = System.nanoTime();
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
