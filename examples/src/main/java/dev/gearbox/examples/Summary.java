package dev.gearbox.examples;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What an example found: a headline (one cell of the tour's table), rows for its own table, and
 * a few lines saying what the run shows about the concurrency level it ran on.
 */
final class Summary {
  private final String title;
  private final List<String[]> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private String headline = "";

  Summary(String title) {
    this.title = title;
  }

  Summary row(String what, String value) {
    rows.add(new String[] {what, value});
    return this;
  }

  Summary row(String what, String format, Object... args) {
    return row(what, String.format(Locale.ROOT, format, args));
  }

  Summary note(String line) {
    notes.add(line);
    return this;
  }

  Summary headline(String format, Object... args) {
    headline = String.format(Locale.ROOT, format, args);
    return this;
  }

  String headline() {
    return headline;
  }

  List<String> notes() {
    return notes;
  }

  void print(PrintWriter out) {
    out.println();
    out.println(title);
    printTable(out, List.of("what", "result"), rows);
    if (!headline.isEmpty()) {
      out.println("In short: " + headline);
    }
    for (String n : notes) {
      out.println(n);
    }
    out.flush();
  }

  /** A Markdown table with padded columns: readable in a terminal, renders on GitHub. */
  static void printTable(PrintWriter out, List<String> header, List<String[]> body) {
    int[] w = new int[header.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = header.get(i).length();
      for (String[] r : body) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder h = new StringBuilder("|");
    StringBuilder sep = new StringBuilder("|");
    for (int i = 0; i < w.length; i++) {
      h.append(' ').append(pad(header.get(i), w[i])).append(" |");
      sep.append('-').append("-".repeat(w[i])).append("-|");
    }
    out.println(h);
    out.println(sep);
    for (String[] r : body) {
      StringBuilder line = new StringBuilder("|");
      for (int i = 0; i < w.length; i++) {
        line.append(' ').append(pad(r[i], w[i])).append(" |");
      }
      out.println(line);
    }
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(width - s.length());
  }
}
