package dev.gearbox.spi;

/**
 * The backend's handle on a started {@link Attempt}, used by the core's stop ladder:
 * cooperative flag, then {@link #interrupt()}, then {@link #kill()} after the grace period on
 * backends that can kill.
 */
public interface Execution {

  /**
   * Tells the work it is cancelled ({@link dev.gearbox.TaskContext#isCancelled()} turns true)
   * without interrupting it: how {@code cancel(false)} reaches a task in another process.
   * In-process backends need not implement it (the context reads the engine's flag directly).
   */
  default void cancel() {}

  /** Interrupts the thread running the work, wherever it is. Idempotent; may be a no-op. */
  void interrupt();

  /**
   * Stops the work by force (kills the worker process that runs it), then reports the attempt
   * {@link Attempt#lost lost}. Only called on backends whose capabilities say {@code canKill}.
   *
   * @return whether anything was killed
   */
  default boolean kill() {
    return false;
  }

  /**
   * The execution of attempts that run through {@link Attempt#runHere()}: the core interrupts
   * their thread itself, so the backend has nothing to add.
   */
  static Execution runHere() {
    return InProcessExecution.INSTANCE;
  }
}

enum InProcessExecution implements Execution {
  INSTANCE;

  @Override
  public void interrupt() {}
}
