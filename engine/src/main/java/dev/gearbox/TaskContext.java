package dev.gearbox;

import java.util.concurrent.CancellationException;

/**
 * What a running {@link ContextTask} can learn about and tell the engine.
 *
 * <p>Implementations are supplied by the engine and are safe to use from the task's own thread
 * (and from threads the task starts, while the task runs). Progress calls are cheap and may be
 * coalesced; listeners receive them on the engine's event thread, never on the task's.
 */
public interface TaskContext {

  /** The engine-wide id of this task, the same for every attempt. */
  long taskId();

  /** The task's name: the one given in {@link TaskOptions}, or {@code task-<id>}. */
  String taskName();

  /** The attempt number, starting at 1; greater when the retry policy ran the task again. */
  int attempt();

  /**
   * Whether the caller cancelled this task, or its deadline passed. A long-running task should
   * check this (or {@link #checkCancelled()}) between units of work; backends also interrupt the
   * task's thread, but code that swallows interrupts only notices through this flag.
   */
  boolean isCancelled();

  /**
   * Throws if {@link #isCancelled()}.
   *
   * @throws CancellationException if this task was cancelled or timed out
   */
  default void checkCancelled() {
    if (isCancelled()) {
      throw new CancellationException("task " + taskName() + " (id " + taskId() + ") was cancelled");
    }
  }

  /**
   * Reports progress to the engine's listeners.
   *
   * @param fraction completed fraction, from 0.0 to 1.0
   * @param message  a short human-readable status, may be {@code null}
   * @throws IllegalArgumentException if {@code fraction} is not within [0, 1]
   */
  void progress(double fraction, String message);

  /**
   * The state the configured {@link WorkerInitializer} made for the worker this task runs in: one
   * value per worker JVM (on {@code thread}, {@code async} and {@code direct}, one for the engine),
   * shared by every task that runs there, at once too.
   *
   * @param type the state's class (or a supertype of it)
   * @return the state, or {@code null} if the initializer returned {@code null}
   * @throws IllegalStateException if no worker initializer is configured
   * @throws ClassCastException    if the state is not a {@code type}, naming both classes
   */
  default <S> S workerState(Class<S> type) {
    throw new IllegalStateException("task " + taskName() + " asked for its worker's state, but its engine has no worker"
        + " initializer: set one with EngineConfig.Builder.workerInitializer or " + EngineConfig.WORKER_INITIALIZER);
  }
}
