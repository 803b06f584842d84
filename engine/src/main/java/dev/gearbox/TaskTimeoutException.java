package dev.gearbox;

import java.time.Duration;

/**
 * A task ran past its timeout. The caller's future fails with this at the deadline, whatever the
 * task does afterwards; how the task itself is stopped depends on the backend (see
 * {@link TaskOptions}).
 */
public class TaskTimeoutException extends EngineException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  public TaskTimeoutException(long taskId, String taskName, Duration timeout) {
    super(taskId, taskName, "timed out after " + timeout.toMillis() + " ms", null);
    this.timeout = timeout;
  }

  /** The timeout that expired. */
  public Duration timeout() {
    return timeout;
  }
}
