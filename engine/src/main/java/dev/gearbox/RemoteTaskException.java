package dev.gearbox;

/**
 * A task's exception that could not cross the process boundary as itself (its class is not
 * serializable, or not on the caller's classpath). Keeps what can be kept: the original class
 * name, message and stack trace, and the same for its causes.
 */
public final class RemoteTaskException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String originalClassName;

  public RemoteTaskException(String originalClassName, String message, StackTraceElement[] stack, Throwable cause) {
    super(originalClassName + (message == null ? "" : ": " + message), cause);
    this.originalClassName = originalClassName;
    if (stack != null) {
      setStackTrace(stack);
    }
  }

  /** The fully qualified name of the exception the task threw. */
  public String originalClassName() {
    return originalClassName;
  }
}
