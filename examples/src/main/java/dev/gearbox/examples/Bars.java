package dev.gearbox.examples;

import dev.gearbox.ProgressBar;

/** The examples' progress bars: the library's terminal bar, silent during the tour, whose own lines report progress. */
final class Bars {
  /** Set by the tour. */
  static volatile boolean quiet;

  private Bars() {}

  static ProgressBar of(String label) {
    return quiet ? ProgressBar.silent(label) : ProgressBar.terminal(label);
  }
}
