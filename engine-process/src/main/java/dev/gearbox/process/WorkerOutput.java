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
 * line by line, into the log (logger {@code dev.gearbox.process.worker}, tagged with the worker;
 * to this JVM's stderr when the application has no SLF4J provider, which would drop them),
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
  /**
   * Whether the application has no SLF4J provider, so that anything logged is dropped: worker
   * output then goes to this JVM's stderr instead, since what a task prints must not vanish.
   */
  static final boolean NO_LOGGER = LoggerFactory.getILoggerFactory() instanceof org.slf4j.helpers.NOPLoggerFactory;
  private static final java.util.concurrent.atomic.AtomicBoolean TOLD = new java.util.concurrent.atomic.AtomicBoolean();

  private final String threadPrefix;
  private final Supplier<String> label;
  /** Whether the worker is training the AOT cache, whose narration is kept out of the log and the tail. */
  private final Supplier<Boolean> training;
  private final Consumer<DataOutputStream> stdinSink;
  /** The MDC of a task this worker runs, by task id (empty when unknown), to log its lines with. */
  private volatile java.util.function.LongFunction<java.util.Map<String, String>> taskMdc = id -> java.util.Map.of();
  /** Where a line goes when there is no logger: this JVM's stderr (a test can give another). */
  private final java.io.PrintStream fallback;
  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private InputStream out;
  private InputStream err;
  private Thread outPump;
  private Thread errPump;

  WorkerOutput(String threadPrefix, Supplier<String> label, Supplier<Boolean> training, Consumer<DataOutputStream> stdinSink) {
    this(threadPrefix, label, training, stdinSink, NO_LOGGER ? System.err : null);
  }

  /** With {@code fallback} non-null, lines go there instead of to the log. */
  WorkerOutput(String threadPrefix, Supplier<String> label, Supplier<Boolean> training, Consumer<DataOutputStream> stdinSink,
      java.io.PrintStream fallback) {
    this.threadPrefix = threadPrefix;
    this.label = label;
    this.training = training;
    this.stdinSink = stdinSink;
    this.fallback = fallback;
  }

  /** Where a line tagged {@code [task <id>]} finds its task's MDC. */
  void taskMdc(java.util.function.LongFunction<java.util.Map<String, String>> lookup) {
    this.taskMdc = lookup;
  }

  /** The id in a line's {@code [task <id>] } tag (written by the worker's {@link TaggingStream}), or -1. */
  static long taggedTask(String line) {
    if (!line.startsWith("[task ")) {
      return -1;
    }
    long id = 0;
    int i = 6;
    for (; i < line.length() && i < 26; i++) {
      char c = line.charAt(i);
      if (c == ']') {
        return i > 6 ? id : -1;
      }
      if (c < '0' || c > '9') {
        return -1;
      }
      id = id * 10 + (c - '0');
    }
    return -1;
  }

  /** Forgets the tail: the worker moves to another owner, whose crash reports must not quote the last one's output. */
  void clearTail() {
    synchronized (tail) {
      tail.clear();
    }
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
          if (fallback != null) {
            if (TOLD.compareAndSet(false, true)) {
              fallback.println("gearbox: no SLF4J provider on the classpath, so worker output is printed here; add one"
                  + " (slf4j-simple, logback) to route it through logging, under dev.gearbox.process.worker");
            }
            fallback.println("[" + label.get() + "] " + line);
          } else {
            logLine(line, isErr);
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

  /** Logs a line, under its task's MDC when it names a task that has one. */
  private void logLine(String line, boolean isErr) {
    long task = taggedTask(line);
    java.util.Map<String, String> mdc = task < 0 ? java.util.Map.of() : taskMdc.apply(task);
    if (mdc.isEmpty()) {
      log(line, isErr);
      return;
    }
    mdc.forEach(org.slf4j.MDC::put); // the pump thread has no MDC of its own
    try {
      log(line, isErr);
    } finally {
      org.slf4j.MDC.clear();
    }
  }

  private void log(String line, boolean isErr) {
    lineLog.log(label.get(), line, isErr);
  }

  /** Where a worker's line is logged: {@code dev.gearbox.process.worker}, stderr at WARN and stdout at INFO. */
  interface LineLog {
    void log(String worker, String line, boolean isErr);
  }

  /** The log every worker's lines go to; replaced only by tests, to see what a line is logged with. */
  static volatile LineLog lineLog = (worker, line, isErr) -> {
    if (isErr) {
      output.warn("[{}] {}", worker, line);
    } else {
      output.info("[{}] {}", worker, line);
    }
  };

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
