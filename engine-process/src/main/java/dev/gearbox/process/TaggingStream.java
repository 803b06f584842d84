package dev.gearbox.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A worker's {@code System.out} and {@code System.err}: buffers each thread's output to the end of
 * a line, then writes the line prefixed with the task that printed it, so the engine's log can say
 * which task wrote what. Lines of different threads never interleave. A line longer than
 * {@link #MAX_LINE} bytes goes in pieces, so output without a newline cannot exhaust the heap.
 *
 * <p>Thread-safe: each thread has its own line buffer; writes to the target are serialized.
 */
final class TaggingStream extends OutputStream {
  /** The longest line written whole; a longer one is written in pieces of this size, each tagged. */
  static final int MAX_LINE = 8192;

  /** The task id of the task running in this thread, set by the worker around each task. */
  static final ThreadLocal<Long> CURRENT_TASK = new ThreadLocal<>();

  private final OutputStream target;
  private final ThreadLocal<ByteArrayOutputStream> line = ThreadLocal.withInitial(ByteArrayOutputStream::new);

  TaggingStream(OutputStream target) {
    this.target = target;
  }

  @Override
  public void write(int b) throws IOException {
    ByteArrayOutputStream buf = line.get();
    buf.write(b);
    if (b == '\n' || buf.size() >= MAX_LINE) {
      flushLine(buf); // a task printing without end never holds more than a line's worth here
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    for (int i = off; i < off + len; i++) {
      write(b[i]);
    }
  }

  /** Lines are written whole (a PrintStream flushes after every print); only a huge partial line is cut. */
  @Override
  public void flush() throws IOException {
    ByteArrayOutputStream buf = line.get();
    if (buf.size() >= MAX_LINE) {
      flushLine(buf);
    }
    synchronized (target) {
      target.flush();
    }
  }

  private void flushLine(ByteArrayOutputStream buf) throws IOException {
    Long task = CURRENT_TASK.get();
    synchronized (target) {
      if (task != null) {
        target.write(("[task " + task + "] ").getBytes(StandardCharsets.UTF_8));
      }
      buf.writeTo(target);
      target.flush();
    }
    buf.reset();
  }
}
