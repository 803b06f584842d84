package dev.gearbox.process;

import dev.gearbox.process.Frames.Frame;
import dev.gearbox.spi.Attempt;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteResultHandler;
import org.apache.commons.exec.ExecuteStreamHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker JVM as the engine sees it: launched and watched by commons-exec; frames to it over
 * its stdin; frames from it over a named pipe of its own; its stdout and stderr pumped into the
 * log (logger {@code dev.gearbox.process.worker}), with the last stderr lines kept for crash
 * reports. Threads: the pipe reader, two output pumps, and commons-exec's waiter.
 *
 * <p>State: STARTING (no HELLO yet) -> READY -> RETIRING (takes no new task; leaves when idle) ->
 * DEAD. However it dies, {@link ProcessBackend#onWorkerExit} learns it exactly once.
 */
final class WorkerProcess {
  private static final Logger output = LoggerFactory.getLogger("dev.gearbox.process.worker");
  private static final Logger log = LoggerFactory.getLogger(WorkerProcess.class);
  private static final int STDERR_TAIL_LINES = 30;

  enum State { STARTING, READY, RETIRING, DEAD }

  final ProcessBackend backend;
  final int index;
  /** How this worker was launched with respect to the AOT cache; set before launch. */
  volatile AotCache.Launch aotLaunch = AotCache.Launch.PLAIN;
  final long spawnedNanos = System.nanoTime();
  /** Written only under the backend's monitor; read anywhere. */
  volatile State state = State.STARTING;
  volatile long pid = -1;
  /** Guarded by the backend's monitor. */
  int tasksRun;
  /** Whether a successor starts as soon as this worker exits (false when it retired for idling). */
  volatile boolean replaceOnExit = true;
  /** A REVOKE was sent and not answered yet; guarded by the backend's monitor. */
  boolean revoking;
  /** When the worker last became idle (nanoTime); guarded by the backend's monitor. */
  long idleSince = System.nanoTime();
  /**
   * Attempts sent to this worker and not yet answered, by wire id (one per attempt: a retry of a
   * task may run beside its abandoned first attempt). Entries are added and removed only under
   * the backend's monitor; whoever removes one reports it, so each attempt is reported once.
   */
  final Map<Long, Attempt> inFlight = new ConcurrentHashMap<>();

  private final Path fifo;
  private final ArrayDeque<String> stderrTail = new ArrayDeque<>();
  private volatile Process process;
  private volatile DataOutputStream stdin;
  private volatile boolean connected;
  private volatile String plannedExit;
  private volatile String channelFault;
  private final java.util.concurrent.atomic.AtomicBoolean exited = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.CountDownLatch gone = new java.util.concurrent.CountDownLatch(1);
  /** Counted down once commons-exec has started the process (or failed to). */
  private final java.util.concurrent.CountDownLatch launched = new java.util.concurrent.CountDownLatch(1);
  private volatile Thread reader;

  WorkerProcess(ProcessBackend backend, int index, Path fifo) {
    this.backend = backend;
    this.index = index;
    this.fifo = fifo;
  }

  String label() {
    return "worker-" + index + (pid > 0 ? " pid " + pid : "");
  }

  /** Launches the JVM; returns at once. The pipe reader connects in the background. */
  void launch(List<String> command, Map<String, String> env, Path workingDir) throws IOException {
    @SuppressWarnings("deprecation") // the builder cannot make a subclass; we need launch() to keep the Process
    DefaultExecutor executor = new DefaultExecutor() {
      @Override
      protected Process launch(CommandLine cmd, Map<String, String> environment, Path dir) throws IOException {
        try {
          Process p = super.launch(cmd, environment, workingDir != null ? workingDir : dir);
          process = p;
          pid = p.pid();
          return p;
        } finally {
          launched.countDown();
        }
      }

      @Override
      protected Thread createThread(Runnable runnable, String name) {
        Thread t = super.createThread(runnable, name);
        t.setDaemon(true); // an application that forgets close() must still be able to exit
        return t;
      }
    };
    executor.setExitValues(null); // every exit code is reported to the handler, none is an "error"
    executor.setStreamHandler(new Streams());
    CommandLine cmd = new CommandLine(command.get(0));
    for (String arg : command.subList(1, command.size())) {
      cmd.addArgument(arg, false);
    }
    executor.execute(cmd, env, new ExecuteResultHandler() {
      @Override
      public void onProcessComplete(int exitValue) {
        exited(exitValue);
      }

      @Override
      public void onProcessFailed(ExecuteException e) {
        exited(e.getExitValue());
      }
    });
    Thread r = new Thread(this::readFrames, "gearbox-" + backend.engineName + "-worker-" + index + "-reader");
    r.setDaemon(true);
    reader = r;
    r.start();
  }

  /** Reads the worker's frames until its pipe ends or breaks. */
  private void readFrames() {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(fifo.toFile()), 1 << 16))) {
      connected = true;
      for (;;) {
        Frame f = Frames.read(in, 2 * backend.codec.maxBytes() + 65_536);
        if (f == null) {
          break;
        }
        backend.frameReceived(f.payload().length);
        switch (f.type()) {
          case Frames.HELLO -> {
            pid = ByteBuffer.wrap(f.payload()).getLong();
            backend.onWorkerReady(this);
          }
          case Frames.STARTED -> {
            backend.onStarted(this, f.taskId());
            Attempt a = inFlight.get(f.taskId());
            if (a != null) {
              a.started();
            }
          }
          case Frames.REVOKED -> backend.onRevoked(this, f.taskId());
          case Frames.PROGRESS -> {
            Attempt a = inFlight.get(f.taskId());
            if (a != null) {
              ByteBuffer b = ByteBuffer.wrap(f.payload());
              double fraction = b.getDouble();
              a.progress(fraction, new String(f.payload(), 8, f.payload().length - 8, StandardCharsets.UTF_8));
            }
          }
          case Frames.OK, Frames.FAIL -> backend.onResult(this, f);
          default -> throw new Frames.ChannelFault("unexpected frame type " + f.type() + " from the worker");
        }
      }
    } catch (Frames.ChannelFault e) {
      channelFault = e.getMessage();
      log.warn("Gearbox: {} sent something that is not a frame ({}); retiring it", label(), e.getMessage());
      kill();
    } catch (IOException e) {
      if (state != State.DEAD) {
        channelFault = "the data channel failed: " + e;
        kill();
      }
    } finally {
      try {
        Files.deleteIfExists(fifo);
      } catch (IOException e) {
        log.debug("Gearbox: cannot delete {}", fifo, e);
      }
    }
  }

  /** Sends a frame to the worker; false if the worker is gone. */
  boolean send(byte type, long taskId, byte[] payload) {
    DataOutputStream out = stdin;
    if (out == null || state == State.DEAD) {
      return false;
    }
    try {
      synchronized (out) {
        Frames.write(out, type, taskId, payload);
        out.flush();
      }
      backend.frameSent(payload.length);
      return true;
    } catch (IOException e) {
      log.debug("Gearbox: {} stopped reading its stdin: {}", label(), e.toString());
      return false;
    }
  }

  /**
   * Asks the worker to finish its running tasks and exit. The caller has set the state to
   * RETIRING under the backend's monitor, so no new task is sent to it.
   */
  void retire(String why) {
    if (plannedExit == null) {
      plannedExit = why;
    }
    awaitLaunch();
    send(Frames.SHUTDOWN, 0, new byte[0]);
    closeStdin();
  }

  /** SIGKILL: the stop ladder's last step, shutdownNow, and channel faults. */
  void kill() {
    awaitLaunch();
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
  }

  /** A worker spawned a moment ago may not have a process yet: wait for commons-exec to start it. */
  private void awaitLaunch() {
    try {
      launched.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Set when the worker did not report ready within the startup timeout and was killed for it. */
  volatile String startupOverdue;

  void killPlanned(String why) {
    if (plannedExit == null) {
      plannedExit = why;
    }
    kill();
  }

  boolean awaitExit(long timeout, TimeUnit unit) throws InterruptedException {
    return gone.await(timeout, unit);
  }

  private void closeStdin() {
    DataOutputStream out = stdin;
    if (out != null) {
      try {
        synchronized (out) {
          out.close();
        }
      } catch (IOException e) {
        log.debug("Gearbox: closing the stdin of {}: {}", label(), e.toString());
      }
    }
  }

  private void exited(int reported) {
    if (!exited.compareAndSet(false, true)) {
      return;
    }
    try {
      launched.countDown();
      int exitValue = reported;
      Process p = process;
      if (reported == org.apache.commons.exec.Executor.INVALID_EXITVALUE && p != null) {
        // commons-exec failed before it read the exit code (a stream error as the process died): ask the process.
        try {
          if (p.waitFor(2, TimeUnit.SECONDS)) {
            exitValue = p.exitValue();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      State was = backend.markDead(this);
      closeStdin();
      if (!connected) {
        // The reader may be blocked opening the pipe for a worker that never will: open the other end.
        try (OutputStream unblock = new FileOutputStream(fifo.toFile())) {
          unblock.flush();
        } catch (IOException e) {
          log.debug("Gearbox: unblocking the pipe of {}: {}", label(), e.toString());
        }
      }
      // Frames the worker wrote before it died are still in the pipe: let the reader deliver them.
      Thread r = reader;
      if (r != null) {
        try {
          r.join(2_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      String reason = plannedExit != null ? plannedExit
          : channelFault != null ? channelFault
          : startupOverdue != null ? startupOverdue
          : was == State.STARTING ? "worker JVM exited with code " + exitValue + " before it was ready"
          : "worker JVM exited with code " + exitValue;
      backend.onWorkerExit(this, exitValue, reason, plannedExit != null, was == State.STARTING);
    } catch (RuntimeException | Error e) {
      log.error("Gearbox: handling the exit of {} failed", label(), e);
    } finally {
      gone.countDown();
    }
  }

  String stderrTail() {
    synchronized (stderrTail) {
      return String.join("\n", stderrTail);
    }
  }

  /** Pumps the worker's stdout and stderr into the log; gives us its stdin. */
  private final class Streams implements ExecuteStreamHandler {
    private InputStream out;
    private InputStream err;
    private Thread outPump;
    private Thread errPump;

    @Override
    public void setProcessInputStream(OutputStream os) {
      stdin = new DataOutputStream(new BufferedOutputStream(os, 1 << 16));
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
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            if (aotLaunch.training() != null && isAotReport(line)) {
              // The JVM narrates writing its AOT cache; that is neither the task's output nor
              // evidence about a crash, so it stays out of the log and out of the crash tail.
              output.debug("[{}] {}", label(), line);
              continue;
            }
            // The tail keeps both streams: the JVM reports some deaths on stdout
            // ("Terminating due to java.lang.OutOfMemoryError").
            synchronized (stderrTail) {
              if (stderrTail.size() == STDERR_TAIL_LINES) {
                stderrTail.removeFirst();
              }
              stderrTail.addLast(isErr ? line : "[stdout] " + line);
            }
            if (isErr) {
              output.warn("[{}] {}", label(), line);
            } else {
              output.info("[{}] {}", label(), line);
            }
          }
        } catch (IOException e) {
          log.debug("Gearbox: output of {} ended: {}", label(), e.toString());
        }
      }, "gearbox-" + backend.engineName + "-worker-" + index + (isErr ? "-stderr" : "-stdout"));
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
}
