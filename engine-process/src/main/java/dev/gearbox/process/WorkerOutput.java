package dev.gearbox.process;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.commons.exec.ExecuteStreamHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker JVM's standard streams as commons-exec hands them over: its stdout and stderr pumped,
 * line by line, into the log (logger {@code dev.gearbox.process.worker}, tagged with the worker),
 * with the last lines of both kept for crash reports; its stdin handed to the worker for frames.
 * Two pump threads per worker, daemon, ended by the worker's exit.
 *
 * <p>Thread-safe: the tail is guarded by itself.
 */
final class WorkerOutput implements ExecuteStreamHandler {
  private static final Logger output = LoggerFactory.getLogger("dev.gearbox.process.worker");
  private static final Logger log = LoggerFactory.getLogger(WorkerOutput.class);
  private static final int TAIL_LINES = 30;
  /** The longest line logged whole; a longer one (a child process writing without newlines) is cut into lines of this size. */
  static final int MAX_LINE = 8192;
  /** The longest line kept in the crash tail, which goes into exception messages. */
  static final int MAX_TAIL_LINE = 1024;

  private final String threadPrefix;
  private final Supplier<String> label;
  /** Whether the worker is training the AOT cache, whose narration is kept out of the log and the tail. */
  private final Supplier<Boolean> training;
  private final Consumer<DataOutputStream> stdinSink;
  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private InputStream out;
  private InputStream err;
  private Thread outPump;
  private Thread errPump;

  WorkerOutput(String threadPrefix, Supplier<String> label, Supplier<Boolean> training, Consumer<DataOutputStream> stdinSink) {
    this.threadPrefix = threadPrefix;
    this.label = label;
    this.training = training;
    this.stdinSink = stdinSink;
  }

  /** The worker's last output lines (stderr, and stdout marked as such), oldest first. */
  String tail() {
    synchronized (tail) {
      return String.join("\n", tail);
    }
  }

  @Override
  public void setProcessInputStream(OutputStream os) {
    stdinSink.accept(new DataOutputStream(new BufferedOutputStream(os, 1 << 16)));
  }

  @Override
  public void setProcessOutputStream(InputStream is) {
    out = is;
  }

  @Override
  public void setProcessErrorStream(InputStream is) {
    err = is;
  }

  @Override
  public void start() {
    outPump = pump(out, false);
    errPump = pump(err, true);
  }

  /** What the JVM prints while it records and writes an AOT cache (only asked of training workers). */
  private static boolean isAotReport(String line) {
    return line.contains("AOT") || line.contains("[aot]") || line.startsWith("Picked up JAVA_TOOL_OPTIONS: -Djava.class.path=");
  }

  private Thread pump(InputStream in, boolean isErr) {
    Thread t = new Thread(() -> {
      try (BoundedLines r = new BoundedLines(in, MAX_LINE)) {
        String line;
        while ((line = r.next()) != null) {
          if (training.get() && isAotReport(line)) {
            // The JVM narrates writing its AOT cache; that is neither the task's output nor
            // evidence about a crash, so it stays out of the log and out of the crash tail.
            output.debug("[{}] {}", label.get(), line);
            continue;
          }
          // The tail keeps both streams: the JVM reports some deaths on stdout
          // ("Terminating due to java.lang.OutOfMemoryError").
          synchronized (tail) {
            if (tail.size() == TAIL_LINES) {
              tail.removeFirst();
            }
            String kept = line.length() <= MAX_TAIL_LINE ? line : line.substring(0, MAX_TAIL_LINE) + "...";
            tail.addLast(isErr ? kept : "[stdout] " + kept);
          }
          if (isErr) {
            output.warn("[{}] {}", label.get(), line);
          } else {
            output.info("[{}] {}", label.get(), line);
          }
        }
      } catch (IOException e) {
        log.debug("Gearbox: output of {} ended: {}", label.get(), e.toString());
      }
    }, threadPrefix + (isErr ? "-stderr" : "-stdout"));
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Override
  public void stop() {
    // Let the pumps drain what the worker wrote before it died (its last stderr lines matter).
    for (Thread t : new Thread[] {outPump, errPump}) {
      if (t != null) {
        try {
          t.join(2_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
