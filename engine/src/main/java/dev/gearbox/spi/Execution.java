package dev.gearbox.spi;

/**
 * The backend's handle on a started {@link Attempt}, used by the core's stop ladder:
 * cooperative flag, then {@link #interrupt()}, then {@link #kill()} after the grace period on
 * backends that can kill.
 */
public interface Execution {

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
