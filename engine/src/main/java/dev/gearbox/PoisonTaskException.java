package dev.gearbox;

/**
 * A task killed the worker running it too many times in a row and is quarantined: it fails with
 * this exception, which no retry policy retries, and is not run again. The cause is the last
 * {@link WorkerCrashedException}.
 */
public class PoisonTaskException extends EngineException {
  private static final long serialVersionUID = 1L;

  public PoisonTaskException(long taskId, String taskName, int crashes, WorkerCrashedException last) {
    super(taskId, taskName, "quarantined as poison: it crashed its worker " + crashes
        + " times in a row; not retried. Last crash: " + last.getMessage(), last);
  }
}
