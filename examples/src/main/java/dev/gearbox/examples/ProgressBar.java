package dev.gearbox.examples;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on stderr; redrawn in place on a terminal, printed once otherwise. */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final String label;
  private final int total;
  private final PrintStream out = System.err;
  private final boolean terminal = System.console() != null;
  private final long start = System.nanoTime();

  ProgressBar(String label, int total) {
    this.label = label;
    this.total = total;
  }

  void update(int done) {
    if (terminal) {
      out.print("\r" + line(done));
      out.flush();
    }
  }

  void finish() {
    out.print(terminal ? "\r" + line(total) + System.lineSeparator() : line(total) + System.lineSeparator());
    out.flush();
  }

  private String line(int done) {
    int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
    return String.format(Locale.ROOT, "%-8s [%s%s] %d/%d  %.1f s", label, "#".repeat(filled),
        "-".repeat(WIDTH - filled), done, total, (System.nanoTime() - start) / 1e9);
  }
}
