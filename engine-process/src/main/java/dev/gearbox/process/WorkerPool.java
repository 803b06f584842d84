package dev.gearbox.process;

import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.WorkerEvent;
import dev.gearbox.spi.BackendSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker JVMs of one engine: a fixed number of slots, each holding at most one live
 * {@link WorkerProcess}, as a connection pool holds connections. The pool starts workers (at open,
 * on demand, to replace one that died or was recycled), kills one that does not report ready by
 * the startup deadline, gives up on starting after three failures in a row (failing what waits
 * instead of hanging), retires workers beyond {@code prestart} that idle too long, decides when a
 * worker is recycled, and takes them all down when the engine stops, except the idle, healthy ones
 * a graceful stop leaves warm in the JVM's {@link WarmWorkers} reserve; it takes warm workers of its
 * own {@link #warmKey() key} from there before it starts any.
 *
 * <p>Which worker runs an attempt is {@link #pickLocked()}'s answer: the least-loaded ready worker
 * with a free slot; else, only when every slot has a ready worker, the least-loaded one with
 * prefetch room.
 *
 * <p>Lock: this pool's monitor is the process backend's one lock. It guards the slots, every
 * worker's state, in-flight table, idle time, task count and revoke flag, the startup accounting,
 * and the {@link Dispatch}'s parked attempts. No frame is written and no attempt reported while
 * holding it; starting a worker (its {@code mkfifo} and the launch of its JVM) does happen under
 * it, so that a slot is never filled twice.
 */
final class WorkerPool {
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class); // one category: settings that name the backend cover all of it
  /** The worker initializer's start, encoded, in the pool's private directory: each worker runs it before HELLO. */
  static final String START_FILE = "worker-start.ser";
  /** Beside a worker's pipe: its initializer's failure, encoded, written before it exits with {@link #INIT_FAILED_EXIT}. */
  static final String INIT_FAILED_SUFFIX = ".init-failed";
  static final int INIT_FAILED_EXIT = 3;
  /** Workers dying on their own before they are ready this often in a row: stop trying until the next task. */
  private static final int STARTUP_FAILURES_TO_GIVE_UP = 3;

  final ProcessConfig config;
  final String engineName;
  private final BackendSettings settings;
  private final ProcessMetrics metrics;
  private final AotCache aot;
  private final Path runDir;
  private final WorkerProcess[] slots;
  /**
   * Startup deadlines, on a thread of the pool's own that ends with it. (The JDK's shared delayed
   * executor leaves a thread behind that outlives the engine: {@code mvn exec:java} waits for it.)
   */
  private final ScheduledThreadPoolExecutor deadlines;
  /** How the latest worker that died in each slot died, or null; for snapshots. Guarded by the monitor. */
  private final String[] lastCrash;
  private WorkerProcess.Listener listener;
  private Dispatch dispatch;
  /** Written under the monitor; once true, no worker starts again. */
  private volatile boolean shutdown;
  private int nextWorkerIndex;
  private int startupFailuresInARow;
  private String lastStartupFailure = "";
  /** Whether a worker of this pool ever became ready: until one has, a failed start is not retried (the launch itself is wrong). */
  private boolean everReady;
  /** Launches (java, launch, flags) a worker of this JVM has started with: their pools start all workers at once. */
  private static final java.util.Set<String> PROVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final String launchKey;
  /** What makes these workers interchangeable with another engine's (see {@link #warmKey()}); set at {@link #prestart}. */
  private volatile String warmKey;

  WorkerPool(ProcessConfig config, BackendSettings settings, ProcessMetrics metrics) {
    this.config = config;
    this.settings = settings;
    this.engineName = settings.engineName();
    this.metrics = metrics;
    this.slots = new WorkerProcess[config.workers()];
    this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "gearbox-" + engineName + "-process-startup");
      t.setDaemon(true);
      return t;
    });
    deadlines.setRemoveOnCancelPolicy(true);
    this.launchKey = config.java() + " " + config.launch() + " " + config.jvmFlags();
    String cp = config.launch().aotClasspath();
    this.aot = cp == null ? AotCache.off("workers start from " + config.launch().source() + ", not a plain class path")
        : AotCache.of(config.aotCache(), config.java(), cp, config.jvmFlags());
    this.lastCrash = new String[slots.length];
    if (aot.enabled()) {
      log.debug("Gearbox {}: workers start from the AOT cache {}{}", engineName, aot.file(),
          Files.isRegularFile(aot.file()) ? "" : " (the first worker trains it)");
    } else {
      log.debug("Gearbox {}: no AOT cache for workers: {}", engineName, aot.why());
    }
    try {
      this.runDir = Files.createTempDirectory("gearbox-" + engineName + "-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new EngineConfigException(null, "cannot create a private directory for worker pipes: " + e);
    }
  }

  /** Wires the pool to the backend that hears its workers and the dispatch that waits for them; before any worker starts. */
  void bind(WorkerProcess.Listener listener, Dispatch dispatch) {
    this.listener = listener;
    this.dispatch = dispatch;
  }

  boolean isShutdown() {
    return shutdown;
  }

  // ---------------------------------------------------------------- starting

  /** Decodes what a worker's initializer failure wrote; null while no initializer is configured. */
  private dev.gearbox.spi.Codec initCodec;

  /** Every worker started from now on runs {@code start} (an encoded {@code BackendSettings.workerStart()}) before it says HELLO. */
  void initializeWith(byte[] start, dev.gearbox.spi.Codec codec) {
    try {
      Files.write(runDir.resolve(START_FILE), start);
    } catch (IOException e) {
      throw new EngineException(-1, null, "cannot write the worker initializer for the workers to " + runDir + ": " + e, e);
    }
    this.initCodec = codec;
  }

  /**
   * The key of these workers in the {@link WarmWorkers} reserve: a digest of everything that makes
   * a worker what it is (its command line: java, launch, JVM flags and heap, this JVM's pid,
   * concurrency, max-payload, serial filter; its environment and working directory; the AOT-cache
   * choice). A digest, so that the environment is not held or shown twice. The classes on the
   * class path are compared apart ({@link WorkerLaunch#fingerprint}), when workers are parked and
   * taken. Engines with a worker initializer have no key (a worker keeps what its initializer made).
   */
  String warmKey() {
    StringBuilder k = new StringBuilder();
    k.append(String.join("\u0000", config.command(Path.of("pipe"), "worker")));
    k.append("\u0001env=").append(new java.util.TreeMap<>(config.environment()));
    k.append("\u0001dir=").append(config.workingDir());
    k.append("\u0001aot=").append(config.aotCache());
    return java.util.HexFormat.of().formatHex(sha256(k.toString().getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * Why {@code w} exited before it was ready, if its worker initializer threw: the worker's
   * {@link dev.gearbox.WorkerInitializerException} (naming the initializer, its cause the
   * initializer's exception), with the worker's name in front; else null.
   */
  dev.gearbox.WorkerInitializerException initializerFailure(WorkerProcess w) {
    Path failed = w.fifo().resolveSibling(w.fifo().getFileName() + INIT_FAILED_SUFFIX);
    if (initCodec == null || !Files.isRegularFile(failed)) {
      return null;
    }
    Throwable t;
    try {
      t = initCodec.decodeFailure(Files.readAllBytes(failed), 0);
    } catch (IOException | RuntimeException e) {
      t = e;
    }
    Throwable cause = t instanceof dev.gearbox.WorkerInitializerException && t.getCause() != null ? t.getCause() : t;
    String what = t instanceof dev.gearbox.WorkerInitializerException ? t.getMessage()
        : "its worker initializer could not run: " + t;
    return new dev.gearbox.WorkerInitializerException(w.label() + " of engine '" + engineName + "' (process backend)"
        + " could not start: " + what, cause);
  }

  /**
   * Starts the first workers and waits until one of them answers, so that bad JVM options fail at
   * open; the others take work as each becomes ready. A launch not yet seen to work starts one
   * worker first: if the launch is wrong (a class path without the worker, a bad flag), open fails
   * with that one worker's output instead of starting every slot to fail the same way. A launch
   * works if a worker of this JVM started with it, or if a worker wrote its AOT cache (a worker of
   * an earlier run, with the same java, flags and jars, started and exited normally).
   */
  void prestart() {
    IdleReaper.startIfConfigured(this);
    // A worker keeps what its initializer made, and an engine with keep-warm 0 wants fresh JVMs.
    warmKey = initCodec == null && !config.keepWarm().isZero() ? warmKey() : null;
    int n = Math.min(config.prestart(), slots.length);
    int adopted;
    synchronized (this) {
      adopted = adoptLocked();
    }
    if (adopted > 0) {
      spawn(adopted, n); // the launch works: warm workers of it are here
      return;
    }
    long deadline = System.nanoTime() + config.startupTimeout().toNanos();
    boolean proven = PROVEN.contains(launchKey) || aot.cached();
    int first = proven ? n : Math.min(n, 1);
    awaitFirstReady(spawn(0, first), deadline);
    spawn(first, n);
  }

  private List<WorkerProcess> spawn(int from, int to) {
    List<WorkerProcess> started = new ArrayList<>();
    try {
      synchronized (this) {
        for (int i = from; i < to; i++) {
          started.add(spawnLocked(i));
        }
      }
    } catch (EngineException e) {
      throw new EngineConfigException(ProcessBackendProvider.JAVA, e.getMessage());
    }
    return started;
  }

  /** Waits until one of {@code started} is ready; fails with the first one's cause if none becomes ready by the deadline. */
  private void awaitFirstReady(List<WorkerProcess> started, long deadline) {
    if (started.isEmpty()) {
      return;
    }
    synchronized (this) {
      for (;;) {
        boolean starting = false;
        for (WorkerProcess w : started) {
          if (w.state == WorkerProcess.State.READY) {
            return;
          }
          starting |= w.state == WorkerProcess.State.STARTING;
        }
        long left = deadline - System.nanoTime();
        if (!starting || left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left); // markReady and markDead notify
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    for (WorkerProcess w : started) {
      RuntimeException init = initializerFailure(w);
      if (init != null) {
        throw init;
      }
    }
    throw startupFailure(started.get(0)); // the backend's undoing of the start kills what still runs
  }

  /**
   * Fills empty slots with warm workers of the same key from the {@link WarmWorkers} reserve;
   * returns how many. They count in {@code workers-adopted}, not {@code workers-started}, and
   * announce themselves with a {@code workerStarted} event. Caller holds the monitor.
   */
  private int adoptLocked() {
    int adopted = 0;
    String[] fingerprint = new String[1]; // walked once, and only if a worker of the key is parked
    java.util.function.Supplier<String> now = () -> fingerprint[0] != null ? fingerprint[0] : (fingerprint[0] = fingerprint());
    for (int i = 0; i < slots.length && warmKey != null; i++) {
      if (slots[i] != null) {
        continue;
      }
      WorkerProcess w = WarmWorkers.RESERVE.take(warmKey, now, this::fitsLocked, listener);
      if (w == null) {
        break;
      }
      slots[i] = w;
      lastCrash[i] = null;
      w.idleSince = System.nanoTime();
      w.replaceOnExit = true;
      nextWorkerIndex = Math.max(nextWorkerIndex, w.index); // new workers get names of their own
      everReady = true;
      adopted++;
      metrics.workersAdopted.inc();
      settings.workerStarted(new WorkerEvent(engineName, w.label(), "adopted warm from an engine that closed", null));
    }
    return adopted;
  }

  /**
   * Whether a warm worker may serve this engine: it is not already due for recycling here (the
   * tasks it ran for earlier engines count toward {@code max-tasks-per-worker}).
   */
  private boolean fitsLocked(WorkerProcess w) {
    return (config.maxTasksPerWorker() == 0 || w.tasksRun < config.maxTasksPerWorker())
        && (config.recycleHeapBytes() == 0 || w.heapInUse <= config.recycleHeapBytes());
  }

  /** A digest of {@link WorkerLaunch#fingerprint}: walks the class path. */
  private String fingerprint() {
    return java.util.HexFormat.of().formatHex(sha256(config.launch().fingerprint().getBytes(StandardCharsets.UTF_8)));
  }

  /** Starts workers in empty slots (lazily after open, or to replace one); fails what waits if none can start. Caller holds the monitor. */
  void ensureWorkersLocked() {
    if (shutdown) {
      return;
    }
    if (startupFailuresInARow >= STARTUP_FAILURES_TO_GIVE_UP) {
      if (readyWorkers() > 0) {
        return; // the workers that did start serve what waits; no more starts until one of them exits
      }
      // Workers keep dying on their own before they are ready: fail what waits, so nothing hangs;
      // the next task tries again.
      failWaitingLocked("worker JVMs keep failing to start: " + lastStartupFailure);
      return;
    }
    adoptLocked();
    boolean oneFirst = !everReady && !PROVEN.contains(launchKey);
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] == null) {
        if (oneFirst && liveWorkers() > 0) {
          break; // the rest start once the first is ready (markReady)
        }
        try {
          spawnLocked(i);
        } catch (EngineException e) {
          log.warn("Gearbox: {}", e.getMessage());
          startupFailuresInARow++;
          lastStartupFailure = e.getMessage();
        }
      }
    }
    if (liveWorkers() == 0 && dispatch.hasParkedLocked()) {
      failWaitingLocked("no worker JVM can be started (see the log)");
    }
  }

  /**
   * Why a worker of a pool none of whose workers ever became ready failed to start, with its output
   * and the key that fixes it: its class path when it could not load its classes, else its JVM options.
   */
  EngineConfigException startupFailure(WorkerProcess w) {
    String out = w.stderrTail();
    boolean classes = out.contains("Could not find or load main class") || out.contains("ClassNotFoundException")
        || out.contains("NoClassDefFoundError") || out.contains("FindException");
    String what = w.state == WorkerProcess.State.STARTING || w.startupOverdue != null
        ? "did not answer within " + config.startupTimeout().toMillis() + " ms (" + ProcessBackendProvider.STARTUP_TIMEOUT + ")"
        : "exited during startup" + (classes ? ": it could not load its classes" : "");
    String fix = classes
        ? "Set " + ProcessBackendProvider.CLASSPATH + " to the application's class path: the jars and directories that hold"
            + " Gearbox (gearbox-engine, gearbox-engine-process and their dependencies) and the task classes."
        : "Check " + ProcessBackendProvider.JVM_OPTIONS + ", " + ProcessBackendProvider.HEAP + " and " + ProcessBackendProvider.JAVA
            + ": the worker's output says what its JVM refused.";
    return new EngineConfigException(classes ? ProcessBackendProvider.CLASSPATH : ProcessBackendProvider.JVM_OPTIONS,
        "the process backend's first worker " + what + ". Its launch follows " + config.launch().source() + ". "
            + fix + "\nCommand: " + String.join(" ", config.command(runDir.resolve("pipe"), "worker"))
            + (out.isBlank() ? "" : "\nWorker output:\n" + out));
  }

  private void failWaitingLocked(String why) {
    startupFailuresInARow = 0; // the next task tries again
    dispatch.failParkedLocked(why);
  }

  private WorkerProcess spawnLocked(int slot) {
    int index = ++nextWorkerIndex;
    Path fifo = runDir.resolve("w" + index + ".pipe");
    WorkerProcess w = new WorkerProcess(listener, engineName, index, fifo, config.maxPayload());
    try {
      Process mk = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).redirectErrorStream(true).start();
      String out = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (waitUninterruptibly(mk) != 0) {
        throw new IOException("mkfifo failed: " + out.strip());
      }
      w.aotLaunch = aot.nextLaunch();
      w.launch(config.command(fifo, "worker-" + index, w.aotLaunch.flags()), config.environment(), config.workingDir());
    } catch (IOException | RuntimeException e) {
      throw new EngineException(-1, null, "cannot start a worker JVM: " + e.getMessage(), e);
    }
    slots[slot] = w;
    metrics.workersStarted.inc();
    // A worker that never reports ready would hold the tasks parked for it forever: kill it at
    // the startup timeout, which counts as a failure to start.
    deadlines.schedule(() -> startupDeadline(w), config.startupTimeout().toNanos(), TimeUnit.NANOSECONDS);
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

  /** The worker said HELLO: READY, unless it was retired or killed meanwhile; returns whether it became ready. */
  boolean markReady(WorkerProcess w) {
    synchronized (this) {
      if (w.state != WorkerProcess.State.STARTING) {
        return false;
      }
      w.state = WorkerProcess.State.READY;
      notifyAll(); // open may be waiting for it
      startupFailuresInARow = 0;
      if (!everReady) {
        everReady = true;
        PROVEN.add(launchKey);
        if (!shutdown && dispatch.hasParkedLocked()) {
          ensureWorkersLocked(); // the slots left empty while the launch was unproven
        }
      }
      w.idleSince = System.nanoTime(); // idle from now: the idle reaper must not take it before its first task
    }
    long nanos = System.nanoTime() - w.spawnedNanos;
    metrics.startupTime.update(nanos, TimeUnit.NANOSECONDS);
    settings.workerStarted(new WorkerEvent(engineName, w.label(), "ready after " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms",
        null));
    return true;
  }

  /** Files away the AOT cache a training worker wrote as it exited; file work, so never under the monitor. */
  void aotExited(WorkerProcess w, int exitCode) {
    aot.exited(w.aotLaunch, exitCode);
  }

  /** Marks a worker dead (no new task goes to it); returns the state it had. */
  synchronized WorkerProcess.State markDead(WorkerProcess w) {
    WorkerProcess.State was = w.state;
    w.state = WorkerProcess.State.DEAD;
    notifyAll(); // open may be waiting for it
    return was;
  }

  /**
   * A worker has exited: frees its slot, counts a failure to start, and starts a successor when
   * work waits or the worker should be replaced. Caller holds the monitor.
   */
  void removeLocked(WorkerProcess w, String reason, int exitCode, boolean planned, boolean duringStartup) {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] == w) {
        slots[i] = null;
        if (!planned) {
          String tail = w.stderrTail();
          String lastLine = tail.isBlank() ? "" : tail.substring(tail.lastIndexOf('\n') + 1);
          lastCrash[i] = w.label() + ": " + reason + (lastLine.isEmpty() ? "" : ": " + lastLine);
        }
      }
    }
    if (duringStartup && !planned && ((exitCode >= 0 && exitCode < 128) || w.startupOverdue != null)) {
      // It died on its own before it was ready, or never became ready (a signal from outside
      // is no evidence it cannot start).
      startupFailuresInARow++;
      RuntimeException init = initializerFailure(w);
      lastStartupFailure = init != null ? init.getMessage() + " (see its output in the log)"
          : reason + (w.stderrTail().isBlank() ? "" : "; last output:\n" + w.stderrTail());
      if (!everReady && w.startupOverdue == null) {
        // No worker of this pool ever started and this one exited by itself: the next would fail
        // the same way (a hang may be the machine's load, and is tried again). Fail what waits
        // with the cause and the fix instead of starting one after another; the next task tries again.
        if (dispatch.hasParkedLocked()) {
          failWaitingLocked(init != null ? lastStartupFailure : startupFailure(w).getMessage());
        }
        return;
      }
    }
    if (!shutdown && (dispatch.hasParkedLocked() || (w.replaceOnExit && config.prestart() > 0))) {
      ensureWorkersLocked(); // replace a crashed or recycled worker; an idle one comes back on demand
    }
  }

  /** The workers and where their attempts run, for a snapshot. Caller holds the monitor. */
  dev.gearbox.spi.BackendView viewLocked() {
    java.util.List<dev.gearbox.EngineSnapshot.WorkerInfo> workers = new ArrayList<>();
    dev.gearbox.spi.BackendView.Placements placements = new dev.gearbox.spi.BackendView.Placements();
    long nanoNow = System.nanoTime();
    java.time.Instant now = java.time.Instant.now();
    for (int i = 0; i < slots.length; i++) {
      WorkerProcess w = slots[i];
      if (w == null) {
        if (lastCrash[i] != null) {
          workers.add(new dev.gearbox.EngineSnapshot.WorkerInfo("slot " + i, -1, null, "DEAD", 0, -1, null, lastCrash[i]));
        }
        continue;
      }
      String label = w.label();
      for (WireAttempt a : w.inFlight.values()) {
        placements.add(a.attempt, label); // sent there: running, or held there unstarted (its startedAt says which)
      }
      workers.add(new dev.gearbox.EngineSnapshot.WorkerInfo("worker-" + w.index, w.pid, null, w.state.name(), w.tasksRun,
          w.heapInUse, now.minusNanos(nanoNow - w.spawnedNanos), lastCrash[i]));
    }
    return new dev.gearbox.spi.BackendView(workers, placements.byTask());
  }

  /**
   * The least-loaded ready worker that can run an attempt now; else, when every slot has a ready
   * worker running all it can, the least-loaded one with prefetch room; else null (the attempt
   * parks until a worker starts or frees up). Caller holds the monitor.
   */
  WorkerProcess pickLocked() {
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

  /** The slots themselves (null where no worker is), for a scan under the monitor; never modified by the caller. */
  WorkerProcess[] slotsLocked() {
    return slots;
  }

  /** The workers now in a slot. Caller holds the monitor. */
  List<WorkerProcess> liveLocked() {
    List<WorkerProcess> live = new ArrayList<>();
    for (WorkerProcess w : slots) {
      if (w != null) {
        live.add(w);
      }
    }
    return live;
  }

  private int readyWorkers() {
    int n = 0;
    for (WorkerProcess w : slots) {
      if (w != null && w.state == WorkerProcess.State.READY) {
        n++;
      }
    }
    return n;
  }

  int liveWorkers() {
    int n = 0;
    for (WorkerProcess w : slots) {
      if (w != null && w.state != WorkerProcess.State.DEAD) {
        n++;
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- recycling and idling

  /**
   * Counts a task the worker finished and says why it should be recycled now, or null. Marks it
   * RETIRING if so (no new task goes to it; it leaves once idle). Caller holds the monitor.
   */
  String recycleLocked(WorkerProcess w, long heapInUse) {
    w.heapInUse = heapInUse;
    w.tasksRun++;
    if (w.state != WorkerProcess.State.READY) {
      return null;
    }
    String why = null;
    if (config.maxTasksPerWorker() > 0 && w.tasksRun >= config.maxTasksPerWorker()) {
      why = "recycled after " + w.tasksRun + " tasks (gearbox.process.max-tasks-per-worker)";
    } else if (config.recycleHeapBytes() > 0 && heapInUse > config.recycleHeapBytes()) {
      why = "recycled: heap in use " + heapInUse / (1024 * 1024) + " MB after a task exceeds gearbox.process.recycle-heap";
    }
    if (why != null) {
      w.state = WorkerProcess.State.RETIRING;
    }
    return why;
  }

  /**
   * Retires the workers beyond {@code prestart} that have idled longer than {@code idleNanos} (they
   * start again on demand); returns them, marked RETIRING, for the caller to retire outside the
   * monitor. Nothing idles out while attempts are parked. Caller holds the monitor.
   */
  List<WorkerProcess> idleBeyondPrestartLocked(long idleNanos) {
    List<WorkerProcess> retire = new ArrayList<>();
    // A retiring worker is already on its way out (it can take a while to exit): counting it
    // would let the next pass retire the pool below prestart.
    int live = 0;
    for (WorkerProcess w : slots) {
      if (w != null && (w.state == WorkerProcess.State.READY || w.state == WorkerProcess.State.STARTING)) {
        live++;
      }
    }
    long now = System.nanoTime();
    for (WorkerProcess w : slots) {
      if (live > config.prestart() && !dispatch.hasParkedLocked() && w != null && w.state == WorkerProcess.State.READY
          && w.inFlight.isEmpty() && now - w.idleSince > idleNanos) {
        w.state = WorkerProcess.State.RETIRING;
        w.replaceOnExit = false;
        retire.add(w);
        live--;
      }
    }
    return retire;
  }

  // ---------------------------------------------------------------- stopping

  /**
   * Stops the pool: no worker starts again, what waits for a worker fails, and every worker is
   * asked to exit once its running tasks return, except that with {@code keepWarm} the idle,
   * healthy ones move to the {@link WarmWorkers} reserve instead (see {@link #parkableLocked}).
   * Returns the workers it asked to exit.
   */
  List<WorkerProcess> stop(String why, boolean keepWarm) {
    List<WorkerProcess> live;
    synchronized (this) {
      shutdown = true;
      live = new ArrayList<>();
      String fingerprint = null;
      for (int i = 0; i < slots.length; i++) {
        WorkerProcess w = slots[i];
        if (w == null) {
          continue;
        }
        if (keepWarm && parkableLocked(w)) {
          if (fingerprint == null) {
            fingerprint = fingerprint();
          }
          if (WarmWorkers.RESERVE.park(warmKey, fingerprint, w, config.keepWarm())) {
            slots[i] = null;
            continue;
          }
        }
        live.add(w);
        if (w.state != WorkerProcess.State.DEAD) {
          w.state = WorkerProcess.State.RETIRING;
        }
      }
      failWaitingLocked(why);
    }
    deadlines.shutdownNow(); // no worker starts any more
    for (WorkerProcess w : live) {
      w.retire(why);
    }
    return live;
  }

  /**
   * Whether a worker may be kept warm for another engine: keep-warm is on; it is ready and holds
   * no attempt (none runs, none is held, none is being revoked), so no task thread of this engine
   * runs in it; it is not due for recycling; it is not training the AOT cache (which it writes
   * when it exits). Caller holds the monitor.
   */
  private boolean parkableLocked(WorkerProcess w) {
    return !config.keepWarm().isZero() && warmKey != null
        && w.state == WorkerProcess.State.READY && w.inFlight.isEmpty() && !w.revoking
        && w.aotLaunch.training() == null
        && fitsLocked(w);
  }

  /** Waits until every worker in a slot now has exited; false if {@code deadline} (nanoTime) came first. */
  boolean awaitExit(long deadline) throws InterruptedException {
    List<WorkerProcess> live;
    synchronized (this) {
      live = liveLocked();
    }
    for (WorkerProcess w : live) {
      if (!w.awaitExit(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  /** Deletes the private directory of worker pipes. */
  void removeRunDir() {
    try (var files = Files.list(runDir)) {
      files.forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      log.debug("Gearbox: cleaning {}: {}", runDir, e.toString());
    }
    runDir.toFile().delete();
  }
}
