package dev.gearbox;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line progress bar on standard error: label, bar, done/total, rate and ETA, redrawn in place
 * at most ten times a second. Drawn only when a terminal is attached; elsewhere (a pipe, a log, CI)
 * it prints nothing. It follows a {@code map} as its {@link MapProgressListener}, or any other work
 * through {@link #update} and {@link #finish()}.
 *
 * <p>Thread-safe.
 */
public final class ProgressBar implements MapProgressListener {
  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final String label;
  private final PrintStream out;
  private final boolean draw;
  private final long start = System.nanoTime();
  private long lastDraw;
  private long done;
  private long total = -1;
  private boolean finished;

  ProgressBar(String label, PrintStream out, boolean draw) {
    this.label = requireNonNull(label, "label");
    this.out = out;
    this.draw = draw;
  }

  /** A bar on standard error, drawn only if a terminal is attached. */
  public static ProgressBar terminal(String label) {
    return new ProgressBar(label, System.err, terminalAttached());
  }

  /** A bar that draws nothing: for a caller that reports progress its own way at times. */
  public static ProgressBar silent(String label) {
    return new ProgressBar(label, System.err, false);
  }

  /** Whether this JVM's console is an interactive terminal (on JDK 22+, {@code Console.isTerminal()}). */
  static boolean terminalAttached() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return true; // before JDK 22 a console exists only for a terminal
    }
  }

  /** Whether this bar draws at all. */
  public boolean isDrawn() {
    return draw;
  }

  @Override
  public void onProgress(MapProgress p) {
    if (p.finished()) {
      update(p.done(), p.total());
      finish();
    } else {
      update(p.done(), p.total());
    }
  }

  /** One more done. */
  public synchronized void step() {
    update(done + 1, total);
  }

  /**
   * Sets how much is done, of {@code total} ({@code -1} when unknown); redraws if the last draw is
   * a tenth of a second old.
   */
  public synchronized void update(long done, long total) {
    this.done = done;
    this.total = total;
    long now = System.nanoTime();
    if (draw && !finished && now - lastDraw >= REDRAW_NANOS) {
      lastDraw = now;
      out.print("\r" + line(now));
      out.flush();
    }
  }

  /** Draws the final state and ends the line. Idempotent. */
  public synchronized void finish() {
    if (draw && !finished) {
      out.print("\r" + line(System.nanoTime()) + System.lineSeparator());
      out.flush();
    }
    finished = true;
  }

  /** The bar's line at {@code now}. */
  synchronized String line(long now) {
    double secs = (now - start) / 1e9;
    double rate = secs > 0 ? done / secs : 0;
    String counts;
    String bar;
    String eta = "";
    if (total >= 0) {
      int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * Math.min(done, total) / total);
      bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
      counts = done + "/" + total;
      if (rate > 0 && done < total) {
        eta = "  eta " + format(Duration.ofNanos((long) ((total - done) / rate * 1e9)));
      }
    } else {
      int pos = (int) (done % WIDTH);
      bar = "-".repeat(pos) + "#" + "-".repeat(WIDTH - pos - 1);
      counts = Long.toString(done);
    }
    return String.format(Locale.ROOT, "%-10s [%s] %s  %.1f/s  %.1f s%s", label, bar, counts, rate, secs, eta);
  }

  private static String format(Duration d) {
    long s = d.toSeconds();
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
        : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
  }
}
