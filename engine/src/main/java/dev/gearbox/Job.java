package dev.gearbox;

import dev.gearbox.spi.Work;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * A submitted task as the core tracks it, across all its attempts. Mutable fields are guarded
 * by the engine's lock unless marked volatile.
 */
final class Job implements Comparable<Job> {
  enum State { QUEUED, RUNNING, WAITING_RETRY, DONE }

  final DefaultEngine engine;
  final long id;
  /** The given name, or null for the default {@code task-<id>} (built only when asked for). */
  private final String givenName;
  final Work work;
  final int priority;
  final Duration timeout;
  final RetryPolicy retry;
  final TaskFuture<Object> future;
  final long submittedNanos;

  /** What the backend kept from checking the work at submit (see Backend.prepare). */
  Object prepared;
  State state;
  long enqueuedNanos;
  /** Attempts launched so far; written only by the thread that launches the next attempt. */
  int attempts;
  volatile AttemptImpl current;
  /** Dispatched into the backend's prefetch room (more work waited behind it), under the engine's lock. */
  volatile boolean prefetched;
  ScheduledFuture<?> pendingRetry;
  /** Links in the engine's list of live (running or retry-waiting) jobs; guarded by the engine lock. */
  Job prevLive;
  Job nextLive;
  boolean inLive;
  /** Run time of the last attempt that reported, for adaptive batching. */
  volatile long lastRunNanos;

  Job(DefaultEngine engine, long id, String name, Work work, TaskOptions options, Duration timeout, RetryPolicy retry) {
    this.engine = engine;
    this.id = id;
    this.givenName = name;
    this.work = work;
    this.priority = options.priority();
    this.timeout = timeout;
    this.retry = retry;
    this.future = new TaskFuture<>(this);
    this.submittedNanos = System.nanoTime();
  }

  String name() {
    return givenName != null ? givenName : "task-" + id;
  }

  TaskEvent event(int attempt) {
    return new TaskEvent(engine.name(), id, name(), attempt, System.nanoTime() - submittedNanos);
  }

  /** Higher priority first, then submission order. */
  @Override
  public int compareTo(Job o) {
    int c = Integer.compare(o.priority, priority);
    return c != 0 ? c : Long.compare(id, o.id);
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(id);
  }

  @Override
  public String toString() {
    return name() + " (id " + id + ")";
  }
}
