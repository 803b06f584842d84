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
import dev.gearbox.spi.remote.SerialCodec;
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
  /** How long an idle worker that trains the AOT cache may take to exit (it writes the cache then). */
  private static final Duration AOT_TRAINING_EXIT = Duration.ofSeconds(20);
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class);

  private final AotCache aot;

  final String engineName;
  final SerialCodec codec;
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
  private String lastStartupFailure = "";

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

  /**
   * Attempts sent to a worker that has not said STARTED yet, by wire id: the ones a worker may
   * hold prefetched. Such an attempt never ran, so when its worker dies it goes to another worker
   * without counting as a crash, and when another worker idles it is revoked and moved there.
   * Entries are added under the monitor; removed on STARTED, on the result, on revocation, on exit.
   */
  private final Map<Long, Pending> unstarted = new ConcurrentHashMap<>();
  /** A task whose worker died before it started goes to another worker at most this often. */
  private static final int MAX_UNSTARTED_MOVES = 3;

  private final java.util.concurrent.atomic.AtomicLong wireIds = new java.util.concurrent.atomic.AtomicLong();

  ProcessBackend(ProcessConfig config, BackendSettings settings) {
    this.engineName = settings.engineName();
    this.config = config;
    this.settings = settings;
    this.codec = SerialCodec.create(config.maxPayload(), config.serialFilter(), ProcessBackendProvider.MAX_PAYLOAD,
        ProcessBackendProvider.SERIAL_FILTER);
    this.slots = new WorkerProcess[config.workers()];
    this.aot = AotCache.of(config.aotCache(), config.java(), config.classpath(), config.jvmFlags());
    if (aot.enabled()) {
      log.debug("Gearbox {}: workers start from the AOT cache {}{}", engineName, aot.file(),
          java.nio.file.Files.isRegularFile(aot.file()) ? "" : " (the first worker trains it)");
    } else {
      log.debug("Gearbox {}: no AOT cache for workers: {}", engineName, aot.why());
    }
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

  /**
   * Retires workers beyond {@code prestart} that have been idle for {@code idle-timeout}; they are
   * started again on demand. Runs on a daemon thread only when an idle timeout is configured.
   */
  private void startIdleReaper() {
    if (config.idleTimeout().isZero() || config.prestart() >= slots.length) {
      return;
    }
    long idleNanos = config.idleTimeout().toNanos();
    Thread t = new Thread(() -> {
      while (!shutdown) {
        List<WorkerProcess> retire = new ArrayList<>();
        synchronized (this) {
          // A retiring worker is already on its way out (it can take a while to exit): counting
          // it would let the next pass retire the pool below prestart.
          int live = 0;
          for (WorkerProcess w : slots) {
            if (w != null && (w.state == WorkerProcess.State.READY || w.state == WorkerProcess.State.STARTING)) {
              live++;
            }
          }
          long now = System.nanoTime();
          for (WorkerProcess w : slots) {
            if (live > config.prestart() && parked.isEmpty() && w != null && w.state == WorkerProcess.State.READY
                && w.inFlight.isEmpty()
                && now - w.idleSince > idleNanos) {
              w.state = WorkerProcess.State.RETIRING;
              w.replaceOnExit = false;
              retire.add(w);
              live--;
            }
          }
        }
        retire.forEach(w -> w.retire("idle for more than " + config.idleTimeout().toMillis() + " ms (gearbox.process.idle-timeout)"));
        try {
          Thread.sleep(Math.max(50, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(idleNanos) / 4)));
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "gearbox-" + engineName + "-process-idle");
    t.setDaemon(true);
    t.start();
  }

  /** Starts the first workers and waits until they answer, so bad JVM options fail at open. */
  void prestart() {
    startIdleReaper();
    List<WorkerProcess> started = new ArrayList<>();
    try {
      synchronized (this) {
        for (int i = 0; i < Math.min(config.prestart(), slots.length); i++) {
          started.add(spawnLocked(i));
        }
      }
    } catch (EngineException e) {
      abandonStartup();
      throw new EngineConfigException(ProcessBackendProvider.JAVA, e.getMessage());
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
      WorkerProcess.State state = w.state;
      if (state != WorkerProcess.State.READY) {
        String tail = w.stderrTail();
        abandonStartup();
        throw new EngineConfigException(ProcessBackendProvider.JVM_OPTIONS, "the process backend's first worker "
            + (state == WorkerProcess.State.STARTING ? "did not answer within " + config.startupTimeout().toMillis() + " ms"
                : "exited during startup") + ". Command: " + String.join(" ", config.command(runDir.resolve("pipe"), "worker", codec))
            + (tail.isBlank() ? "" : "\nworker output:\n" + tail));
      }
    }
  }

  /** Undoes a failed open: no worker, thread or pipe is left behind. */
  private void abandonStartup() {
    shutdownNow();
    try {
      awaitTermination(config.startupTimeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    removeRunDir();
  }

  @Override
  public BackendCapabilities capabilities() {
    return new BackendCapabilities(true, true, true, false, true);
  }

  @Override
  public int parallelism() {
    return slots.length * config.concurrency();
  }

  /** Each worker may hold {@code prefetch} tasks beyond those it runs: the next one is there when one ends. */
  @Override
  public int prefetch() {
    return slots.length * config.prefetch();
  }

  /** Serializes the task at submit: rejects what cannot cross, and keeps the bytes for every attempt. */
  @Override
  public Object prepare(Work work) {
    try {
      return codec.encode(work);
    } catch (java.io.NotSerializableException e) {
      throw new RejectedExecutionException("the task cannot be sent to a worker process: it is, or captures, an object of class "
          + e.getMessage() + ", which is not Serializable. Make it Serializable, capture only serializable values, or"
          + " use an in-process backend (thread, async)", e);
    } catch (IOException | RuntimeException e) {
      throw new RejectedExecutionException("the task cannot be sent to a worker process: " + e, e);
    }
  }

  @Override
  public Execution start(Attempt attempt) {
    if (shutdown) {
      throw new RejectedExecutionException("the process backend is shut down");
    }
    long wireId = wireIds.incrementAndGet();
    ProcessExecution ex = new ProcessExecution(attempt, wireId);
    dispatch(new Pending(attempt, encodeRun(attempt), ex));
    return ex;
  }

  private byte[] encodeRun(Attempt attempt) {
    byte[] work;
    try {
      work = attempt.prepared() instanceof byte[] bytes ? bytes : codec.encode(attempt.work());
    } catch (IOException e) {
      throw new RejectedExecutionException("task " + attempt.taskName() + " cannot be serialized: " + e.getMessage(), e);
    }
    byte[] name = attempt.taskName().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(16 + name.length + work.length).putLong(attempt.taskId()).putInt(attempt.number())
        .putInt(name.length).put(name).put(work).array();
  }

  /** Sends to the least-loaded ready worker, or parks the attempt until one is ready. */
  private void dispatch(Pending p) {
    List<Pending> toSend = new ArrayList<>(1);
    List<Pending> toFail = new ArrayList<>(1);
    synchronized (this) {
      assignLocked(p, toSend, toFail);
    }
    sendAll(toSend);
    failAll(toFail, "cancelled before a worker took it");
  }

  /** Assigns an attempt to a worker, parks it, or marks it for failure. Caller holds the monitor. */
  private void assignLocked(Pending p, List<Pending> toSend, List<Pending> toFail) {
    if (p.execution.interrupted || shutdown) {
      toFail.add(p);
      return;
    }
    WorkerProcess target = pickLocked();
    if (target == null) {
      parked.add(p);
      ensureWorkersLocked();
      return;
    }
    target.inFlight.put(p.execution.wireId, p.attempt);
    unstarted.put(p.execution.wireId, p);
    p.execution.worker = target;
    target.idleSince = Long.MAX_VALUE;
    toSend.add(p);
  }

  private void sendAll(List<Pending> sends) {
    for (Pending p : sends) {
      WorkerProcess w = p.execution.worker;
      if (!w.send(Frames.RUN, p.execution.wireId, p.payload)) {
        // The worker is dying: its exit handler drains inFlight (this attempt included) and reports.
        log.debug("Gearbox: {} was gone before task {} reached it", w.label(), p.attempt.taskName());
        continue;
      }
      if (p.execution.interrupted) {
        w.send(Frames.CANCEL, p.execution.wireId, new byte[] {1});
      } else if (p.execution.cancelled) {
        w.send(Frames.CANCEL, p.execution.wireId, new byte[] {0});
      }
    }
  }

  /** Reports attempts that will not run, on the results pool (never on a reader thread). */
  private void failAll(List<Pending> fails, String why) {
    if (fails.isEmpty()) {
      return;
    }
    report(() -> fails.forEach(p -> p.attempt.lost(new EngineException(p.attempt.taskId(), p.attempt.taskName(),
        shutdown ? "the process backend shut down before a worker took it" : why, null))));
  }

  /** Runs a report on the results pool; inline only when the pool is gone (engine terminated). */
  private void report(Runnable r) {
    try {
      results.execute(r);
    } catch (RejectedExecutionException e) {
      r.run();
    }
  }

  /**
   * The least-loaded ready worker that can run the task now; else, when every slot has a ready
   * worker running all it can, the least-loaded one with prefetch room; else null (the task
   * parks until a worker starts or frees up).
   */
  private WorkerProcess pickLocked() {
    WorkerProcess free = null;
    WorkerProcess room = null;
    boolean allReady = true;
    for (WorkerProcess w : slots) {
      if (w == null || w.state != WorkerProcess.State.READY) {
        allReady = false;
        continue;
      }
      int n = w.inFlight.size();
      if (n < config.concurrency()) {
        if (free == null || n < free.inFlight.size()) {
          free = w;
        }
      } else if (n < config.concurrency() + config.prefetch() && (room == null || n < room.inFlight.size())) {
        room = w;
      }
    }
    return free != null ? free : allReady ? room : null;
  }

  /** Starts workers in empty slots (lazily after open, or to replace one); fails parked work if none can start. */
  private void ensureWorkersLocked() {
    if (shutdown) {
      return;
    }
    if (startupFailuresInARow >= 3) {
      // Workers keep dying on their own before they are ready: fail what waits, so nothing hangs;
      // the next task tries again.
      failParkedLocked("worker JVMs keep failing to start: " + lastStartupFailure);
      return;
    }
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] == null) {
        try {
          spawnLocked(i);
        } catch (EngineException e) {
          log.warn("Gearbox: {}", e.getMessage());
          startupFailuresInARow++;
          lastStartupFailure = e.getMessage();
        }
      }
    }
    if (liveWorkers() == 0 && !parked.isEmpty()) {
      failParkedLocked("no worker JVM can be started (see the log)");
    }
  }

  private WorkerProcess spawnLocked(int slot) {
    int index = ++nextWorkerIndex;
    Path fifo = runDir.resolve("w" + index + ".pipe");
    WorkerProcess w = new WorkerProcess(this, index, fifo);
    try {
      Process mk = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).redirectErrorStream(true).start();
      String out = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (waitUninterruptibly(mk) != 0) {
        throw new IOException("mkfifo failed: " + out.strip());
      }
      w.aotLaunch = aot.nextLaunch();
      w.launch(config.command(fifo, "worker-" + index, codec, w.aotLaunch.flags()), config.environment(), config.workingDir());
    } catch (IOException | RuntimeException e) {
      throw new EngineException(-1, null, "cannot start a worker JVM: " + e.getMessage(), e);
    }
    slots[slot] = w;
    workersStarted.inc();
    // A worker that never reports ready would hold the tasks parked for it forever: kill it at
    // the startup timeout, which counts as a failure to start.
    java.util.concurrent.CompletableFuture.delayedExecutor(config.startupTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .execute(() -> startupDeadline(w));
    return w;
  }

  private void startupDeadline(WorkerProcess w) {
    synchronized (this) {
      if (w.state != WorkerProcess.State.STARTING || shutdown) {
        return;
      }
      w.startupOverdue = "worker JVM did not report ready within " + config.startupTimeout().toMillis()
          + " ms (" + ProcessBackendProvider.STARTUP_TIMEOUT + ")";
    }
    log.warn("Gearbox: {}: {}; killing it", w.label(), w.startupOverdue);
    w.kill();
  }

  private static int waitUninterruptibly(Process p) {
    boolean interrupted = false;
    try {
      for (;;) {
        try {
          return p.waitFor();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------- events from workers

  void onWorkerReady(WorkerProcess w) {
    boolean ready;
    synchronized (this) {
      ready = w.state == WorkerProcess.State.STARTING;
      if (ready) {
        w.state = WorkerProcess.State.READY; // not if it was retired or killed meanwhile
        w.idleSince = System.nanoTime(); // idle from now: the idle reaper must not take it before its first task
        startupFailuresInARow = 0;
      }
    }
    if (!ready) {
      return;
    }
    startupTime.update(System.nanoTime() - w.spawnedNanos, TimeUnit.NANOSECONDS);
    settings.workerStarted(new WorkerEvent(engineName, w.label(), "ready after "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - w.spawnedNanos) + " ms", null));
    drainParked();
    report(() -> revokeFor(w)); // a replacement may come up while another worker holds a task
  }

  /** Gives parked attempts to ready workers. */
  private void drainParked() {
    List<Pending> toSend = new ArrayList<>();
    List<Pending> toFail = new ArrayList<>();
    synchronized (this) {
      while (!parked.isEmpty() && pickLocked() != null) {
        assignLocked(parked.poll(), toSend, toFail);
      }
    }
    sendAll(toSend);
    failAll(toFail, "cancelled before a worker took it");
  }

  /** A result frame; the attempt is reported only if the exit handler has not claimed it already. */
  void onResult(WorkerProcess w, Frame f) {
    Attempt a;
    String retireWhy = null;
    boolean retireNow;
    boolean drain;
    boolean mayRevoke;
    long heap = ByteBuffer.wrap(f.payload()).getLong();
    synchronized (this) {
      a = w.inFlight.remove(f.taskId());
      if (a == null) {
        return;
      }
      unstarted.remove(f.taskId());
      w.tasksRun++;
      if (w.state == WorkerProcess.State.READY) {
        if (config.maxTasksPerWorker() > 0 && w.tasksRun >= config.maxTasksPerWorker()) {
          retireWhy = "recycled after " + w.tasksRun + " tasks (gearbox.process.max-tasks-per-worker)";
        } else if (config.recycleHeapBytes() > 0 && heap > config.recycleHeapBytes()) {
          retireWhy = "recycled: heap in use " + heap / (1024 * 1024) + " MB after a task exceeds gearbox.process.recycle-heap";
        }
        if (retireWhy != null) {
          w.state = WorkerProcess.State.RETIRING;
        }
      }
      retireNow = w.state == WorkerProcess.State.RETIRING && w.inFlight.isEmpty();
      if (w.inFlight.isEmpty()) {
        w.idleSince = System.nanoTime();
      }
      // Attempts park only under this monitor, after finding no free worker: any parked now saw
      // this worker full, and may take the slot just freed.
      drain = !parked.isEmpty();
      // A revoke check is only worth a trip to the results pool when this worker is now idle and
      // another holds a task it has not started (revokeFor looks again once the report is done).
      mayRevoke = config.prefetch() > 0 && w.inFlight.isEmpty() && holdsUnstartedLocked(w);
    }
    crashesInARow.remove(a.taskId());
    Attempt attempt = a;
    report(() -> {
      try {
        if (f.type() == Frames.OK) {
          attempt.succeeded(codec.decode(f.payload(), 8));
        } else {
          attempt.failed(codec.decodeFailure(f.payload(), 8));
        }
      } catch (IOException | ClassNotFoundException | RuntimeException | LinkageError e) {
        attempt.failed(new EngineException(attempt.taskId(), attempt.taskName(), "its result could not be read back from "
            + w.label() + ": " + dev.gearbox.spi.remote.Payloads.whyUnreadable(e), e));
      }
    });
    if (mayRevoke) {
      // Separately, so that a caller's callback run by the report above cannot hold it up.
      report(() -> revokeFor(w));
    }
    if (retireNow) {
      w.retire(retireWhy != null ? retireWhy : "recycled");
    }
    if (drain) {
      drainParked();
    }
  }

  /**
   * {@code idle} has nothing to do while another worker holds a task it has not started: asks
   * that worker for one back (REVOKE), so the last tasks of a run do not wait behind a busy
   * worker. A worker holds a task exactly when it has more in flight than it runs at once; it
   * answers with the task it gave back, or with wire id 0 when all had started meanwhile.
   */
  private void revokeFor(WorkerProcess idle) {
    if (config.prefetch() == 0) {
      return;
    }
    WorkerProcess holder = null;
    synchronized (this) {
      if (shutdown || idle.state != WorkerProcess.State.READY || !idle.inFlight.isEmpty() || !parked.isEmpty()) {
        return;
      }
      for (WorkerProcess w : slots) {
        if (w != idle && holdsUnstarted(w) && !w.revoking) {
          w.revoking = true;
          holder = w;
          break;
        }
      }
    }
    if (holder != null) {
      holder.send(Frames.REVOKE, 0, new byte[0]);
    }
  }

  /** Whether a ready worker other than {@code idle} holds a task it has not started. Caller holds the monitor. */
  private boolean holdsUnstartedLocked(WorkerProcess idle) {
    for (WorkerProcess w : slots) {
      if (w != idle && holdsUnstarted(w)) {
        return true;
      }
    }
    return false;
  }

  /** A ready worker holds an unstarted task exactly when it has more in flight than it runs at once. Caller holds the monitor. */
  private boolean holdsUnstarted(WorkerProcess w) {
    return w != null && w.state == WorkerProcess.State.READY && w.inFlight.size() > config.concurrency();
  }

  /** A worker answered REVOKE: the task it gave back, unstarted, goes to the least-loaded worker (on the results pool). */
  void onRevoked(WorkerProcess w, long wire) {
    Pending p = null;
    boolean retire;
    synchronized (this) {
      w.revoking = false;
      Pending candidate = wire == 0 ? null : unstarted.get(wire);
      if (candidate != null && candidate.execution.worker == w && w.inFlight.remove(wire) != null) {
        unstarted.remove(wire);
        candidate.execution.worker = null;
        p = candidate;
      }
      retire = w.state == WorkerProcess.State.RETIRING && w.inFlight.isEmpty();
    }
    if (retire) {
      w.retire("recycled"); // it was waiting for the task it just gave back
    }
    if (p != null) {
      Pending moved = p;
      report(() -> dispatch(moved)); // not on the pipe reader: a send may wait for a worker's stdin
    }
  }

  /** The worker says the attempt started: it is no longer one that could move. */
  void onStarted(WorkerProcess w, long wire) {
    unstarted.computeIfPresent(wire, (k, p) -> p.execution.worker == w ? null : p);
  }

  /** Marks a worker dead (no new task goes to it); returns the state it had. */
  synchronized WorkerProcess.State markDead(WorkerProcess w) {
    WorkerProcess.State was = w.state;
    w.state = WorkerProcess.State.DEAD;
    return was;
  }

  /** Called once per worker, however it ended, after its reader delivered what it could. */
  void onWorkerExit(WorkerProcess w, int exitCode, String reason, boolean planned, boolean duringStartup) {
    aot.exited(w.aotLaunch, exitCode);
    List<Attempt> held = new ArrayList<>();
    List<Pending> moved = new ArrayList<>();
    synchronized (this) {
      for (int i = 0; i < slots.length; i++) {
        if (slots[i] == w) {
          slots[i] = null;
        }
      }
      for (Long wireId : new ArrayList<>(w.inFlight.keySet())) {
        Attempt a = w.inFlight.remove(wireId);
        Pending p = unstarted.remove(wireId);
        if (a == null) {
          continue;
        }
        if (p != null && !shutdown && p.execution.moves < MAX_UNSTARTED_MOVES) {
          // It never started there (a prefetched task): it goes elsewhere, no crash of its own.
          p.execution.moves++;
          p.execution.worker = null;
          moved.add(p);
        } else {
          held.add(a);
        }
      }
      if (duringStartup && !planned && ((exitCode >= 0 && exitCode < 128) || w.startupOverdue != null)) {
        // It died on its own before it was ready, or never became ready (a signal from outside
        // is no evidence it cannot start).
        startupFailuresInARow++;
        lastStartupFailure = reason + (w.stderrTail().isBlank() ? "" : "; last output:\n" + w.stderrTail());
      }
      if (!shutdown && (!parked.isEmpty() || (w.replaceOnExit && config.prestart() > 0))) {
        ensureWorkersLocked(); // replace a crashed or recycled worker; an idle one comes back on demand
      }
    }
    moved.forEach(this::dispatch);
    String tail = w.stderrTail();
    if (planned && held.isEmpty()) {
      workersRecycled.inc();
      settings.workerRecycled(new WorkerEvent(engineName, w.label(), reason, null));
    } else {
      workersCrashed.inc();
      settings.workerCrashed(new WorkerEvent(engineName, w.label(), reason + " (exit code " + exitCode + ")", null));
      if (!shutdown) {
        log.warn("Gearbox: {} died: {} (exit code {}); failing the {} task(s) it held{}", w.label(), reason, exitCode,
            held.size(), tail.isBlank() ? "" : "; last output:\n" + tail);
      }
    }
    if (held.isEmpty()) {
      return;
    }
    report(() -> {
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
    });
  }

  private void failParkedLocked(String why) {
    List<Pending> all = new ArrayList<>(parked);
    parked.clear();
    startupFailuresInARow = 0; // the next task tries again
    failAll(all, why);
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

  /** The engine has settled every task: workers finish what they run (abandoned attempts) and exit. */
  @Override
  public void shutdown() {
    stopWorkers("engine shut down", false);
  }

  /**
   * The engine has interrupted every running task already (CANCEL frames): ask the workers to
   * exit once their tasks return, and kill the ones still alive after {@code gearbox.cancel.grace}.
   */
  @Override
  public void shutdownNow() {
    stopWorkers("engine shut down now", true);
  }

  private void stopWorkers(String why, boolean reap) {
    List<WorkerProcess> live;
    synchronized (this) {
      shutdown = true;
      live = liveLocked();
      for (WorkerProcess w : live) {
        if (w.state != WorkerProcess.State.DEAD) {
          w.state = WorkerProcess.State.RETIRING;
        }
      }
      failParkedLocked(why);
    }
    for (WorkerProcess w : live) {
      w.retire(why);
    }
    if (reap && !live.isEmpty()) {
      Thread killer = new Thread(() -> {
        long deadline = System.nanoTime() + settings.cancelGrace().toNanos();
        List<WorkerProcess> training = new ArrayList<>();
        for (WorkerProcess w : live) {
          try {
            if (w.awaitExit(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
              continue;
            }
            if (w.inFlight.isEmpty() && w.aotLaunch.training() != null) {
              // An idle training worker is writing the AOT cache as it exits: a kill would waste
              // it, so it gets longer (bounded, in case its exit hangs), after the others.
              training.add(w);
            } else {
              w.killPlanned(why + "; the worker did not exit within gearbox.cancel.grace");
            }
          } catch (InterruptedException e) {
            w.kill();
          }
        }
        long trainingDeadline = System.nanoTime() + AOT_TRAINING_EXIT.toNanos();
        for (WorkerProcess w : training) {
          try {
            if (!w.awaitExit(Math.max(0, trainingDeadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
              w.killPlanned(why + "; the worker did not finish writing the AOT cache within "
                  + AOT_TRAINING_EXIT.toSeconds() + " s");
            }
          } catch (InterruptedException e) {
            w.kill();
          }
        }
      }, "gearbox-" + engineName + "-process-reaper");
      killer.setDaemon(true);
      killer.start();
    }
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
    if (!shutdown) {
      return false;
    }
    results.shutdown(); // every worker is gone: no more reports will come
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

  /** The stop ladder's handle: CANCEL frames to cancel and interrupt, SIGKILL to kill. */
  private final class ProcessExecution implements Execution {
    private final Attempt attempt;
    final long wireId;
    /** Written under the backend's monitor, with the flags below, so no cancel is lost to a race with dispatch. */
    volatile WorkerProcess worker;
    volatile boolean interrupted;
    volatile boolean cancelled;
    /** Under the backend's monitor: how often it moved unstarted from a worker that died. */
    int moves;

    ProcessExecution(Attempt attempt, long wireId) {
      this.attempt = attempt;
      this.wireId = wireId;
    }

    @Override
    public void cancel() {
      WorkerProcess w;
      synchronized (ProcessBackend.this) {
        cancelled = true;
        w = worker;
      }
      if (w != null) {
        w.send(Frames.CANCEL, wireId, new byte[] {0});
      }
    }

    @Override
    public void interrupt() {
      WorkerProcess w;
      boolean removed = false;
      synchronized (ProcessBackend.this) {
        interrupted = true;
        w = worker;
        if (w == null) {
          removed = parked.removeIf(p -> p.execution == this);
        }
      }
      if (w != null) {
        w.send(Frames.CANCEL, wireId, new byte[] {1});
      } else if (removed) {
        report(() -> attempt.lost(new EngineException(attempt.taskId(), attempt.taskName(), "cancelled before a worker took it", null)));
      }
    }

    @Override
    public boolean kill() {
      WorkerProcess w = worker;
      if (w == null || !w.inFlight.containsKey(wireId)) {
        return false;
      }
      w.killPlanned("killed by the engine: task " + attempt.taskName() + " did not stop within gearbox.cancel.grace after"
          + " its interrupt");
      return true;
    }
  }
}
