package dev.gearbox.process;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Lines of UTF-8 text from a stream, none longer than a bound: a longer run without a newline is
 * returned in pieces of {@code maxLine} bytes (a piece may end inside a character, which then
 * decodes as a replacement character). What a worker, or a child process sharing its output,
 * writes can therefore never make the engine hold more than one bounded line per stream.
 *
 * <p>Not thread-safe: one reader thread.
 */
final class BoundedLines implements Closeable {
  private final InputStream in;
  private final int maxLine;
  private final byte[] chunk = new byte[8192];
  private final ByteArrayOutputStream line;
  private int pos;
  private int end;

  BoundedLines(InputStream in, int maxLine) {
    this.in = in;
    this.maxLine = maxLine;
    this.line = new ByteArrayOutputStream(Math.min(maxLine, 1024));
  }

  /** The next line without its line terminator, or null at the end of the stream. */
  String next() throws IOException {
    line.reset();
    for (;;) {
      if (pos == end) {
        end = in.read(chunk);
        pos = 0;
        if (end < 0) {
          end = 0;
          return line.size() > 0 ? text() : null;
        }
      }
      while (pos < end) {
        byte b = chunk[pos++];
        if (b == '\n') {
          return text();
        }
        line.write(b);
        if (line.size() >= maxLine) {
          return text();
        }
      }
    }
  }

  private String text() {
    String s = line.toString(StandardCharsets.UTF_8);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
