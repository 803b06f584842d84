package dev.gearbox;

import java.time.Duration;

/**
 * Receives an engine's events. Every method has an empty default; override what you need.
 *
 * <p>Callbacks run on one engine event thread per engine, in the order the events happened for
 * any one task; never on a task's thread or a backend I/O thread. A slow listener delays other
 * listeners, not tasks. Exceptions thrown by a listener are logged and otherwise ignored.
 *
 * <p>For every task exactly one of {@link #taskSucceeded}, {@link #taskFailed} and
 * {@link #taskCancelled} is delivered, after {@link #taskSubmitted}.
 */
public interface EngineListener {

  default void taskSubmitted(TaskEvent event) {}

  /** An attempt began running in the backend. */
  default void taskStarted(TaskEvent event) {}

  /** An attempt failed and the task will run again after {@code delay}. */
  default void taskRetried(TaskEvent event, Throwable failure, Duration delay) {}

  default void taskSucceeded(TaskEvent event) {}

  /** The task ended in failure: its own exception, a timeout or an {@link EngineException}. */
  default void taskFailed(TaskEvent event, Throwable failure) {}

  default void taskCancelled(TaskEvent event) {}

  default void taskProgress(TaskEvent event, double fraction, String message) {}

  default void workerStarted(WorkerEvent event) {}

  default void workerCrashed(WorkerEvent event) {}

  default void workerRecycled(WorkerEvent event) {}
}
