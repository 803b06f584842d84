package dev.gearbox.process;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Timer;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.gearbox.BackendCapabilities;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.PoisonTaskException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.WorkerEvent;
import dev.gearbox.process.Frames.Frame;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.Work;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks in forked worker JVMs.
 *
 * <h2>Design</h2>
 * A fixed number of worker slots, each holding at most one live {@link WorkerProcess}; each
 * worker runs up to {@code concurrency} tasks at once, so the engine's parallelism is
 * {@code workers x concurrency}. {@link #start} serializes the task in the submitting thread and
 * sends it to the least-loaded ready worker, or parks it until a worker is ready (only while
 * workers are starting or being replaced). Results arrive on a worker's pipe-reader thread and
 * are decoded and reported on the results thread, never on the reader, because reporting runs the
 * caller's callbacks.
 *
 * <p>A worker that exits unplanned fails exactly the attempts it held with a
 * {@link WorkerCrashedException} (exit code or signal, stderr tail); the engine retries them if
 * their policy says so; a replacement starts at once. A task that crashes its worker
 * {@code poison-threshold} times in a row fails with {@link PoisonTaskException} instead.
 * Workers are recycled (replaced after an orderly exit) after {@code max-tasks-per-worker}
 * tasks or when their heap after a task exceeds {@code recycle-heap}.
 *
 * <p>Lock: {@code this} guards the worker slots and the parked attempts. No frame is written and
 * no attempt reported while holding it.
 */
final class ProcessBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class);

  final String engineName;
  final Codec codec;
  private final ProcessConfig config;
  private final BackendSettings settings;
  private final Path runDir;
  private final WorkerProcess[] slots;
  private final ArrayDeque<Pending> parked = new ArrayDeque<>();
  private final Map<Long, Integer> crashesInARow = new ConcurrentHashMap<>();
  private final ExecutorService results;
  private volatile boolean shutdown;
  private int nextWorkerIndex;
  private int startupFailuresInARow;

  private final Counter workersStarted;
  private final Counter workersCrashed;
  private final Counter workersRecycled;
  private final Counter bytesSent;
  private final Counter bytesReceived;
  private final Counter framesSent;
  private final Counter framesReceived;
  private final Timer startupTime;

  /** An attempt waiting for a worker, with its encoded RUN payload. */
  private record Pending(Attempt attempt, byte[] payload, ProcessExecution execution) {}

  ProcessBackend(ProcessConfig config, BackendSettings settings) {
    this.engineName = settings.engineName();
    this.config = config;
    this.settings = settings;
    this.codec = new Codec(config.maxPayload(), config.serialFilter());
    this.slots = new WorkerProcess[config.workers()];
    // Reporting runs the caller's dependent actions, which may block (even on another task's
    // result): the pool grows while they do, so one blocked callback never stalls the others.
    this.results = new ThreadPoolExecutor(1, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat("gearbox-" + engineName + "-process-results-%d").build());
    this.workersStarted = settings.metrics().counter(settings.metricName("process.workers-started"));
    this.workersCrashed = settings.metrics().counter(settings.metricName("process.workers-crashed"));
    this.workersRecycled = settings.metrics().counter(settings.metricName("process.workers-recycled"));
    this.bytesSent = settings.metrics().counter(settings.metricName("process.bytes-sent"));
    this.bytesReceived = settings.metrics().counter(settings.metricName("process.bytes-received"));
    this.framesSent = settings.metrics().counter(settings.metricName("process.frames-sent"));
    this.framesReceived = settings.metrics().counter(settings.metricName("process.frames-received"));
    this.startupTime = settings.metrics().timer(settings.metricName("process.worker-startup"));
    settings.metrics().remove(settings.metricName("process.live-workers"));
    settings.metrics().register(settings.metricName("process.live-workers"), (Gauge<Integer>) this::liveWorkers);
    try {
      this.runDir = Files.createTempDirectory("gearbox-" + engineName + "-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new EngineConfigException(null, "cannot create a private directory for worker pipes: " + e);
    }
  }

  /** Starts the first workers and waits until they answer, so bad JVM options fail at open. */
  void prestart() {
    List<WorkerProcess> started = new ArrayList<>();
    synchronized (this) {
      for (int i = 0; i < Math.min(config.prestart(), slots.length); i++) {
        started.add(spawnLocked(i));
      }
    }
    long deadline = System.nanoTime() + config.startupTimeout().toNanos();
    for (WorkerProcess w : started) {
      while (w.state == WorkerProcess.State.STARTING && System.nanoTime() < deadline) {
        try {
          w.awaitExit(5, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (w.state != WorkerProcess.State.READY) {
        String tail = w.stderrTail();
        shutdownNow();
        try {
          awaitTermination(config.startupTimeout());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        removeRunDir();
        throw new EngineConfigException(ProcessBackendProvider.JVM_OPTIONS, "the process backend's first worker "
            + (w.state == WorkerProcess.State.STARTING ? "did not answer within " + config.startupTimeout().toMillis() + " ms"
                : "exited during startup") + ". Command: " + String.join(" ", config.command(runDir.resolve("pipe"), "worker", codec))
            + (tail.isBlank() ? "" : "\nworker stderr:\n" + tail));
      }
    }
  }

  @Override
  public BackendCapabilities capabilities() {
    return new BackendCapabilities(true, true, true, false, true);
  }

  @Override
  public int parallelism() {
    return slots.length * config.concurrency();
  }

  /** Serializes the task at submit: rejects what cannot cross, and keeps the bytes for every attempt. */
  @Override
  public Object prepare(Work work) {
    try {
      return codec.serialize(work);
    } catch (java.io.NotSerializableException e) {
      throw new RejectedExecutionException("the task cannot be sent to a worker process: it is, or captures, an object of class "
          + e.getMessage() + ", which is not Serializable. Make it Serializable, capture only serializable values, or"
          + " use an in-process backend (thread, async)", e);
    } catch (IOException e) {
      throw new RejectedExecutionException("the task cannot be sent to a worker process: " + e.getMessage(), e);
    }
  }

  @Override
  public Execution start(Attempt attempt) {
    if (shutdown) {
      throw new RejectedExecutionException("the process backend is shut down");
    }
    byte[] payload = encodeRun(attempt);
    ProcessExecution ex = new ProcessExecution(attempt);
    dispatch(new Pending(attempt, payload, ex));
    return ex;
  }

  private byte[] encodeRun(Attempt attempt) {
    byte[] work;
    try {
      work = attempt.prepared() instanceof byte[] bytes ? bytes : codec.serialize(attempt.work());
    } catch (IOException e) {
      throw new RejectedExecutionException("task " + attempt.taskName() + " cannot be serialized: " + e.getMessage(), e);
    }
    byte[] name = attempt.taskName().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + name.length + work.length).putInt(attempt.number()).putInt(name.length)
        .put(name).put(work).array();
  }

  /** Sends to the least-loaded ready worker, or parks the attempt until one is ready. */
  private void dispatch(Pending p) {
    WorkerProcess target;
    synchronized (this) {
      target = pickLocked();
      if (target == null) {
        parked.add(p);
        ensureWorkersLocked();
        return;
      }
      target.inFlight.put(p.attempt.taskId(), p.attempt);
      p.execution.worker = target;
    }
    if (!target.send(Frames.RUN, p.attempt.taskId(), p.payload)) {
      // The worker died between picking and sending: its exit handler fails what it held.
      log.debug("Gearbox: {} was gone before task {} reached it", target.label(), p.attempt.taskName());
    }
  }

  private WorkerProcess pickLocked() {
    WorkerProcess best = null;
    for (WorkerProcess w : slots) {
      if (w != null && w.state == WorkerProcess.State.READY && w.inFlight.size() < config.concurrency()
          && (best == null || w.inFlight.size() < best.inFlight.size())) {
        best = w;
      }
    }
    return best;
  }

  /** Starts workers in empty slots (lazily after open, or to replace one). */
  private void ensureWorkersLocked() {
    if (shutdown) {
      return;
    }
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] == null) {
        spawnLocked(i);
      }
    }
  }

  private WorkerProcess spawnLocked(int slot) {
    int index = ++nextWorkerIndex;
    Path fifo = runDir.resolve("w" + index + ".pipe");
    WorkerProcess w = new WorkerProcess(this, index, fifo);
    slots[slot] = w;
    try {
      Process mk = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).redirectErrorStream(true).start();
      String out = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (mk.waitFor() != 0) {
        throw new IOException("mkfifo failed: " + out.strip());
      }
      w.launch(config.command(fifo, "worker-" + index, codec), config.environment(), config.workingDir());
      workersStarted.inc();
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      slots[slot] = null;
      throw new EngineException(-1, null, "cannot start a worker JVM: " + e.getMessage(), e);
    }
    return w;
  }

  // ---------------------------------------------------------------- events from workers

  void onWorkerReady(WorkerProcess w) {
    startupTime.update(System.nanoTime() - w.spawnedNanos, TimeUnit.NANOSECONDS);
    synchronized (this) {
      startupFailuresInARow = 0;
    }
    settings.workerStarted(new WorkerEvent(engineName, w.label(), "ready after "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - w.spawnedNanos) + " ms", null));
    drainParked();
  }

  private void drainParked() {
    for (;;) {
      Pending p;
      synchronized (this) {
        if (parked.isEmpty() || pickLocked() == null) {
          return;
        }
        p = parked.poll();
      }
      if (p.execution.interrupted) {
        p.attempt.lost(new EngineException(p.attempt.taskId(), p.attempt.taskName(), "cancelled before a worker took it", null));
        continue;
      }
      dispatch(p);
    }
  }

  void onResult(WorkerProcess w, Attempt a, Frame f) {
    crashesInARow.remove(a.taskId());
    long heap = ByteBuffer.wrap(f.payload()).getLong();
    Runnable report = () -> {
      try {
        if (f.type() == Frames.OK) {
          a.succeeded(codec.deserialize(new java.io.ByteArrayInputStream(f.payload(), 8, f.payload().length - 8)));
        } else {
          a.failed(codec.decodeFailure(f.payload(), 8));
        }
      } catch (IOException | ClassNotFoundException | RuntimeException e) {
        a.failed(new EngineException(a.taskId(), a.taskName(), "its result could not be read back from "
            + w.label() + ": " + e, e));
      }
    };
    try {
      results.execute(report);
    } catch (RejectedExecutionException e) {
      report.run(); // after shutdown: only late answers of cancelled tasks, whose futures are complete
    }
    String why = null;
    if (config.maxTasksPerWorker() > 0 && w.tasksRun >= config.maxTasksPerWorker()) {
      why = "recycled after " + w.tasksRun + " tasks (gearbox.process.max-tasks-per-worker)";
    } else if (config.recycleHeapBytes() > 0 && heap > config.recycleHeapBytes()) {
      why = "recycled: heap in use " + heap / (1024 * 1024) + " MB after a task exceeds gearbox.process.recycle-heap";
    }
    if (why != null && w.state == WorkerProcess.State.READY) {
      w.state = WorkerProcess.State.RETIRING;
      retireWhenIdle(w, why);
    } else if (w.state == WorkerProcess.State.RETIRING) {
      retireWhenIdle(w, null);
    }
    drainParked();
  }

  private void retireWhenIdle(WorkerProcess w, String why) {
    if (w.inFlight.isEmpty()) {
      w.retire(why != null ? why : "recycled");
    }
  }

  /** Called once per worker, however it ended. */
  void onWorkerExit(WorkerProcess w, int exitCode, String reason, boolean planned, boolean duringStartup) {
    List<Attempt> held = new ArrayList<>(w.inFlight.values());
    w.inFlight.clear();
    boolean respawn;
    synchronized (this) {
      for (int i = 0; i < slots.length; i++) {
        if (slots[i] == w) {
          slots[i] = null;
        }
      }
      if (duringStartup && !planned) {
        startupFailuresInARow++;
      }
      respawn = !shutdown && startupFailuresInARow < 3;
    }
    String tail = w.stderrTail();
    if (planned && held.isEmpty()) {
      workersRecycled.inc();
      settings.workerRecycled(new WorkerEvent(engineName, w.label(), reason, null));
    } else {
      workersCrashed.inc();
      settings.workerCrashed(new WorkerEvent(engineName, w.label(), reason + " (exit code " + exitCode + ")", null));
      if (!shutdown) {
        log.warn("Gearbox: {} died: {} (exit code {}); failing the {} task(s) it held{}", w.label(), reason, exitCode,
            held.size(), tail.isBlank() ? "" : "; stderr tail:\n" + tail);
      }
    }
    for (Attempt a : held) {
      WorkerCrashedException crash = new WorkerCrashedException(a.taskId(), a.taskName(), w.label(), reason, exitCode, tail, null);
      int crashes = crashesInARow.merge(a.taskId(), 1, Integer::sum);
      if (crashes >= config.poisonThreshold()) {
        crashesInARow.remove(a.taskId());
        a.lost(new PoisonTaskException(a.taskId(), a.taskName(), crashes, crash));
      } else {
        a.lost(crash);
      }
    }
    synchronized (this) {
      if (respawn && (!parked.isEmpty() || config.prestart() > 0)) {
        ensureWorkersLocked();
      } else if (!respawn && !shutdown && !parked.isEmpty()) {
        failParkedLocked("workers fail to start: " + reason + (tail.isBlank() ? "" : "; stderr:\n" + tail));
      }
    }
  }

  private void failParkedLocked(String why) {
    List<Pending> all = new ArrayList<>(parked);
    parked.clear();
    startupFailuresInARow = 0; // the next task tries again
    Runnable fail = () -> all.forEach(p -> p.attempt.lost(new EngineException(p.attempt.taskId(), p.attempt.taskName(), why, null)));
    try {
      results.execute(fail);
    } catch (RejectedExecutionException e) {
      fail.run();
    }
  }

  void frameSent(int payloadBytes) {
    framesSent.inc();
    bytesSent.inc(payloadBytes + Frames.HEADER_BYTES);
  }

  void frameReceived(int payloadBytes) {
    framesReceived.inc();
    bytesReceived.inc(payloadBytes + Frames.HEADER_BYTES);
  }

  private int liveWorkers() {
    int n = 0;
    for (WorkerProcess w : slots) {
      if (w != null && w.state != WorkerProcess.State.DEAD) {
        n++;
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void shutdown() {
    List<WorkerProcess> live;
    synchronized (this) {
      shutdown = true;
      live = liveLocked();
    }
    for (WorkerProcess w : live) {
      w.retire("engine shut down");
    }
    results.shutdown();
  }

  /**
   * The engine has interrupted every running task already (CANCEL frames): ask the workers to
   * exit once their tasks return, and kill the ones still alive after {@code gearbox.cancel.grace}.
   */
  @Override
  public void shutdownNow() {
    List<WorkerProcess> live;
    List<Pending> left;
    synchronized (this) {
      shutdown = true;
      live = liveLocked();
      left = new ArrayList<>(parked);
      parked.clear();
    }
    for (WorkerProcess w : live) {
      w.retire("engine shut down now");
    }
    if (!live.isEmpty()) {
      Thread killer = new Thread(() -> {
        long deadline = System.nanoTime() + settings.cancelGrace().toNanos();
        for (WorkerProcess w : live) {
          try {
            if (!w.awaitExit(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
              w.killPlanned("engine shut down now; the worker did not exit within gearbox.cancel.grace");
            }
          } catch (InterruptedException e) {
            w.kill();
          }
        }
      }, "gearbox-" + engineName + "-process-reaper");
      killer.setDaemon(true);
      killer.start();
    }
    for (Pending p : left) {
      p.attempt.lost(new EngineException(p.attempt.taskId(), p.attempt.taskName(), "the process backend shut down before a worker took it", null));
    }
    results.shutdown();
  }

  private List<WorkerProcess> liveLocked() {
    List<WorkerProcess> live = new ArrayList<>();
    for (WorkerProcess w : slots) {
      if (w != null) {
        live.add(w);
      }
    }
    return live;
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<WorkerProcess> live;
    synchronized (this) {
      live = liveLocked();
    }
    for (WorkerProcess w : live) {
      if (!w.awaitExit(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    boolean done = results.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (done) {
      removeRunDir();
    }
    return done;
  }

  /** Deletes the private directory of worker pipes. */
  private void removeRunDir() {
    try (var files = Files.list(runDir)) {
      files.forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      log.debug("Gearbox: cleaning {}: {}", runDir, e.toString());
    }
    runDir.toFile().delete();
  }

  /** The stop ladder's handle: CANCEL frame to interrupt, SIGKILL to kill. */
  private final class ProcessExecution implements Execution {
    private final Attempt attempt;
    volatile WorkerProcess worker;
    volatile boolean interrupted;

    ProcessExecution(Attempt attempt) {
      this.attempt = attempt;
    }

    @Override
    public void cancel() {
      WorkerProcess w = worker;
      if (w != null) {
        w.send(Frames.CANCEL, attempt.taskId(), new byte[] {0});
      }
    }

    @Override
    public void interrupt() {
      interrupted = true;
      WorkerProcess w = worker;
      if (w != null) {
        w.send(Frames.CANCEL, attempt.taskId(), new byte[] {1});
      } else {
        boolean removed;
        synchronized (ProcessBackend.this) {
          removed = parked.removeIf(p -> p.attempt == attempt);
        }
        if (removed) {
          attempt.lost(new EngineException(attempt.taskId(), attempt.taskName(), "cancelled before a worker took it", null));
        }
      }
    }

    @Override
    public boolean kill() {
      WorkerProcess w = worker;
      if (w == null || !w.inFlight.containsKey(attempt.taskId())) {
        return false;
      }
      w.killPlanned("killed by the engine: task " + attempt.taskName() + " did not stop within gearbox.cancel.grace after"
          + " its interrupt");
      return true;
    }
  }
}
