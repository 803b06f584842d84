package dev.gearbox;

/**
 * An infrastructure failure that ended a task: not the task's own exception but something the
 * engine or its backend could not do (a worker died, the backend refused the task, the engine
 * was closed under it). The message always names the task.
 *
 * <p>Task failures, by contrast, reach the caller as the task's own exception; rejections at
 * submit are {@link java.util.concurrent.RejectedExecutionException}.
 */
public class EngineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long taskId;
  private final String taskName;

  /**
   * @param taskId   the task's id, or -1 when no task is involved
   * @param taskName the task's name, or {@code null} when no task is involved
   * @param message  what went wrong, without the task's name (it is added)
   * @param cause    the underlying failure, may be {@code null}
   */
  public EngineException(long taskId, String taskName, String message, Throwable cause) {
    super(taskName == null ? message : "task " + taskName + " (id " + taskId + "): " + message, cause);
    this.taskId = taskId;
    this.taskName = taskName;
  }

  /** The id of the task this failure ended, or -1. */
  public long taskId() {
    return taskId;
  }

  /** The name of the task this failure ended, or {@code null}. */
  public String taskName() {
    return taskName;
  }
}
