package dev.gearbox;

import java.util.OptionalInt;

/**
 * The worker running a task died or its channel broke before the task reported: the JVM exited
 * ({@code System.exit}, {@code Runtime.halt}, out of memory), was killed by a signal, or was
 * killed by the engine's stop ladder. Names the task, the worker, the exit code or signal, and
 * the tail of the worker's stderr. Retried like any failure unless the retry policy says
 * otherwise. Only the tasks that worker held fail this way; the pool starts a replacement.
 */
public class WorkerCrashedException extends EngineException {
  private static final long serialVersionUID = 1L;

  private final String worker;
  private final Integer exitCode;
  private final String stderrTail;

  /**
   * @param what       what happened, in words (e.g. "worker exited with code 3")
   * @param exitCode   the worker's exit code, or null if unknown (still running, channel fault)
   * @param stderrTail the last lines the worker wrote to stderr, may be empty
   */
  public WorkerCrashedException(long taskId, String taskName, String worker, String what, Integer exitCode,
      String stderrTail, Throwable cause) {
    super(taskId, taskName, what + " (" + worker + ")" + describeSignal(exitCode)
        + (stderrTail == null || stderrTail.isBlank() ? "; it wrote nothing to stderr" : "; its last output lines (stderr,"
            + " and stdout marked [stdout]):\n" + stderrTail), cause);
    this.worker = worker;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail == null ? "" : stderrTail;
  }

  private static String describeSignal(Integer exitCode) {
    if (exitCode != null && exitCode > 128 && exitCode < 128 + 65) {
      int sig = exitCode - 128;
      String name = switch (sig) {
        case 9 -> "SIGKILL";
        case 15 -> "SIGTERM";
        case 6 -> "SIGABRT";
        case 11 -> "SIGSEGV";
        case 2 -> "SIGINT";
        default -> "signal " + sig;
      };
      return ", killed by " + name;
    }
    return "";
  }

  /** The worker's identity, e.g. {@code worker-3 pid 41234}. */
  public String worker() {
    return worker;
  }

  /** The exit code, if the worker exited (128 + n means killed by signal n). */
  public OptionalInt exitCode() {
    return exitCode == null ? OptionalInt.empty() : OptionalInt.of(exitCode);
  }

  /** The last lines the worker wrote before it died: stderr, and stdout lines marked {@code [stdout]}. */
  public String stderrTail() {
    return stderrTail;
  }
}
