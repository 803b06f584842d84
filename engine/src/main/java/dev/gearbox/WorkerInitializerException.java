package dev.gearbox;

/**
 * A worker's {@link WorkerInitializer} threw, so the worker could not start. The message names the
 * initializer and the worker (or the JVM it ran in); the cause is the initializer's own exception.
 * Thrown by {@code Engine.open} when a worker started at open fails this way, and the failure of
 * tasks that were to run on a worker that did.
 */
public class WorkerInitializerException extends EngineException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed and where, naming the initializer
   * @param cause   the initializer's exception
   */
  public WorkerInitializerException(String message, Throwable cause) {
    super(-1, null, message, cause);
  }
}
