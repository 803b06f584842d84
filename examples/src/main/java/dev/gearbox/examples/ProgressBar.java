package dev.gearbox.examples;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr. On a terminal it is redrawn in place (at most ten times a
 * second); otherwise (a pipe, a log, CI) it prints one final line, and only for work that took
 * longer than a second. Thread-safe.
 */
final class ProgressBar {
  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final String label;
  private final int total;
  private final PrintStream out = System.err;
  /** Set by the tour, whose own lines report progress. */
  static volatile boolean quiet;

  private final boolean terminal = System.console() != null && !quiet;
  private final long start = System.nanoTime();
  private long lastDraw;
  private int done;

  ProgressBar(String label, int total) {
    this.label = label;
    this.total = total;
  }

  synchronized void step() {
    update(done + 1);
  }

  synchronized void update(int done) {
    this.done = done;
    long now = System.nanoTime();
    if (terminal && now - lastDraw >= REDRAW_NANOS) {
      lastDraw = now;
      out.print("\r" + line(done));
      out.flush();
    }
  }

  synchronized void finish() {
    if (terminal) {
      out.print("\r" + line(done) + System.lineSeparator());
    } else if (System.nanoTime() - start > 1_000_000_000L && !quiet) {
      out.println(line(done));
    }
    out.flush();
  }

  private String line(int done) {
    int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * Math.min(done, total) / total);
    return String.format(Locale.ROOT, "%-10s [%s%s] %d/%d  %.1f s", label, "#".repeat(filled),
        "-".repeat(WIDTH - filled), done, total, (System.nanoTime() - start) / 1e9);
  }
}
