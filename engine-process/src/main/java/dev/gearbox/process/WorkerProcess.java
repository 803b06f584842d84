package dev.gearbox.process;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteResultHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker JVM as the engine sees it (the pool's entry, as a connection is to a connection
 * pool): launched and watched by commons-exec; frames to it over its stdin; frames from it over a
 * named pipe of its own, read by one thread and handed to its {@link Listener} one method per frame
 * kind; its output pumped into the log by {@link WorkerOutput}. Threads: the pipe reader, two
 * output pumps, and commons-exec's waiter.
 *
 * <p>State: STARTING (no HELLO yet) -> READY -> RETIRING (takes no new task; leaves when idle) ->
 * DEAD. However it dies, {@link Listener#exited} learns it exactly once, after the reader has
 * delivered every frame the worker wrote.
 *
 * <p>Lock: the fields documented as guarded by the pool's monitor are written only under it.
 * Frames to the worker are serialized on its stdin stream.
 */
final class WorkerProcess implements EngineBound.Handler {
  private static final Logger log = LoggerFactory.getLogger(WorkerProcess.class);

  enum State { STARTING, READY, RETIRING, DEAD }

  /** What the pool hears from a worker. Called on the worker's reader or exit thread: no attempt is reported there. */
  interface Listener {
    /** The worker said HELLO. */
    void ready(WorkerProcess w);

    /** An attempt's outcome arrived (OK or FAIL). */
    void outcome(WorkerProcess w, EngineBound.Outcome outcome);

    /** The worker gave back an unstarted attempt ({@code wire}), or none ({@code wire} 0). */
    void revoked(WorkerProcess w, long wire);

    /** Marks the worker dead, so that no new task goes to it; returns the state it had. */
    State markDead(WorkerProcess w);

    /** The worker's process has ended, however; called once. */
    void exited(WorkerProcess w, int exitCode, String reason, boolean planned, boolean duringStartup);

    /** The codec of elements and causes in channel calls (the backend's). */
    dev.gearbox.spi.Codec channelCodec();

    void frameSent(int payloadBytes);

    void frameReceived(int payloadBytes);
  }

  /** Who owns this worker: its engine's backend, or the {@link WarmWorkers} reserve while parked; see {@link #handOver}. */
  private volatile Listener listener;
  private final String threadPrefix;
  private final int maxFrame;
  final int index;
  /** How this worker was launched with respect to the AOT cache; set before launch. */
  volatile AotCache.Launch aotLaunch = AotCache.Launch.PLAIN;
  final long spawnedNanos = System.nanoTime();
  /** Written only under the pool's monitor; read anywhere. */
  volatile State state = State.STARTING;
  volatile long pid = -1;
  private volatile String label;
  /** Guarded by the pool's monitor. */
  int tasksRun;
  /** Heap in use after its last task, as it reported, or -1. Guarded by the pool's monitor. */
  long heapInUse = -1;
  /** Whether a successor starts as soon as this worker exits (false when it retired for idling). */
  volatile boolean replaceOnExit = true;
  /** A REVOKE was sent and not answered yet; guarded by the pool's monitor. */
  boolean revoking;
  /** When the worker last became idle (nanoTime); guarded by the pool's monitor. */
  long idleSince = System.nanoTime();
  /**
   * Attempts sent to this worker and not yet answered, by wire id. Entries are added and removed
   * only under the pool's monitor; whoever removes one reports it, so each attempt is reported once.
   */
  final Map<Long, WireAttempt> inFlight = new ConcurrentHashMap<>();
  /** The worker's channel calls. */
  final ChannelCalls channels;
  /** Set when the worker did not report ready within the startup timeout and was killed for it. */
  volatile String startupOverdue;

  private final Path fifo;
  private final WorkerOutput output;
  private volatile Process process;
  private volatile DataOutputStream stdin;
  private volatile boolean connected;
  private volatile String plannedExit;
  private volatile String channelFault;
  private final AtomicBoolean exited = new AtomicBoolean();
  private final CountDownLatch gone = new CountDownLatch(1);
  /** Counted down once commons-exec has started the process (or failed to). */
  private final CountDownLatch launched = new CountDownLatch(1);
  private volatile Thread reader;
  /** The reader's short poll for a tiny task's outcome after its STARTED; confined to the reader. */
  private final OutcomeSpin outcomeSpin;

  WorkerProcess(Listener listener, String engineName, int index, Path fifo, int maxPayload) {
    this.listener = listener;
    this.outcomeSpin = OutcomeSpin.forReader();
    this.index = index;
    this.fifo = fifo;
    this.maxFrame = Protocol.maxFrame(maxPayload);
    this.threadPrefix = "gearbox-" + engineName + "-worker-" + index;
    this.label = "worker-" + index;
    this.output = new WorkerOutput(threadPrefix, this::label, () -> aotLaunch.training() != null, out -> stdin = out);
    output.taskMdc(this::mdcOfTask);
    this.channels = new ChannelCalls(this, listener.channelCodec());
  }

  /**
   * The MDC of the tasks that started here lately, by task id: a task's last output lines may be
   * read after its outcome (they come through another pipe), when it is no longer in flight.
   * Bounded; guarded by itself.
   */
  private final Map<Long, Map<String, String>> recentMdc = new java.util.LinkedHashMap<>();
  private static final int RECENT_MDC = 64;

  /** The MDC its submitter gave a task this worker holds or held lately, or an empty map. */
  private Map<String, String> mdcOfTask(long taskId) {
    synchronized (recentMdc) {
      Map<String, String> mdc = recentMdc.get(taskId);
      if (mdc != null) {
        return mdc;
      }
    }
    for (WireAttempt a : inFlight.values()) {
      if (a.attempt.taskId() == taskId) {
        return a.attempt.loggingContext();
      }
    }
    return Map.of();
  }

  /** Who hears this worker now: its engine's backend, or the reserve of warm workers. */
  Listener listener() {
    return listener;
  }

  /**
   * Moves the worker to another owner (into or out of the {@link WarmWorkers} reserve), idle: what
   * the last owner knew of its tasks (their MDC for late output lines) is forgotten. Caller holds
   * the reserve's monitor. Its crash tail is forgotten too: a crash under the new owner does not
   * quote what it printed for the last one.
   */
  void handOver(Listener to) {
    synchronized (recentMdc) {
      recentMdc.clear();
    }
    output.clearTail();
    listener = to;
  }

  /** The worker's named pipe; files beside it in the pool's private directory are the worker's too. */
  Path fifo() {
    return fifo;
  }

  /** The worker as messages name it: {@code worker-3 pid 4242} once it said HELLO. */
  String label() {
    return label;
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
          label = "worker-" + index + " pid " + pid;
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
    executor.setStreamHandler(output);
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
    Thread r = new Thread(this::readFrames, threadPrefix + "-reader");
    r.setDaemon(true);
    reader = r;
    r.start();
  }

  /** Reads the worker's frames until its pipe ends or breaks. */
  private void readFrames() {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(fifo.toFile()), 1 << 16))) {
      connected = true;
      for (;;) {
        outcomeSpin.beforeRead(in);
        Protocol.Raw raw = Protocol.read(in, maxFrame);
        if (raw == null) {
          break;
        }
        listener.frameReceived(raw.payload().length);
        EngineBound.dispatch(EngineBound.decode(raw), this);
      }
    } catch (Protocol.ChannelFault e) {
      channelFault = e.getMessage();
      log.warn("Gearbox: {} sent something that is not a frame ({}); retiring it", label(), e.getMessage());
      kill();
    } catch (IOException e) {
      if (state != State.DEAD) {
        channelFault = "the data channel failed: " + e;
        kill();
      }
    } finally {
      outcomeSpin.close();
      try {
        Files.deleteIfExists(fifo);
      } catch (IOException e) {
        log.debug("Gearbox: cannot delete {}", fifo, e);
      }
    }
  }

  // ---------------------------------------------------------------- frames from the worker (reader thread)

  @Override
  public void hello(EngineBound.Hello hello) {
    pid = hello.pid();
    label = "worker-" + index + " pid " + pid;
    listener.ready(this);
  }

  @Override
  public void started(EngineBound.Started started) {
    WireAttempt a = inFlight.get(started.wire());
    if (a != null && a.worker == this) { // not a late frame about an attempt that has moved on
      a.started = true; // it can no longer move to another worker
      outcomeSpin.started(started.wire());
      Map<String, String> mdc = a.attempt.loggingContext();
      if (!mdc.isEmpty()) {
        synchronized (recentMdc) {
          recentMdc.put(a.attempt.taskId(), mdc);
          if (recentMdc.size() > RECENT_MDC) {
            recentMdc.remove(recentMdc.keySet().iterator().next());
          }
        }
      }
      a.attempt.started();
    }
  }

  @Override
  public void ok(EngineBound.Ok ok) {
    outcomeSpin.outcome(ok.wire());
    listener.outcome(this, ok);
  }

  @Override
  public void fail(EngineBound.Fail fail) {
    outcomeSpin.outcome(fail.wire());
    listener.outcome(this, fail);
  }

  @Override
  public void progress(EngineBound.Progress progress) {
    WireAttempt a = inFlight.get(progress.wire());
    if (a != null) {
      a.attempt.progress(progress.fraction(), progress.message());
    }
  }

  @Override
  public void revoked(EngineBound.Revoked revoked) {
    listener.revoked(this, revoked.wire());
  }

  @Override
  public void channelCall(EngineBound.ChannelCall call) {
    channels.call(call);
  }

  @Override
  public void channelWithdraw(EngineBound.ChannelWithdraw withdraw) {
    channels.withdraw(withdraw);
  }

  @Override
  public void channelAck(EngineBound.ChannelAck ack) {
    channels.ack(ack);
  }

  /** The worker broke the protocol in a way only a frame's meaning shows: retired as for a channel fault. */
  void channelFault(String why) {
    if (channelFault == null) {
      channelFault = why;
    }
    kill();
  }

  // ---------------------------------------------------------------- to the worker

  /** Sends a frame to the worker; false if the worker is gone. */
  boolean send(WorkerBound frame) {
    DataOutputStream out = stdin;
    if (out == null || state == State.DEAD) {
      return false;
    }
    try {
      synchronized (out) {
        frame.write(out);
        out.flush();
      }
      listener.frameSent(frame.payloadLength());
      return true;
    } catch (IOException e) {
      log.debug("Gearbox: {} stopped reading its stdin: {}", label(), e.toString());
      return false;
    }
  }

  /**
   * Asks the worker to finish its running tasks and exit. The caller has set the state to
   * RETIRING under the pool's monitor, so no new task is sent to it.
   */
  void retire(String why) {
    if (plannedExit == null) {
      plannedExit = why;
    }
    awaitLaunch();
    send(WorkerBound.Shutdown.INSTANCE);
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
      State was = listener.markDead(this);
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
      listener.exited(this, exitValue, reason, plannedExit != null, was == State.STARTING);
    } catch (RuntimeException | Error e) {
      log.error("Gearbox: handling the exit of {} failed", label(), e);
    } finally {
      gone.countDown();
    }
  }

  /** The worker's last output lines, for crash reports. */
  String stderrTail() {
    return output.tail();
  }
}
