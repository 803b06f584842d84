package dev.gearbox.process;

import dev.gearbox.BackendCapabilities;
import dev.gearbox.EngineException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.WorkerEvent;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.Codec;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.Work;
import dev.gearbox.spi.remote.CrashLedger;
import dev.gearbox.spi.remote.Payloads;
import dev.gearbox.spi.remote.ReportExecutor;
import dev.gearbox.spi.remote.SerialCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks in forked worker JVMs: the backend's SPI methods, what happens when a worker answers or
 * dies, and the stop sequence. Where each concern lives:
 *
 * <ul>
 *   <li>{@link WorkerPool}: the worker JVMs (start, replace, startup deadline, recycling, stop;
 *       {@link IdleReaper} retires idle ones), and the one lock;
 *   <li>{@link Dispatch}: which worker takes an attempt, parked attempts, cancellation;
 *   <li>{@link Prefetch}: held tasks taken back for an idle worker;
 *   <li>{@link WorkerProcess}: one worker JVM, its pipes and its output; {@link WireAttempt}: one
 *       attempt on the wire; {@link WorkerBound} / {@link EngineBound}: the frames;
 *   <li>the shared remote layer: {@link Payloads} (tasks serialized once at submit, outcomes
 *       decoded), {@link CrashLedger} (poison), {@link ReportExecutor} (reports never run on a
 *       pipe reader, because reporting runs the caller's callbacks).
 * </ul>
 *
 * <p>The stop sequence: {@link #shutdown} parks the idle, healthy workers in the JVM's
 * {@link WarmWorkers} reserve ({@code gearbox.process.keep-warm}) and asks every other worker to
 * exit once its tasks return;
 * {@link #shutdownNow} also kills, after {@code gearbox.cancel.grace}, the workers that are still
 * alive (the core has sent CANCEL frames to their tasks first).
 *
 * <p>A worker that exits unplanned fails exactly the attempts it held with a
 * {@link WorkerCrashedException} (exit code or signal, stderr tail); the core retries them if their
 * policy says so; a replacement starts at once. A task that crashes its worker
 * {@code poison-threshold} times in a row fails with {@link dev.gearbox.PoisonTaskException}
 * instead. An attempt a worker held unstarted (prefetched) when it died moves to another worker
 * without counting as a crash.
 *
 * <p>Lock: the pool's monitor (see {@link WorkerPool}). Nothing here reports an attempt or writes a
 * frame while holding it.
 */
final class ProcessBackend implements Backend, WorkerProcess.Listener {
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class);
  /** How long an idle worker that trains the AOT cache may take to exit (it writes the cache then). */
  private static final Duration AOT_TRAINING_EXIT = Duration.ofSeconds(20);
  /** A task whose worker died before it started goes to another worker at most this often. */
  private static final int MAX_UNSTARTED_MOVES = 3;

  private final ProcessConfig config;
  private final BackendSettings settings;
  private final String engineName;
  private final Payloads payloads;
  private final ProcessMetrics metrics;
  private final ReportExecutor reports;
  private final CrashLedger ledger;
  private final WorkerPool pool;
  private final Dispatch dispatch;
  private final Prefetch prefetch;
  /**
   * Attempt ids on the wire, unique in this JVM: a worker kept warm for another engine (see
   * {@link WarmWorkers}) never sees an id of its last engine again, so nothing keyed by it there
   * (a task, a channel route) can be reached from the new one.
   */
  private static final AtomicLong WIRE_IDS = new AtomicLong();

  ProcessBackend(ProcessConfig config, BackendSettings settings) {
    this.config = config;
    this.settings = settings;
    this.engineName = settings.engineName();
    SerialCodec codec = SerialCodec.create(config.maxPayload(), config.serialFilter(), ProcessBackendProvider.MAX_PAYLOAD,
        ProcessBackendProvider.SERIAL_FILTER);
    this.payloads = new Payloads(codec, "a worker process");
    this.metrics = new ProcessMetrics(settings);
    this.reports = new ReportExecutor("gearbox-" + engineName + "-process-results-%d");
    this.ledger = new CrashLedger(config.poisonThreshold());
    this.pool = new WorkerPool(config, settings, metrics);
    this.dispatch = new Dispatch(pool, reports);
    this.prefetch = new Prefetch(pool, dispatch, reports);
    pool.bind(this, dispatch);
    ProcessMetrics.registerLiveWorkers(settings, pool::liveWorkers);
  }

  /** Starts the first workers and waits until they answer; undoes the start (no worker, thread or pipe left) if that fails. */
  void prestart() {
    try {
      settings.workerStart().ifPresent(start -> pool.initializeWith(encodeStart(start), payloads.codec()));
      pool.prestart();
    } catch (RuntimeException e) {
      shutdownNow();
      try {
        awaitTermination(config.startupTimeout());
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      pool.removeRunDir();
      throw e;
    }
  }

  /** The worker initializer's start, encoded once for every worker; one that cannot cross fails the open. */
  private byte[] encodeStart(Work start) {
    try {
      return payloads.prepare(start, "the worker initializer");
    } catch (java.util.concurrent.RejectedExecutionException e) {
      throw new dev.gearbox.EngineConfigException(dev.gearbox.EngineConfig.WORKER_INITIALIZER, e.getMessage());
    }
  }

  @Override
  public BackendCapabilities capabilities() {
    return new BackendCapabilities(true, true, true, false, true, true);
  }

  @Override
  public int parallelism() {
    return config.workers() * config.concurrency();
  }

  /** Each worker may hold {@code prefetch} tasks beyond those it runs: the next one is there when one ends. */
  @Override
  public int prefetch() {
    return config.workers() * config.prefetch();
  }

  /**
   * Serializes the task at submit: rejects what cannot cross, and keeps the bytes for every attempt.
   * Channels it captures travel as handles back to this JVM (the job keeps them alive meanwhile).
   */
  @Override
  public Object prepare(Work work) {
    try {
      return ChannelHost.local().carrying(() -> payloads.prepare(work), pinned -> { });
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e); // prepare encodes in memory and reports its own failures unchecked
    }
  }

  @Override
  public Codec channelCodec() {
    return payloads.codec();
  }

  @Override
  public Execution start(Attempt attempt) {
    if (pool.isShutdown()) {
      throw new RejectedExecutionException("the process backend is shut down");
    }
    WireAttempt p = new WireAttempt(attempt, WIRE_IDS.incrementAndGet(), payloads.workOf(attempt), dispatch);
    dispatch.dispatch(p);
    return p;
  }

  // ---------------------------------------------------------------- what workers say (reader threads)

  @Override
  public void ready(WorkerProcess w) {
    if (pool.markReady(w)) {
      dispatch.drain();
      prefetch.revokeLater(w); // a replacement may come up while another worker holds a task
    }
  }

  /** An outcome frame; the attempt is reported only if the exit handler has not claimed it already. */
  @Override
  public void outcome(WorkerProcess w, EngineBound.Outcome o) {
    WireAttempt p;
    String retireWhy;
    boolean retireNow;
    boolean drain;
    boolean mayRevoke;
    synchronized (pool) {
      p = w.inFlight.remove(o.wire());
      if (p == null) {
        return;
      }
      retireWhy = pool.recycleLocked(w, o.heapInUse());
      retireNow = w.state == WorkerProcess.State.RETIRING && w.inFlight.isEmpty();
      if (w.inFlight.isEmpty()) {
        w.idleSince = System.nanoTime();
      }
      // Attempts park only under this monitor, after finding no free worker: any parked now saw
      // this worker full, and may take the slot just freed.
      drain = dispatch.hasParkedLocked();
      // A revoke check is only worth a trip to the report executor when this worker is now idle
      // and another holds a task it has not started.
      mayRevoke = prefetch.worthRevokingLocked(w);
    }
    w.channels.taskEnded(o.wire()); // outside the monitor: it may withdraw calls and answer them
    ledger.ended(p.attempt.taskId());
    Attempt attempt = p.attempt;
    attempt.report(() -> { // to the caller waiting for it, if one does, else to the report executor
      if (o instanceof EngineBound.Ok) {
        payloads.reportResult(attempt, o.bytes(), o.offset(), w.label());
      } else {
        payloads.reportFailure(attempt, o.bytes(), o.offset(), w.label());
      }
    }, reports);
    if (mayRevoke) {
      prefetch.revokeLater(w); // separately, so that a caller's callback run by the report above cannot hold it up
    }
    if (retireNow) {
      w.retire(retireWhy != null ? retireWhy : "recycled");
    }
    if (drain) {
      dispatch.drain();
    }
  }

  @Override
  public void revoked(WorkerProcess w, long wire) {
    if (prefetch.onRevoked(w, wire)) {
      w.retire("recycled"); // it was waiting for the task it just gave back
    }
  }

  @Override
  public WorkerProcess.State markDead(WorkerProcess w) {
    if (w.listener() != this) {
      return w.listener().markDead(w); // parked or taken meanwhile: its owner now hears it
    }
    return pool.markDead(w);
  }

  /** Called once per worker, however it ended, after its reader delivered what it could. */
  @Override
  public void exited(WorkerProcess w, int exitCode, String reason, boolean planned, boolean duringStartup) {
    if (w.listener() != this) {
      w.listener().exited(w, exitCode, reason, planned, duringStartup); // parked or taken meanwhile
      return;
    }
    pool.aotExited(w, exitCode);
    w.channels.workerDied(); // before its tasks are reported: an element it never acknowledged is back in its channel
    List<WireAttempt> held = new ArrayList<>();
    List<WireAttempt> moved = new ArrayList<>();
    synchronized (pool) {
      for (Long wire : new ArrayList<>(w.inFlight.keySet())) {
        WireAttempt p = w.inFlight.remove(wire);
        if (p == null) {
          continue;
        }
        if (!p.started && !pool.isShutdown() && p.moves < MAX_UNSTARTED_MOVES) {
          // It never started there (a prefetched task): it goes elsewhere, no crash of its own.
          p.moves++;
          p.worker = null;
          moved.add(p);
        } else {
          held.add(p);
        }
      }
      pool.removeLocked(w, reason, exitCode, planned, duringStartup);
    }
    moved.forEach(dispatch::dispatch);
    dispatch.drain(); // the slot may have been filled by a warm worker, which says no HELLO
    String tail = w.stderrTail();
    if (planned && held.isEmpty()) {
      metrics.workersRecycled.inc();
      settings.workerRecycled(new WorkerEvent(engineName, w.label(), reason, null));
    } else {
      metrics.workersCrashed.inc();
      String what = withExitCode(reason, exitCode);
      settings.workerCrashed(new WorkerEvent(engineName, w.label(), what, null));
      if (!pool.isShutdown()) {
        log.warn("Gearbox: {} died: {}; failing the {} task(s) it held{}", w.label(), what,
            held.size(), tail.isBlank() ? "" : "; last output:\n" + tail);
      }
    }
    if (held.isEmpty()) {
      return;
    }
    reports.execute(() -> {
      for (WireAttempt p : held) {
        Attempt a = p.attempt;
        try {
          a.lost(ledger.crashed(a, new WorkerCrashedException(a.taskId(), a.taskName(), w.label(), reason, exitCode, tail, null)));
        } catch (RuntimeException e) {
          log.warn("Gearbox: reporting the loss of {} failed", a.taskName(), e); // the others are still reported
        }
      }
    });
  }

  /** {@code reason} with the exit code after it, unless the reason already names that code. */
  static String withExitCode(String reason, int exitCode) {
    return java.util.regex.Pattern.compile("\\bcode " + exitCode + "\\b").matcher(reason).find()
        ? reason : reason + " (exit code " + exitCode + ")";
  }

  @Override
  public void frameSent(int payloadBytes) {
    metrics.frameSent(payloadBytes);
  }

  @Override
  public void frameReceived(int payloadBytes) {
    metrics.frameReceived(payloadBytes);
  }

  @Override
  public dev.gearbox.spi.BackendView view() {
    synchronized (pool) {
      return pool.viewLocked();
    }
  }

  // ---------------------------------------------------------------- stopping

  /** The engine has settled every task: workers finish what they run (abandoned attempts) and exit. */
  @Override
  public void shutdown() {
    pool.stop("engine shut down", true);
  }

  /**
   * The engine has interrupted every running task already (CANCEL frames): ask the workers to
   * exit once their tasks return, and kill the ones still alive after {@code gearbox.cancel.grace}.
   */
  @Override
  public void shutdownNow() {
    String why = "engine shut down now";
    List<WorkerProcess> live = pool.stop(why, false);
    if (!live.isEmpty()) {
      Thread killer = new Thread(() -> reap(live, why), "gearbox-" + engineName + "-process-reaper");
      killer.setDaemon(true);
      killer.start();
    }
  }

  /** The stop ladder's last rung: kills the workers that outlive the grace period; an idle one writing the AOT cache gets longer. */
  private void reap(List<WorkerProcess> live, String why) {
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
          w.killPlanned(why + "; the worker did not finish writing the AOT cache within " + AOT_TRAINING_EXIT.toSeconds() + " s");
        }
      } catch (InterruptedException e) {
        w.kill();
      }
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!pool.awaitExit(deadline) || !pool.isShutdown()) {
      return false;
    }
    reports.shutdown(); // every worker is gone: no more reports will come
    boolean done = reports.awaitTermination(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    if (done) {
      pool.removeRunDir();
    }
    return done;
  }
}
