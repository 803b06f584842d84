package dev.gearbox;

/**
 * Hears how a {@code map} call progresses: set with {@link MapOptions.Builder#progress}. Called on
 * the engine's event thread (never a task's or the consumer's), at most about ten times a second
 * while inputs complete, then once more with {@link MapProgress#finished()} true (delivered by the time the map's stream
 * reaches its end, unless the listener takes longer than a second). An exception it
 * throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface MapProgressListener {

  void onProgress(MapProgress progress);

  /**
   * A one-line progress bar on this process's standard error, redrawn in place, drawn only when a
   * terminal is attached (nothing is printed into a pipe, a file or a CI log).
   */
  static ProgressBar terminal(String label) {
    return ProgressBar.terminal(label);
  }
}
