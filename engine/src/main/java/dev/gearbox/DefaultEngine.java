package dev.gearbox;

import static java.util.Objects.requireNonNull;

import com.codahale.metrics.MetricRegistry;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.gearbox.AttemptImpl.Outcome;
import dev.gearbox.spi.AsyncWork;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.remote.MapSettings;
import dev.gearbox.spi.Work;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy core behind every backend: admission, queueing, priorities, deadlines, retries,
 * cancellation, events, metrics and the life cycle, over a {@link Backend} that only runs attempts.
 *
 * <p>Thread-safety: every method may be called from any thread. What threads share is guarded by
 * {@link #mainLock} (each field says what guards it), and no user code, backend call or future
 * completion runs while it is held. Memory effects: actions of a thread before it submits a task
 * happen-before {@link Backend#start} is called with the task's attempt; actions of a backend
 * before it reports an attempt happen-before the task's future completes, and the counts behind
 * the metrics include the task by the time its future is complete.
 */
final class DefaultEngine implements Engine {
  /*
   * Design overview
   * ---------------
   *
   * Admission. submitWork takes mainLock and, while the engine is RUNNING, either takes a slot
   * for the job at once (a slot is free and nobody waits), or queues it in the priority queue if
   * fewer than gearbox.queue.capacity tasks wait (queued here, or held unstarted in the backend's
   * prefetch room), or rejects it, or, under the BLOCK policy and not from a task of this engine,
   * waits on notFull for space. Whoever makes space (a queued job dispatched or cancelled) signals
   * one blocked submitter, and a submitter that got in passes the signal on while space remains,
   * so no wake-up is lost and none wakes a crowd. Shutting down wakes them all, to be rejected.
   *
   * Dispatch. A slot is taken under mainLock when a job is dispatched (busy++) and given back only
   * when the backend reports the attempt (busy--): the backend never holds more than parallelism
   * plus prefetch attempts, counting attempts that a timeout abandoned and that still run. The
   * thread that gives a slot back takes the head of the queue into it in the same critical section
   * (releaseSlotLocked) and starts it after the lock is released (launch). Beyond the slots, the
   * head goes into the backend's prefetch room only while more work waits behind it
   * (prefetchLocked, releaseSlotLocked), so priorities hold for everything not yet handed over.
   *
   * Backend.start is never re-entered from a report made inside it. launch pushes a StartFrame on
   * the thread's stack of frames for the duration of start; a report made in that call (a backend
   * that reports at once, or a start that throws) does its bookkeeping and leaves the rest (the
   * job dispatched on the slot it freed, and the future to complete) on that frame. launch runs
   * what was left once start has returned: starting each next job the same way, in a loop, however
   * many attempts report from inside their start. An in-process worker that runs attempts itself
   * (Attempt.runHere) is instead handed the next attempt as runHere's return value, when no
   * dependent action waits on the future its report completes: no queue hand-over, no wake-up.
   *
   * Settlement. An attempt's outcome is decided once, by the first of: the backend's report, the
   * deadline, a cancellation (AttemptImpl.decide); the slot is released once, by the first report
   * (AttemptImpl.claimReport). A report does its bookkeeping first: under mainLock the slot is
   * released and a success marks the job DONE and counts it; a failure is judged by the retry
   * policy and either waits for its retry (WAITING_RETRY) or marks the job DONE and counts it. Then
   * the job dispatched on the freed slot is started, and only then are the events queued and the
   * future completed, because a dependent action run by that completion may wait for the very job
   * that was next. A caller that saw the future complete sees the counts; the job leaves
   * `unfinished` only after its future is complete. The timer only triggers: deadlines and retries
   * run on the dispatcher, never on the timer thread.
   *
   * Termination. shutdown() and shutdownNow() move the run state forward under mainLock. Once
   * every accepted future is complete, the thread that completed the last one (or the shutdown
   * call, if none was left) moves it to TIDYING, releases the backend, timer, dispatcher, gauges
   * and event thread outside the lock, then sets TERMINATED and signals `termination`.
   * isTerminated() and awaitTermination() also wait for each of those to have ended: the
   * backend's threads and processes, and with them the reports they make.
   *
   * Run states
   * ----------
   *
   * After ThreadPoolExecutor's. The states are ordered, and runState only moves forward, always
   * under mainLock:
   *
   *   RUNNING     accepts jobs and dispatches queued ones
   *   SHUTDOWN    rejects new jobs; queued, running and retry-waiting jobs run to their end
   *   STOP        rejects new jobs; queued, running and retry-waiting jobs are cancelled (running
   *               ones interrupted, and killed after the grace period where the backend can
   *               kill); nothing more is dispatched and no retry is scheduled
   *   TIDYING     every accepted job's future is complete; one thread releases the backend
   *               (Backend.shutdown, or Backend.shutdownNow when coming from STOP), the timer,
   *               the dispatcher, the gauges and the event thread
   *   TERMINATED  all of those have been told to shut down; awaitTermination's wait for the
   *               engine ends here and goes on with theirs
   *
   *   RUNNING  -> SHUTDOWN    shutdown(), or close(), which starts with it
   *   RUNNING  -> STOP        shutdownNow(), ExecutorService.shutdownNow(), or close() interrupted
   *   SHUTDOWN -> STOP        the same
   *   SHUTDOWN -> TIDYING     the last accepted job's future completed, or shutdown() found none
   *   STOP     -> TIDYING     the same, after shutdownNow()
   *   TIDYING  -> TERMINATED  the releasing thread is done
   *
   * shutdown() past RUNNING changes nothing; shutdownNow() in TIDYING or TERMINATED changes no
   * state but forces the backend (Backend.shutdownNow). Reports arrive in any state: an attempt
   * whose future a cancellation or a timeout completed still reports when it ends, and only then
   * frees its slot.
   */

  private static final Logger log = LoggerFactory.getLogger(DefaultEngine.class);

  /** Attempts at the lock before blocking; see {@link #lockQuickly()}. */
  private static final int LOCK_SPINS = 100;
  /** How long close() waits, once no task runs, for a backend to release its threads and processes. */
  private static final Duration RELEASE_LIMIT = Duration.ofSeconds(30);

  /** The engine's life cycle: see "Run states" above. Ordered: the run state only moves forward. */
  private enum RunState { RUNNING, SHUTDOWN, STOP, TIDYING, TERMINATED }

  final EngineConfig config;
  private final String name;
  private final String backendName;
  final Backend backend;
  private final BackendCapabilities caps;
  private final int slots;
  /** Attempts the backend may hold beyond {@code slots}, not yet running ({@link Backend#prefetch()}). */
  private final int prefetch;
  final EngineMetrics metrics;
  private final ListenerBus bus;
  private final ScheduledThreadPoolExecutor timer;
  /**
   * Scope deadlines on the timer, not yet run nor cancelled. A scope the application never closed
   * keeps its deadline there; the engine cancels them as it terminates, so that they neither delay
   * the timer's end (delayed kills still run after its shutdown) nor outlive the engine.
   */
  private final java.util.Set<ScheduledFuture<?>> scopeDeadlines = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /**
   * Runs what the timer triggers (deadlines, retries), so that the timer thread itself never runs
   * a task, a backend call or a caller's callback and every deadline fires on time.
   */
  private final java.util.concurrent.ThreadPoolExecutor dispatcher;
  private final Duration defaultTimeout;
  private final RetryPolicy defaultRetry;
  private final Duration grace;
  private final int queueCapacity;
  private final boolean rejectWhenFull;
  /** What captures the submitter's context at submit ({@link ContextualWork}); empty for none. */
  private final ContextCarrier[] carriers;
  /** The engine's worker initializer, or null; its states are kept under {@link #workerKey} ({@link WorkerStates}). */
  private final WorkerInitializer initializer;
  /**
   * Names this engine's worker states in every JVM where its tasks run: unique per engine instance;
   * null without an initializer (a random UUID's first use in a JVM sets up {@code SecureRandom},
   * tens of milliseconds of a new JVM's first open).
   */
  private final String workerKey;
  /** Serialize-checks tasks at submit on a backend that does not ({@code gearbox.serialization.check=always}), or null. */
  private final dev.gearbox.spi.remote.Payloads serialCheck;

  /**
   * Guards the fields marked so, the {@link #queue}, and the state, live links and pending retry
   * of every {@link Job} of this engine. Held for a few hundred nanoseconds at a time: no user
   * code, backend call, future completion or event runs under it.
   */
  private final ReentrantLock mainLock = new ReentrantLock();
  /** Space opened in the queue, or the engine shut down: wakes submitters blocked for space. */
  private final Condition notFull = mainLock.newCondition();
  /** Signalled (all) on entering TERMINATED. */
  private final Condition termination = mainLock.newCondition();
  /** Jobs waiting for a slot. Guarded by mainLock. */
  private final JobQueue queue = new JobQueue();
  /**
   * Jobs RUNNING, PREFETCHED or WAITING_RETRY (queued ones are in {@link #queue}), as an intrusive list
   * through {@link Job#prevLive}/{@link Job#nextLive}: shutdownNow needs them, and linking is
   * cheaper under the lock than hashing. Guarded by mainLock.
   */
  private Job liveHead;
  /** Submitters waiting in {@code notFull.await()}; signalling is skipped when there are none. Guarded by mainLock. */
  private int blockedSubmitters;
  /**
   * What each task of this engine blocked in its own slot's thread waits for (one entry per wait,
   * {@link #enterNestedWait}). Guarded by mainLock.
   */
  private final java.util.ArrayList<Job> nestedWaits = new java.util.ArrayList<>();
  /**
   * Slots taken: attempts dispatched whose first report has not come yet, those held in the
   * prefetch room included. Guarded by mainLock.
   */
  private int busy;
  /**
   * Accepted jobs whose futures are not yet completed. Incremented under mainLock, and only while
   * RUNNING; decremented without it, only after the job's future completed (and the stop ladder
   * started), never at the moment a job is marked done, so termination cannot overtake a
   * completion in progress on another thread. Read under mainLock to decide termination.
   */
  private final AtomicInteger unfinished = new AtomicInteger();
  /** The per-task counts behind the metrics ({@link LockedCounts}). Guarded by mainLock. */
  private long submittedCount;
  private long completedCount;
  private long failedCount;
  private long cancelledCount;
  private long queuedCount;
  /**
   * The life cycle ({@link RunState}). Written only under mainLock, and only forward; volatile so
   * that isShutdown and isTerminated read it without the lock.
   */
  private volatile RunState runState = RunState.RUNNING;

  private final AtomicLong ids = new AtomicLong();
  /** Created on first use; written only under this engine's monitor, read without it (double-checked). */
  private volatile EngineExecutorService executorView;

  private DefaultEngine(EngineConfig config, BackendProvider provider, String name, MetricRegistry registry) {
    this.config = config;
    this.name = name;
    this.backendName = provider.name();
    this.defaultTimeout = config.taskTimeout().orElse(null);
    this.defaultRetry = config.defaultRetryPolicy();
    this.grace = config.cancelGrace();
    this.queueCapacity = config.queueCapacity();
    this.rejectWhenFull = config.queueFullPolicy() == QueueFullPolicy.REJECT;
    this.carriers = carriersOf(config);
    this.initializer = config.workerInitializer().orElse(null);
    this.workerKey = initializer == null ? null : java.util.UUID.randomUUID().toString();
    this.metrics = new EngineMetrics(registry, name, this::queueDepth, this::inFlight, new LockedCounts());
    this.bus = new ListenerBus(name);
    this.timer = new ScheduledThreadPoolExecutor(1,
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat("gearbox-" + name + "-timer").build());
    timer.setRemoveOnCancelPolicy(true);
    this.dispatcher = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 2, TimeUnit.SECONDS,
        new java.util.concurrent.SynchronousQueue<>(),
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat("gearbox-" + name + "-dispatch-%d").build());
    Backend created = null;
    try {
      created = provider.create(new Settings());
      BackendCapabilities c = created.capabilities();
      if (config.strictTimeouts() && !c.canKill()) {
        throw new EngineConfigException(EngineConfig.TIMEOUT_STRICT, "gearbox.timeout.strict=true (from "
            + config.sourceOf(EngineConfig.TIMEOUT_STRICT) + ") needs a backend that can stop a task that ignores"
            + " interrupts, but the '" + backendName + "' backend can only interrupt it. Use a backend that kills"
            + " (process, cluster), or set gearbox.timeout.strict=false to accept that a timed-out task may run on.");
      }
      if (created.parallelism() < 1) {
        throw new IllegalStateException("backend " + backendName + " reports parallelism " + created.parallelism());
      }
      if (initializer != null && (c.requiresSerializable() || config.checksSerialization())) {
        checkInitializerTravels();
      }
      if (initializer != null && c.sharedMemory()) {
        initializeHere();
      }
    } catch (RuntimeException e) {
      forgetWorkerState(); // a state, or a failure, made in this JVM as the backend started
      if (created != null) {
        created.shutdownNow();
      }
      timer.shutdownNow();
      dispatcher.shutdownNow();
      bus.shutdown();
      metrics.removeGauges();
      throw e;
    }
    this.backend = created;
    this.caps = created.capabilities();
    this.slots = created.parallelism();
    this.prefetch = slots == Integer.MAX_VALUE ? 0 : Math.max(0, Math.min(created.prefetch(), Integer.MAX_VALUE - slots));
    this.serialCheck = config.checksSerialization() && !caps.requiresSerializable()
        ? remoteLike(" (" + EngineConfig.SERIALIZATION_CHECK + "=always)")
        : null;
  }

  /**
   * Encodes as the remote levels do, with no size limit (each level has its own), for checks whose
   * bytes are dropped; messages say the work cannot be sent to "a worker process or a cluster member"
   * followed by {@code why}.
   */
  private static dev.gearbox.spi.remote.Payloads remoteLike(String why) {
    return new dev.gearbox.spi.remote.Payloads(new dev.gearbox.spi.remote.SerialCodec(dev.gearbox.spi.remote.SerialCodec.MAX_MAX_BYTES,
        null, EngineConfig.SERIALIZATION_CHECK, EngineConfig.SERIALIZATION_CHECK), "a worker process or a cluster member" + why);
  }

  /**
   * Where the initializer must travel (a remote backend, or {@code gearbox.serialization.check=always}),
   * one that cannot fails the open, instead of every task that would carry it.
   */
  private void checkInitializerTravels() {
    try {
      remoteLike("").prepare(InitializedWork.start(workerKey, initializer), "the worker initializer " + WorkerStates.describe(initializer));
    } catch (RejectedExecutionException e) {
      throw new EngineConfigException(EngineConfig.WORKER_INITIALIZER, e.getMessage());
    }
  }

  /** Drops this engine's worker state in this JVM, if it has an initializer and so a state. */
  private void forgetWorkerState() {
    if (workerKey != null) {
      WorkerStates.forget(workerKey);
    }
  }

  /** An in-process backend's one worker is this JVM: its state is made here, at open, in the opening thread. */
  private void initializeHere() {
    try {
      WorkerStates.stateFor(workerKey, initializer);
    } catch (WorkerInitializerException e) {
      throw new WorkerInitializerException("engine '" + name + "' (backend " + backendName + ") cannot start its worker,"
          + " this JVM: " + e.getMessage(), e.getCause());
    }
  }

  static Engine open(EngineConfig config) {
    requireNonNull(config, "config");
    BackendProvider provider = BackendRegistry.find(config.backend(), config.sourceOf(EngineConfig.BACKEND));
    Map<String, BackendProvider> all = BackendRegistry.providers();
    for (String key : config.backendOptions().keySet()) {
      boolean known = all.values().stream().anyMatch(p -> p.configKeys().contains(key));
      if (!known) {
        EngineConfigException e = EngineConfig.unknownKey(key);
        throw new EngineConfigException(key, e.getMessage() + " (from " + config.sourceOf(key) + ")");
      }
    }
    return open(config, provider);
  }

  /** Opens an engine on {@code provider}'s backend, whichever {@code gearbox.backend} names (tests give fakes). */
  static DefaultEngine open(EngineConfig config, BackendProvider provider) {
    String name = config.name().orElse(config.backend());
    MetricRegistry registry = config.metricRegistry().orElseGet(MetricRegistry::new);
    DefaultEngine engine = new DefaultEngine(config, provider, name, registry);
    if (config.jmx() || config.dashboardPort() >= 0) {
      engine.trackMaps = true;
      try {
        engine.views = dev.gearbox.view.EngineViews.open(engine, config.jmx(), config.dashboardPort(), config.dashboardBind());
      } catch (RuntimeException e) {
        engine.shutdownNow();
        engine.close();
        throw e;
      }
    }
    return engine;
  }

  /** The views configuration asked for (JMX, the dashboard), closed at termination; null for none. */
  private volatile dev.gearbox.view.EngineViews views;

  @Override
  public Optional<java.net.URI> dashboardUri() {
    dev.gearbox.view.EngineViews v = views;
    String url = v == null ? null : v.dashboardUrl();
    return url == null ? Optional.empty() : Optional.of(java.net.URI.create(url));
  }

  // ------------------------------------------------------------------ admission

  @Override
  public <T> TaskFuture<T> submit(Task<T> task) {
    return submit(task, TaskOptions.defaults());
  }

  @Override
  public <T> TaskFuture<T> submit(Task<T> task, TaskOptions options) {
    requireNonNull(task, "task");
    return cast(submitWork(task, options)); // the task itself: no wrapper held while it runs (Job#work)
  }

  @Override
  public <T> TaskFuture<T> submit(ContextTask<T> task) {
    return submit(task, TaskOptions.defaults());
  }

  @Override
  public <T> TaskFuture<T> submit(ContextTask<T> task, TaskOptions options) {
    requireNonNull(task, "task");
    return cast(submitWork(new ContextTaskWork(task), options));
  }

  @Override
  public <T> TaskFuture<T> submitAsync(AsyncTask<T> task) {
    return submitAsync(task, TaskOptions.defaults());
  }

  @Override
  public <T> TaskFuture<T> submitAsync(AsyncTask<T> task, TaskOptions options) {
    requireNonNull(task, "task");
    return cast(submitWork(new AsyncTaskWork(task), options));
  }

  @SuppressWarnings("unchecked")
  private static <T> TaskFuture<T> cast(TaskFuture<Object> f) {
    return (TaskFuture<T>) (TaskFuture<?>) f;
  }

  private static ContextCarrier[] carriersOf(EngineConfig config) {
    List<ContextCarrier> all = new ArrayList<>();
    if (config.carriesMdc()) {
      all.add(ContextCarrier.mdc());
    }
    all.addAll(config.contextCarriers());
    return all.toArray(new ContextCarrier[0]);
  }

  /**
   * {@code gearbox.serialization.check=always}: the task encoded as a remote backend would encode
   * it (channels travel as handles, as to a process worker), the bytes dropped, and a task that
   * could not cross rejected with the same words.
   */
  private void checkSerializable(Work work) {
    try {
      dev.gearbox.spi.ChannelHost.local().carrying(() -> serialCheck.prepare(work), pinned -> { });
    } catch (RejectedExecutionException e) {
      metrics.rejected.inc();
      throw e;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e); // prepare encodes in memory and reports its own failures unchecked
    }
  }

  /**
   * Admission: starts the job at once, queues it, waits for space, or rejects it.
   *
   * @param work a {@link Work}, or a {@link Task} to run as one (see {@link Job#work})
   */
  TaskFuture<Object> submitWork(Object work, TaskOptions options) {
    requireNonNull(options, "options");
    if (serialCheck != null) {
      checkSerializable(Job.asWork(work));
    }
    if (initializer != null) {
      work = InitializedWork.wrap(workerKey, initializer, Job.asWork(work));
    }
    work = ContextualWork.wrap(carriers, work);
    Object prepared;
    try {
      prepared = backend.prepare(Job.asWork(work));
    } catch (RejectedExecutionException e) {
      metrics.rejected.inc();
      throw e;
    }
    Job job = new Job(this, ids.incrementAndGet(), work, prepared, options);
    boolean dispatch = false;
    Job prefetched = null;
    lockQuickly();
    try {
      for (;;) {
        if (runState != RunState.RUNNING) {
          metrics.rejected.inc();
          throw new RejectedExecutionException("engine '" + name + "' is shut down; task " + job.label() + " was not accepted");
        }
        if (busy < slots && queue.isEmpty()) {
          busy++;
          job.state = Job.State.RUNNING;
          job.enqueuedNanos = job.submittedNanos;
          addLive(job);
          dispatch = true;
          break;
        }
        if (waitingLocked() < queueCapacity) {
          job.state = Job.State.QUEUED;
          job.enqueuedNanos = job.submittedNanos; // read a moment ago: one clock read per transition
          queue.add(job);
          queuedCount++;
          prefetched = prefetchLocked();
          break;
        }
        if (rejectWhenFull || AttemptImpl.engineRunningHere() == this) {
          metrics.rejected.inc();
          throw new RejectedExecutionException("engine '" + name + "': queue full (" + queueCapacity
              + " tasks waiting, gearbox.queue.capacity); task " + job.label() + " was not accepted"
              + (rejectWhenFull ? "" : ". It was submitted from a task of the same engine, where waiting for"
                  + " space could deadlock the pool"));
        }
        blockedSubmitters++;
        try {
          notFull.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          metrics.rejected.inc();
          throw new RejectedExecutionException("interrupted while waiting for space in the queue of engine '"
              + name + "'; task " + job.label() + " was not accepted", e);
        } finally {
          blockedSubmitters--;
        }
      }
      unfinished.incrementAndGet();
      submittedCount++;
      if (blockedSubmitters > 0 && waitingLocked() < queueCapacity) {
        notFull.signal(); // pass the wake-up on: this submitter may not have used the space it was woken for
      }
      if (!bus.isEmpty()) {
        TaskEvent ev = job.event(0);
        bus.emit("taskSubmitted", l -> l.taskSubmitted(ev));
      }
    } finally {
      mainLock.unlock();
    }
    if (dispatch) {
      launch(job);
    } else if (prefetched != null) {
      launch(prefetched);
    }
    return job;
  }

  /** Tasks waiting to run: queued here, or held unstarted in the backend's prefetch room. Caller holds mainLock. */
  private int waitingLocked() {
    return queue.size() + Math.max(0, busy - slots);
  }

  // ------------------------------------------------------------------ dispatch

  /**
   * Hands the head of the queue to the backend's prefetch room, if it has room and more work
   * waits behind that head; returns it (now dispatched) or null. Caller holds mainLock.
   */
  private Job prefetchLocked() {
    // Still waiting once handed over, in the backend now: no room freed for a blocked submitter.
    return busy >= slots && busy < slots + prefetch && queue.size() >= 2 && runState == RunState.RUNNING
        ? dispatchHeadLocked() : null;
  }

  /** Takes the head of the queue, if any, into a slot (or the prefetch room, beyond the slots). Caller holds mainLock. */
  private Job dispatchHeadLocked() {
    Job next = queue.poll();
    if (next != null) {
      next.state = busy >= slots ? Job.State.PREFETCHED : Job.State.RUNNING;
      busy++;
      addLive(next);
    }
    return next;
  }

  /** Gives a slot back; returns the next queued job, now dispatched on that slot, or null. */
  private Job releaseSlot() {
    lockQuickly();
    try {
      return releaseSlotLocked();
    } finally {
      mainLock.unlock();
    }
  }

  /** {@link #releaseSlot()}, for a caller that holds mainLock. */
  private Job releaseSlotLocked() {
    busy--;
    // A freed running slot takes the head of the queue; the prefetch room only takes it while
    // more work waits behind it. From STOP on nothing more is dispatched.
    Job next = null;
    if ((busy < slots || (busy < slots + prefetch && queue.size() >= 2)) && runState.compareTo(RunState.STOP) < 0) {
      next = dispatchHeadLocked();
    }
    if (blockedSubmitters > 0 && waitingLocked() < queueCapacity) {
      notFull.signal();
    }
    return next;
  }

  /**
   * Starts an attempt of {@code job}, which holds a slot, then does what reports made inside that
   * start left on its frame, innermost first, as a recursion would but in a loop: for each, the
   * job dispatched on the slot it freed is started (and what its own start leaves is done next),
   * and only then the future it settled is completed, because that future's dependent actions may
   * wait for the jobs started after it. If a step throws, the rest is still done and the first
   * failure is thrown at the end: nothing left here may be dropped, or its future would never
   * complete and its slot never come back.
   */
  private void launch(Job job) {
    ArrayDeque<Deferred> stack = pushAll(null, startAttempt(job));
    Throwable failure = null;
    Deferred d;
    while (stack != null && (d = stack.pollFirst()) != null) {
      try {
        if (d.next() != null) {
          if (d.settled() != null) {
            stack.addFirst(new Deferred(null, d.settled(), d.outcome())); // after what the next start leaves
          }
          stack = pushAll(stack, startAttempt(d.next()));
        } else if (d.settled() != null) {
          completeSettled(d.settled(), d.outcome());
        }
      } catch (RuntimeException | Error e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure instanceof RuntimeException e) {
      throw e;
    } else if (failure instanceof Error e) {
      throw e;
    }
  }

  /** Puts {@code left} on top of {@code stack}, keeping its order (its first is done first). */
  private static ArrayDeque<Deferred> pushAll(ArrayDeque<Deferred> stack, ArrayDeque<Deferred> left) {
    if (left == null) {
      return stack;
    }
    if (stack == null) {
      return left;
    }
    for (java.util.Iterator<Deferred> it = left.descendingIterator(); it.hasNext(); ) {
      stack.addFirst(it.next());
    }
    return stack;
  }

  /**
   * Starts an attempt of {@code job} (or of the job its slot passes to, if it was cancelled since
   * dispatch) through the backend, inside a {@link StartFrame}.
   *
   * @return what reports made inside the start left on the frame, in order, or null
   */
  private ArrayDeque<Deferred> startAttempt(Job job) {
    AttemptImpl a = attemptFor(job, System.nanoTime(), false);
    if (a == null) {
      return null;
    }
    StartFrame frame = StartFrame.push(this);
    try {
      Execution e = backend.start(a);
      a.execution = e;
      if (a.isCancelled()) {
        e.interrupt(); // a cancellation raced with start
      }
    } catch (RuntimeException | Error e) {
      // Reported as the attempt's failure; from inside the frame, so what follows is left on it.
      finish(a, Outcome.failure(new EngineException(a.job.id, a.job.name(),
          "the " + backendName + " backend could not start it: " + describe(e), e)), false, System.nanoTime());
    } finally {
      frame.pop();
    }
    return frame.left;
  }

  /** {@code t.toString()}, or its class name if even that throws (a message that fails to build). */
  private static String describe(Throwable t) {
    try {
      return t.toString();
    } catch (RuntimeException | Error e) {
      return t.getClass().getName();
    }
  }

  /**
   * A new attempt for a dispatched job (its slot taken). A job cancelled since dispatch gives its
   * slot to the next queued job instead, so this returns an attempt of some job, or null.
   *
   * @param now {@link System#nanoTime()} as the job leaves the queue (ends its queue wait)
   * @param handedBack whether the attempt goes back to a runHere that runs it at once, which then
   *     takes {@code now} as its start
   */
  private AttemptImpl attemptFor(Job job, long now, boolean handedBack) {
    while (job != null) {
      metrics.recordQueueWait(now - job.enqueuedNanos, now);
      if (handedBack) {
        job.enqueuedNanos = now; // read back by runHere, in this thread, as the attempt's start
      }
      AttemptImpl a = new AttemptImpl(job, job.attempts() + 1, handedBack);
      job.current = a;
      if (!job.isDone()) {
        return a;
      }
      a.decide();
      a.claimReport();
      job = releaseSlot();
      now = System.nanoTime();
    }
    return null;
  }

  /**
   * What a report made inside a {@link Backend#start} leaves for {@link #launch} to do once that
   * start has returned: start {@code next} (a job dispatched on the slot the report freed), then
   * complete {@code settled}'s future with {@code outcome}. Either may be null.
   */
  private record Deferred(Job next, Job settled, Object outcome) {}

  /**
   * One call to {@link Backend#start} in progress on the current thread. Frames form a stack per
   * thread: starts nest only when a task that runs inside its backend's start (the direct backend)
   * submits. {@link #finish} leaves what it would start or complete on the innermost frame of its
   * own engine, if there is one, rather than start that engine's backend again from inside its
   * own start. Thread-confined.
   */
  private static final class StartFrame {
    /** The innermost frame of each thread, in a holder so that pushing and popping cost no map lookup. */
    private static final ThreadLocal<StartFrame[]> TOP = new ThreadLocal<>();
    /**
     * Frames pushed on virtual threads and not yet popped, in every engine. Reading a thread-local
     * makes the thread's map if it has none (about 136 bytes), and a virtual thread usually runs one
     * task, whose report looks for a frame: while this is 0 no virtual thread has one, so the
     * lookup is skipped. A frame this thread pushed is counted before it can be looked up here.
     * Shared by every thread, unlike the frames. A report that then starts the next task pushes a
     * frame of its own, which makes the map anyway: the saving is for reports that start nothing.
     */
    private static final java.util.concurrent.atomic.AtomicInteger ON_VIRTUAL_THREADS = new java.util.concurrent.atomic.AtomicInteger();

    private final DefaultEngine engine;
    private final StartFrame outer;
    private final StartFrame[] top;
    /** Left by reports made inside this start, in order; null while nothing is. */
    private ArrayDeque<Deferred> left;

    private StartFrame(DefaultEngine engine, StartFrame outer, StartFrame[] top) {
      this.engine = engine;
      this.outer = outer;
      this.top = top;
    }

    static StartFrame push(DefaultEngine engine) {
      StartFrame[] top = TOP.get();
      if (top == null) {
        top = new StartFrame[1];
        TOP.set(top);
      }
      StartFrame f = new StartFrame(engine, top[0], top);
      if (Thread.currentThread().isVirtual()) {
        ON_VIRTUAL_THREADS.incrementAndGet(); // once nothing here can throw: a count never outlives its frame
      }
      top[0] = f;
      return f;
    }

    void pop() {
      top[0] = outer;
      if (Thread.currentThread().isVirtual()) {
        ON_VIRTUAL_THREADS.decrementAndGet();
      }
    }

    /** The innermost frame of {@code engine} on this thread, or null. */
    static StartFrame of(DefaultEngine engine) {
      if (ON_VIRTUAL_THREADS.get() == 0 && Thread.currentThread().isVirtual()) {
        return null; // no virtual thread has a frame, this one neither: no map made to find out
      }
      StartFrame[] top = TOP.get();
      for (StartFrame f = top == null ? null : top[0]; f != null; f = f.outer) {
        if (f.engine == engine) {
          return f;
        }
      }
      return null;
    }

    void leave(Deferred d) {
      if (left == null) {
        left = new ArrayDeque<>();
      }
      left.add(d);
    }
  }

  // ------------------------------------------------------------------ settlement

  void onStarted(AttemptImpl a) {
    Job job = a.job;
    Duration timeout = job.timeout();
    if (timeout != null && !a.isDecided()) {
      try {
        a.deadline = timer.schedule(() -> runOnDispatcher(() -> onDeadline(a)), timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (a.isReported()) {
          a.deadline.cancel(false); // the report came first, on another thread
        }
      } catch (RejectedExecutionException e) {
        log.debug("Gearbox: no deadline for {}: engine terminating", a);
      }
    }
    if (!bus.isEmpty()) {
      TaskEvent ev = job.event(a.number());
      bus.emit("taskStarted", l -> l.taskStarted(ev));
    }
  }

  private void onDeadline(AttemptImpl a) {
    if (!a.decide()) {
      return;
    }
    metrics.timedOut.inc();
    stop(a, true);
    TaskTimeoutException failure = new TaskTimeoutException(a.job.id, a.job.name(), a.job.timeout());
    Object timedOut = Outcome.failure(failure);
    if (retryOrSettle(a, failure)) {
      completeSettled(a.job, timedOut);
    }
  }

  /** The stop ladder: cooperative flag, then interrupt, then (if the backend can) kill after the grace period. */
  private void stop(AttemptImpl a, boolean interrupt) {
    a.markCancelled();
    if (!interrupt) {
      Execution e = a.execution;
      if (e != null) {
        e.cancel(); // a remote task learns of the cooperative flag this way
      }
      return;
    }
    a.interrupt();
    if (caps.canKill()) {
      Runnable kill = () -> {
        Execution e = a.execution;
        if (!a.isReported() && e != null && e.kill()) {
          log.info("Gearbox: engine {} killed the worker running {}: it ignored the interrupt for {} ms",
              name, a, grace.toMillis());
        }
      };
      // The kill takes the deadline's place on the attempt (decided now, so its deadline has no
      // more to do), so the report cancels it as it would the deadline: an attempt that ends within
      // the grace leaves nothing on the timer, whose end close() waits for.
      ScheduledFuture<?> deadline = a.deadline;
      if (deadline != null) {
        deadline.cancel(false);
      }
      try {
        ScheduledFuture<?> k = timer.schedule(kill, grace.toNanos(), TimeUnit.NANOSECONDS);
        a.deadline = k;
        if (a.isReported()) {
          k.cancel(false); // the report came first, on another thread
        }
      } catch (RejectedExecutionException e) {
        kill.run();
      }
    }
  }

  /** The backend's report; the first one releases the slot, and decides the outcome if nothing else did. */
  void onReport(AttemptImpl a, Object outcome) {
    finish(a, outcome, false, System.nanoTime());
  }

  /**
   * Like {@link #onReport}, for a report from {@link AttemptImpl#runHere()}: the next dispatched
   * attempt is returned for the reporting thread to run itself, so an in-process worker goes from
   * one task to the next without a hand-over through its pool's queue (and the wake-ups that costs).
   */
  AttemptImpl onReportFromRunHere(AttemptImpl a, Object outcome) {
    // One clock read ends this attempt's run, the next job's queue wait, and starts its run.
    long now = System.nanoTime();
    return attemptFor(finish(a, outcome, true, now), now, true);
  }

  /**
   * A report: releases the attempt's slot and settles the attempt (bookkeeping), then starts the
   * job dispatched on the freed slot, then completes the settled job's future. The next job is
   * returned instead of started when {@code fromRunHere} and nobody depends on this future
   * (completing it runs the caller's dependent actions in this thread, and one of them may wait
   * for that very next job). From inside a start of this engine's backend on this thread, starting
   * and completing are left on that start's {@link StartFrame} instead.
   *
   * @param now {@link System#nanoTime()} as the report came
   * @return the next job for the caller to run, or null
   */
  private Job finish(AttemptImpl a, Object outcome, boolean fromRunHere, long now) {
    int claim = a.claimReportAndDecide();
    if (claim == AttemptImpl.CLAIMED_BEFORE) {
      return null;
    }
    boolean decided = claim == AttemptImpl.REPORT_DECIDES;
    ScheduledFuture<?> d = a.deadline;
    if (d != null) {
      d.cancel(false);
    }
    long startedAt = a.startedNanos;
    long run = startedAt != 0L ? now - startedAt : 0L;
    if (startedAt != 0L) {
      metrics.recordRunTime(run, now);
    }
    if (decided && Outcome.succeeded(outcome)) {
      a.job.enqueuedNanos = run; // the job ends with this success: its queue time gives way to the run time (Job#successRunNanos)
    }
    Job job = a.job;
    Job next;
    boolean settled = false;
    lockQuickly();
    try {
      // The common path gives the slot back and settles the job in one critical section.
      next = releaseSlotLocked();
      if (decided && Outcome.succeeded(outcome) && settleLocked(job)) {
        completedCount++;
        settled = true;
      }
    } finally {
      mainLock.unlock();
    }
    if (decided && !Outcome.succeeded(outcome)) {
      try {
        settled = retryOrSettle(a, Outcome.failureOf(outcome));
      } catch (RuntimeException | Error e) {
        if (next != null) { // the slot was handed on: its job must start whatever went wrong here
          StartFrame frame = StartFrame.of(this);
          if (frame != null) {
            frame.leave(new Deferred(next, null, null));
          } else {
            launch(next);
          }
        }
        throw e;
      }
    }
    // The bookkeeping is done: now what it leads to.
    if (next != null && fromRunHere && job.getNumberOfDependents() == 0) {
      if (settled) {
        completeSettled(job, outcome);
      }
      return next;
    }
    if (next == null && !settled) {
      return null;
    }
    StartFrame frame = StartFrame.of(this);
    if (frame != null) {
      // Inside our backend's start: its launch does this once start returns, so that neither a
      // next job nor a dependent action that submits can enter the backend's start again.
      frame.leave(new Deferred(next, settled ? job : null, outcome));
      return null;
    }
    if (next != null) {
      launch(next);
    }
    if (settled) {
      completeSettled(job, outcome);
    }
    return null;
  }

  /**
   * Bookkeeping for an attempt decided as failed: schedules a retry if the policy wants one and
   * the engine is not stopping, else marks the job DONE and counts it.
   *
   * @return whether this settled the job, for the caller to complete its future
   */
  private boolean retryOrSettle(AttemptImpl a, Throwable failure) {
    Job job = a.job;
    boolean retry;
    try {
      retry = a.number() < Math.min(job.retry().maxAttempts(), AttemptImpl.MAX_NUMBER) && job.retry().shouldRetry(failure);
    } catch (RuntimeException | Error e) {
      log.warn("Gearbox: the retry policy of {} threw while judging {}; not retrying", job.label(), failure, e);
      if (e != failure) {
        failure.addSuppressed(e);
      }
      retry = false;
    }
    if (retry) {
      Duration delay = job.retry().delayBefore(a.number() + 1);
      boolean scheduled = false;
      lockQuickly();
      try {
        if (job.state == Job.State.DONE) {
          return false;
        }
        if (runState.compareTo(RunState.STOP) < 0) { // from STOP on, this failure ends the job
          try {
            job.pendingRetry = timer.schedule(() -> runOnDispatcher(() -> requeue(job)), delay.toNanos(), TimeUnit.NANOSECONDS);
            job.state = Job.State.WAITING_RETRY;
            metrics.retried.inc();
            scheduled = true;
          } catch (RejectedExecutionException e) {
            log.debug("Gearbox: no retry for {}: engine terminating", a);
          }
        }
      } finally {
        mainLock.unlock();
      }
      if (scheduled) {
        log.debug("Gearbox: {} failed ({}); retrying in {} ms", a, failure, delay.toMillis());
        if (!bus.isEmpty()) {
          TaskEvent ev = job.event(a.number());
          bus.emit("taskRetried", l -> l.taskRetried(ev, failure, delay));
        }
        return false;
      }
    }
    lockQuickly();
    try {
      if (!settleLocked(job)) {
        return false;
      }
      failedCount++;
      return true;
    } finally {
      mainLock.unlock();
    }
  }

  private void requeue(Job job) {
    boolean dispatch = false;
    boolean cancel = false;
    lockQuickly();
    try {
      if (job.state != Job.State.WAITING_RETRY) {
        return;
      }
      job.pendingRetry = null;
      if (runState.compareTo(RunState.STOP) >= 0) {
        cancel = true;
      } else if (busy < slots && queue.isEmpty()) {
        busy++;
        job.state = Job.State.RUNNING;
        job.enqueuedNanos = System.nanoTime();
        dispatch = true;
      } else {
        removeLive(job);
        job.state = Job.State.QUEUED;
        job.enqueuedNanos = System.nanoTime();
        queue.addRetry(job); // never rejected for a full queue: it was admitted already
      }
    } finally {
      mainLock.unlock();
    }
    if (cancel) {
      cancel(job, false);
    } else if (dispatch) {
      launch(job);
    }
  }

  /** Completes the future of a job just settled (marked DONE and counted), then lets it go. */
  private void completeSettled(Job job, Object outcome) {
    CompletingStack c = CompletingStack.enter(this);
    try {
      complete(job, outcome);
    } finally {
      c.exit();
    }
    finished();
  }

  /**
   * Completes a future of this engine (running its dependent actions) marked as such on this
   * thread: the task still counts as unfinished until they return, so {@link #close()} there
   * would wait for itself.
   */
  private void completing(Runnable completion) {
    CompletingStack c = CompletingStack.enter(this);
    try {
      completion.run();
    } finally {
      c.exit();
    }
  }

  /** Whether this thread is completing a future of this engine, however deep (a dependent of one engine's task may complete another's). */
  private boolean completingHere() {
    CompletingStack c = CompletingStack.current();
    return c != null && c.contains(this);
  }

  /**
   * The engines whose futures this thread is completing, innermost last. A platform thread keeps
   * its stack for its life once made (an array and a depth), in a thread-local, so that marking a
   * completion allocates nothing. A virtual thread usually completes one task's future and ends: a
   * thread-local would make it a map of its own (about 136 bytes) for that, so its stack lives in
   * shared tables instead, {@value #STRIPES} identity maps keyed by the thread and striped by its
   * id, each guarded by its own monitor (held for a lookup, an insert or a removal only), and only
   * while it is completing something. Thread-confined: a thread reads and writes only its own stack.
   */
  private static final class CompletingStack {
    static final ThreadLocal<CompletingStack> CURRENT = new ThreadLocal<>();
    /** Stripes of the virtual threads' tables: a power of two. */
    private static final int STRIPES = 64;
    @SuppressWarnings({"unchecked", "rawtypes"}) // an array of a generic type
    private static final java.util.IdentityHashMap<Thread, CompletingStack>[] VIRTUAL = new java.util.IdentityHashMap[STRIPES];

    static {
      for (int i = 0; i < STRIPES; i++) {
        VIRTUAL[i] = new java.util.IdentityHashMap<>();
      }
    }

    private DefaultEngine[] engines = new DefaultEngine[2];
    private int depth;

    static CompletingStack enter(DefaultEngine engine) {
      Thread me = Thread.currentThread();
      CompletingStack c;
      if (me.isVirtual()) {
        java.util.IdentityHashMap<Thread, CompletingStack> m = tableOf(me);
        synchronized (m) {
          c = m.get(me);
          if (c == null) {
            c = new CompletingStack();
            m.put(me, c);
          }
        }
      } else {
        c = CURRENT.get();
        if (c == null) {
          c = new CompletingStack();
          CURRENT.set(c);
        }
      }
      if (c.depth == c.engines.length) {
        c.engines = java.util.Arrays.copyOf(c.engines, c.depth * 2);
      }
      c.engines[c.depth++] = engine;
      return c;
    }

    /** This thread's stack, or null if it has none. */
    static CompletingStack current() {
      Thread me = Thread.currentThread();
      if (me.isVirtual()) {
        java.util.IdentityHashMap<Thread, CompletingStack> m = tableOf(me);
        synchronized (m) {
          return m.get(me);
        }
      }
      return CURRENT.get();
    }

    private static java.util.IdentityHashMap<Thread, CompletingStack> tableOf(Thread t) {
      return VIRTUAL[(int) t.threadId() & (STRIPES - 1)];
    }

    void exit() {
      engines[--depth] = null;
      Thread me = Thread.currentThread();
      if (depth == 0 && me.isVirtual()) {
        java.util.IdentityHashMap<Thread, CompletingStack> m = tableOf(me);
        synchronized (m) {
          m.remove(me);
        }
      }
    }

    boolean contains(DefaultEngine engine) {
      for (int i = 0; i < depth; i++) {
        if (engines[i] == engine) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * A thread is about to block, without a time limit, waiting for {@code awaited}'s future. If that
   * thread is running a task of this engine in-process, the wait is recorded with what it awaits
   * until {@link #exitNestedWait}; and if every slot is then held by such waits and every one of
   * them awaits a job that has not started, nothing could ever start one: the wait fails at once
   * instead of hanging, which fails the waiting task (unless it catches it), frees its slot and
   * lets the others go on. An interruptible wait of a task with a deadline is not recorded: the
   * deadline interrupts it.
   *
   * @return whether the caller must call {@link #exitNestedWait} after its wait
   * @throws IllegalStateException if the wait could never end
   */
  boolean enterNestedWait(Job awaited, boolean interruptible) {
    AttemptImpl waiter = AttemptImpl.workRunningHere();
    if (waiter == null || waiter.job.engine != this) {
      return false; // not a task of this engine running in its slot: its wait holds no slot
    }
    if (awaited == waiter.job) {
      throw new IllegalStateException("task " + awaited.name() + " of engine '" + name + "' waits for its own future,"
          + " which completes only when the task returns: return the value instead of waiting for it");
    }
    if (interruptible && (waiter.job.timeout() != null || Thread.currentThread().isInterrupted())) {
      return false; // its deadline (or a pending interrupt) ends this wait: it does not block for ever
    }
    lockQuickly();
    try {
      nestedWaits.add(awaited);
      if (nestedWaits.size() >= slots && nestedWaits.stream().allMatch(DefaultEngine::cannotStart)) {
        nestedWaits.remove(nestedWaits.size() - 1);
        throw new IllegalStateException("task " + waiter.job.name() + " of engine '" + name + "' waits for task "
            + awaited.name() + " of the same engine, which has not started and never could: all " + slots + " of the"
            + " engine's slots are held by tasks waiting like this one. Raise gearbox.workers, submit the inner tasks to another engine, or"
            + " compose instead of waiting (thenCompose, submitAsync)");
      }
      return true;
    } finally {
      mainLock.unlock();
    }
  }

  /** A job that holds no slot and waits for one: only a slot freeing up could start it. Caller holds mainLock. */
  private static boolean cannotStart(Job job) {
    return job.state == Job.State.QUEUED || job.state == Job.State.WAITING_RETRY;
  }

  /** The end of a wait {@link #enterNestedWait} counted. */
  void exitNestedWait(Job awaited) {
    lockQuickly();
    try {
      nestedWaits.remove(awaited);
    } finally {
      mainLock.unlock();
    }
  }

  /** A settled job's future is complete: the last one after shutdown terminates the engine. */
  private void finished() {
    if (unfinished.decrementAndGet() == 0) {
      tryTerminate();
    }
  }

  /** Runs timer-triggered work on the dispatcher; inline once the engine is terminating. */
  private void runOnDispatcher(Runnable r) {
    try {
      dispatcher.execute(r);
    } catch (RejectedExecutionException e) {
      r.run();
    }
  }

  /** Queues the events of a job just settled and completes its future. */
  private void complete(Job job, Object outcome) {
    int attempt = job.attempts();
    if (Outcome.succeeded(outcome)) {
      if (!bus.isEmpty()) {
        TaskEvent ev = job.event(attempt);
        bus.emit("taskSucceeded", l -> l.taskSucceeded(ev));
      }
      job.succeed(outcome);
    } else {
      Throwable f = Outcome.failureOf(outcome);
      if (!bus.isEmpty()) {
        TaskEvent ev = job.event(attempt);
        bus.emit("taskFailed", l -> l.taskFailed(ev, f));
      }
      job.fail(f);
    }
  }

  /** Cancels a job in any state; called by {@link TaskFuture#cancel} and by shutdownNow. */
  void cancel(Job job, boolean mayInterrupt) {
    boolean wasRunning;
    lockQuickly();
    try {
      wasRunning = job.state == Job.State.RUNNING || job.state == Job.State.PREFETCHED;
      if (!settleLocked(job)) {
        return;
      }
      cancelledCount++;
    } finally {
      mainLock.unlock();
    }
    if (!bus.isEmpty()) {
      TaskEvent ev = job.event(job.attempts());
      bus.emit("taskCancelled", l -> l.taskCancelled(ev));
    }
    completing(() -> job.cancelInternal());
    if (wasRunning) {
      AttemptImpl a = job.current;
      if (a != null && a.decide()) {
        stop(a, mayInterrupt);
      }
    }
    finished();
  }

  /**
   * Takes mainLock, spinning briefly first: critical sections here are a few hundred
   * nanoseconds, far less than parking and waking a thread costs, so a short spin usually wins
   * (the adaptive-mutex idea). Falls back to a normal blocking acquire.
   */
  private void lockQuickly() {
    for (int i = 0; i < LOCK_SPINS; i++) {
      if (mainLock.tryLock()) {
        return;
      }
      Thread.onSpinWait();
    }
    mainLock.lock();
  }

  /** Whether {@code job} is in the list of live jobs. Caller holds mainLock. */
  private boolean isLiveLocked(Job job) {
    return job.prevLive != null || liveHead == job;
  }

  /** Caller holds mainLock. */
  private void addLive(Job job) {
    if (isLiveLocked(job)) {
      return;
    }
    job.prevLive = null;
    job.nextLive = liveHead;
    if (liveHead != null) {
      liveHead.prevLive = job;
    }
    liveHead = job;
  }

  /** Caller holds mainLock. */
  private void removeLive(Job job) {
    if (!isLiveLocked(job)) {
      return;
    }
    if (job.prevLive != null) {
      job.prevLive.nextLive = job.nextLive;
    } else {
      liveHead = job.nextLive;
    }
    if (job.nextLive != null) {
      job.nextLive.prevLive = job.prevLive;
    }
    job.prevLive = null;
    job.nextLive = null;
  }

  /** Marks the job DONE; false if it already was. Caller holds mainLock. */
  private boolean settleLocked(Job job) {
    switch (job.state) {
      case DONE:
        return false;
      case QUEUED:
        queue.remove(job);
        if (blockedSubmitters > 0) {
          notFull.signal();
        }
        break;
      case WAITING_RETRY:
        if (job.pendingRetry != null) {
          job.pendingRetry.cancel(false);
          job.pendingRetry = null;
        }
        removeLive(job);
        break;
      default:
        removeLive(job);
    }
    job.state = Job.State.DONE;
    return true;
  }

  void onProgress(AttemptImpl a, double fraction, String message) {
    if (!bus.isEmpty()) {
      TaskEvent ev = a.job.event(a.number());
      bus.emit("taskProgress", l -> l.taskProgress(ev, fraction, message));
    }
  }

  // ------------------------------------------------------------------ scopes

  @Override
  public <T> Scope<T> openScope(ScopeOptions options) {
    requireNonNull(options, "options");
    rejectIfShutdown("openScope");
    return StructuredScope.open(this, options, this::scheduleOnDispatcher);
  }

  /** Runs {@code action} on the dispatcher after {@code delay} (the timer only triggers); returns what cancels it. */
  private Runnable scheduleOnDispatcher(Runnable action, Duration delay) {
    try {
      ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
      ScheduledFuture<?> f = timer.schedule(() -> {
        ScheduledFuture<?> me = self[0];
        if (me != null) {
          scopeDeadlines.remove(me);
        }
        runOnDispatcher(action);
      }, delay.toNanos(), TimeUnit.NANOSECONDS);
      self[0] = f;
      scopeDeadlines.add(f);
      if (f.isDone()) {
        scopeDeadlines.remove(f); // it ran before it was recorded
      }
      return () -> {
        f.cancel(false);
        scopeDeadlines.remove(f);
      };
    } catch (RejectedExecutionException e) {
      return () -> { }; // terminating: every child's future completes without a deadline
    }
  }

  // ------------------------------------------------------------------ map

  @Override
  public <I, O> Stream<O> map(TaskFunction<? super I, ? extends O> fn, Iterable<? extends I> inputs) {
    return map(fn, inputs, MapOptions.defaults());
  }

  @Override
  public <I, O> Stream<O> map(TaskFunction<? super I, ? extends O> fn, Iterable<? extends I> inputs, MapOptions options) {
    requireNonNull(inputs, "inputs");
    rejectIfShutdown("map");
    return new MapRun<I, O>(this, fn, inputs.iterator(), options, true, null, MapRun.sizeOf(inputs)).stream();
  }

  @Override
  public <I, O> Stream<O> map(TaskFunction<? super I, ? extends O> fn, Stream<? extends I> inputs, MapOptions options) {
    requireNonNull(inputs, "inputs");
    rejectIfShutdown("map");
    java.util.Spliterator<? extends I> split = inputs.spliterator();
    return new MapRun<I, O>(this, fn, java.util.Spliterators.iterator(split), options, true, inputs,
        split.getExactSizeIfKnown()).stream();
  }

  @Override
  public <I, O> Stream<O> mapUnordered(TaskFunction<? super I, ? extends O> fn, Iterable<? extends I> inputs) {
    return mapUnordered(fn, inputs, MapOptions.defaults());
  }

  @Override
  public <I, O> Stream<O> mapUnordered(TaskFunction<? super I, ? extends O> fn, Iterable<? extends I> inputs,
      MapOptions options) {
    requireNonNull(inputs, "inputs");
    rejectIfShutdown("mapUnordered");
    return new MapRun<I, O>(this, fn, inputs.iterator(), options, false, null, MapRun.sizeOf(inputs)).stream();
  }

  /**
   * A map call after shutdown fails at the call, as {@code submit} does, instead of returning a
   * stream that fails once iterated. (A shutdown racing with the call still ends the stream with
   * the rejection of its next job.)
   */
  private void rejectIfShutdown(String call) {
    if (isShutdown()) {
      throw new RejectedExecutionException("engine '" + name + "' is shut down; " + call + " was not started");
    }
  }

  /** The retry policy for tasks whose options leave it open. */
  RetryPolicy defaultRetry() {
    return defaultRetry;
  }

  /** The timeout for tasks whose options leave it open, or null. */
  Duration defaultTimeout() {
    return defaultTimeout;
  }

  /** The window a map call uses when its options and the configuration leave it open. */
  int defaultMapWindow() {
    if (config.mapWindow() > 0) {
      return config.mapWindow();
    }
    if (slots == Integer.MAX_VALUE) {
      return 1; // direct: each job runs at submit, so a larger window only buffers results early
    }
    return (int) Math.max(16, Math.min(1024, 4L * slots));
  }

  // ------------------------------------------------------------------ termination

  @Override
  public void shutdown() {
    lockQuickly();
    try {
      advanceRunStateLocked(RunState.SHUTDOWN);
      notFull.signalAll();
    } finally {
      mainLock.unlock();
    }
    tryTerminate();
  }

  @Override
  public void shutdownNow() {
    shutdownNowReturningQueued();
  }

  /** shutdownNow, returning the jobs that never started (for {@link ExecutorService#shutdownNow()}). */
  List<Job> shutdownNowReturningQueued() {
    List<Job> queued;
    List<Job> running;
    List<Job> held; // dispatched into the backend's prefetch room: from STOP on nothing is dispatched, so this stays
    boolean releasing;
    lockQuickly();
    try {
      releasing = runState.compareTo(RunState.TIDYING) >= 0;
      advanceRunStateLocked(RunState.STOP);
      queued = queue.snapshotInRunOrder();
      running = new ArrayList<>();
      held = new ArrayList<>();
      for (Job j = liveHead; j != null; j = j.nextLive) {
        (j.state == Job.State.PREFETCHED ? held : running).add(j);
      }
      notFull.signalAll();
    } finally {
      mainLock.unlock();
    }
    List<Job> neverStarted = new ArrayList<>();
    for (Job job : queued) {
      if (job.attempts() == 0) {
        neverStarted.add(job);
      }
      cancel(job, true);
    }
    // Attempts handed to the backend's prefetch room and not started are cancelled first, before
    // the running ones are interrupted: each of those that stops frees a slot that a held attempt
    // would take, and it must find its cancel there before it starts (best effort, as
    // ExecutorService allows: one starting this very moment is interrupted instead).
    List<Job> started = new ArrayList<>();
    for (Job job : held) {
      AttemptImpl a = job.current;
      if (job.attempts() == 1 && a != null && a.startedNanos == 0L) {
        neverStarted.add(job);
        cancel(job, true);
      } else {
        started.add(job);
      }
    }
    started.addAll(running);
    for (Job job : started) {
      cancel(job, true);
    }
    if (releasing) {
      backend.shutdownNow(); // a graceful release began first: force what it left running
    }
    tryTerminate();
    return neverStarted;
  }

  /** Moves the run state forward to {@code target}; a later state stays. Caller holds mainLock. */
  private void advanceRunStateLocked(RunState target) {
    if (runState.compareTo(target) < 0) {
      runState = target;
    }
  }

  /**
   * Moves SHUTDOWN or STOP to TIDYING once every accepted job's future is complete, then
   * releases the backend, timer, dispatcher, gauges and event thread. Called by every shutdown
   * and whenever the count of unfinished jobs drops to zero; exactly one caller gets to TIDYING.
   */
  private void tryTerminate() {
    boolean forced;
    lockQuickly();
    try {
      if (runState == RunState.RUNNING || runState.compareTo(RunState.TIDYING) >= 0 || unfinished.get() > 0) {
        return;
      }
      forced = runState == RunState.STOP;
      runState = RunState.TIDYING;
    } finally {
      mainLock.unlock();
    }
    try {
      try {
        if (forced) {
          backend.shutdownNow();
        } else {
          backend.shutdown();
        }
      } catch (RuntimeException e) {
        log.warn("Gearbox: backend {} of engine {} failed to shut down", backendName, name, e);
      }
      dev.gearbox.view.EngineViews v = views;
      if (v != null) {
        try {
          v.close();
        } catch (RuntimeException e) {
          log.warn("Gearbox: closing the views (JMX, dashboard) of engine {} failed", name, e);
        }
      }
      for (ScheduledFuture<?> deadline : scopeDeadlines) {
        deadline.cancel(false); // scopes left open: every child is complete, nothing is left for their deadlines to stop
      }
      scopeDeadlines.clear();
      timer.shutdown(); // delayed kills still run; then the timer thread ends
      dispatcher.shutdown();
      try {
        metrics.removeGauges(); // runs the application's registry listeners
      } catch (RuntimeException e) {
        log.warn("Gearbox: removing the gauges of engine {} failed", name, e);
      }
      bus.shutdown();
    } finally {
      forgetWorkerState();
      // Whatever a release step threw, the engine is terminated: nothing may wait on TIDYING for ever.
      lockQuickly();
      try {
        runState = RunState.TERMINATED;
        termination.signalAll();
      } finally {
        mainLock.unlock();
      }
    }
  }

  @Override
  public boolean isShutdown() {
    return runState != RunState.RUNNING;
  }

  @Override
  public boolean isTerminated() {
    try {
      return runState == RunState.TERMINATED && backend.awaitTermination(Duration.ZERO) && timer.isTerminated()
          && dispatcher.isTerminated() && bus.awaitTermination(Duration.ZERO);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!awaitTerminatedState(timeout.toNanos())) {
      return false;
    }
    if (!backend.awaitTermination(remaining(deadline))) {
      return false;
    }
    if (!timer.awaitTermination(remaining(deadline).toNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    if (!dispatcher.awaitTermination(remaining(deadline).toNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    return bus.awaitTermination(remaining(deadline));
  }

  /** Waits up to {@code nanos} for the run state TERMINATED; whether it came. */
  private boolean awaitTerminatedState(long nanos) throws InterruptedException {
    lockQuickly();
    try {
      while (runState != RunState.TERMINATED) {
        if (nanos <= 0L) {
          return false;
        }
        nanos = termination.awaitNanos(nanos);
      }
      return true;
    } finally {
      mainLock.unlock();
    }
  }

  private void awaitTerminatedStateUninterruptibly() {
    lockQuickly();
    try {
      while (runState != RunState.TERMINATED) {
        termination.awaitUninterruptibly();
      }
    } finally {
      mainLock.unlock();
    }
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0L, deadline - System.nanoTime()));
  }

  @Override
  public void close() {
    shutdown();
    if (completingHere()) {
      // A dependent action of one of our tasks: its task is finished only once it returns, so
      // waiting here would wait for ever. The engine is shut down; it terminates after it returns.
      throw new IllegalStateException("close() was called from a dependent action of a task of engine '" + name
          + "' (a callback run as the task's future completed), where waiting for the engine would wait for that"
          + " action itself. The engine is shut down and terminates once the action returns; close it from another"
          + " thread, or use shutdown() here");
    }
    boolean interrupted = false;
    try {
      awaitTerminatedState(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      interrupted = true;
      shutdownNow();
      awaitTerminatedStateUninterruptibly();
    }
    // Every future is complete. Give the backend the grace period to release its threads and
    // processes, then force it. Interrupts (and kills, where the backend can) get their grace;
    // after that a task still holding its slot ignores them and is abandoned with a warning. With
    // no task left, what remains is the backend releasing threads and processes: wait for it.
    try {
      if (!interrupted && !awaitTermination(grace)) {
        backend.shutdownNow();
        // A backend that can kill ends every task for sure (a kill cannot be ignored): wait for
        // it. Otherwise a task still holding its slot after the grace ignores its interrupt.
        long tasksDeadline = System.nanoTime() + grace.toNanos();
        long releaseDeadline = tasksDeadline + grace.toNanos() + RELEASE_LIMIT.toNanos();
        while (!awaitTermination(Duration.ofMillis(20))) {
          long now = System.nanoTime();
          boolean ignoring = !caps.canKill() && now - tasksDeadline > 0 && tasksStillRunning();
          if (ignoring || now - releaseDeadline > 0) {
            log.warn("Gearbox: engine {} closed, but {}; abandoned (every future completed already)", name,
                ignoring ? "backend " + backendName + " still has threads running tasks that ignored interrupts"
                    : "it has not terminated " + RELEASE_LIMIT.toSeconds() + " s after its tasks had to end (backend "
                        + backendName + " releasing threads or processes, or a listener still running)");
            break;
          }
        }
      }
    } catch (InterruptedException e) {
      interrupted = true;
      backend.shutdownNow();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether some attempt still holds a backend slot: its task has not reported (it ignores interrupts). */
  private boolean tasksStillRunning() {
    lockQuickly();
    try {
      return busy > 0;
    } finally {
      mainLock.unlock();
    }
  }

  // ------------------------------------------------------------------ accessors

  @Override
  public void addListener(EngineListener listener) {
    bus.add(requireNonNull(listener, "listener"));
  }

  @Override
  public void removeListener(EngineListener listener) {
    bus.remove(requireNonNull(listener, "listener"));
  }

  @Override
  public MetricRegistry metrics() {
    return metrics.registry;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String backendName() {
    return backendName;
  }

  @Override
  public BackendCapabilities capabilities() {
    return caps;
  }

  @Override
  public int parallelism() {
    return slots;
  }

  @Override
  public ExecutorService asExecutorService() {
    EngineExecutorService v = executorView;
    if (v == null) {
      synchronized (this) {
        v = executorView;
        if (v == null) {
          executorView = v = new EngineExecutorService(this);
        }
      }
    }
    return v;
  }

  @Override
  public EngineSnapshot snapshot(int maxTasks) {
    if (maxTasks < 0) {
      throw new IllegalArgumentException("maxTasks must be >= 0, got " + maxTasks);
    }
    long rejected = metrics.rejected.getCount();
    long retried = metrics.retried.getCount();
    long timedOut = metrics.timedOut.getCount();
    Snapshots.Collected c;
    lockQuickly();
    try {
      EngineSnapshot.Counts counts = new EngineSnapshot.Counts(submittedCount, completedCount, failedCount,
          cancelledCount, rejected, retried, timedOut, busy, queue.size(), unfinished.get());
      c = Snapshots.collectLocked(liveHead, queue, maxTasks, counts);
    } finally {
      mainLock.unlock();
    }
    dev.gearbox.spi.BackendView view;
    try {
      view = backend.view();
    } catch (RuntimeException e) {
      log.warn("Gearbox: backend {} of engine {} failed to describe itself for a snapshot", backendName, name, e);
      view = dev.gearbox.spi.BackendView.NONE;
    }
    return Snapshots.build(this, c, view);
  }

  /** The map calls in progress that count their progress. */
  private final java.util.Set<MapRun.Progress> activeMaps = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Whether every map counts its progress, for the engine's views (dashboard, JMX). */
  private volatile boolean trackMaps;

  boolean tracksMaps() {
    return trackMaps;
  }

  MapRun.Progress track(MapRun.Progress p) {
    activeMaps.add(p);
    return p;
  }

  void untrack(MapRun.Progress p) {
    activeMaps.remove(p);
  }

  java.util.Set<MapRun.Progress> activeMaps() {
    return activeMaps;
  }

  /** Runs {@code r} on the engine's event thread, where listeners run; an exception it throws is logged. */
  void onEventThread(String what, Runnable r) {
    bus.execute(what, r);
  }

  /** The per-task counts, read under mainLock, which guards them. */
  private final class LockedCounts implements EngineMetrics.Counts {
    private long read(java.util.function.LongSupplier field) {
      lockQuickly();
      try {
        return field.getAsLong();
      } finally {
        mainLock.unlock();
      }
    }

    @Override
    public long submitted() {
      return read(() -> submittedCount);
    }

    /** Attempts holding a backend slot: dispatched and not yet ended (even if abandoned by a timeout). */
    @Override
    public long running() {
      return read(() -> busy);
    }

    @Override
    public long completed() {
      return read(() -> completedCount);
    }

    @Override
    public long failed() {
      return read(() -> failedCount);
    }

    @Override
    public long cancelled() {
      return read(() -> cancelledCount);
    }

    @Override
    public long queued() {
      return read(() -> queuedCount);
    }
  }

  private int queueDepth() {
    lockQuickly();
    try {
      return queue.size();
    } finally {
      mainLock.unlock();
    }
  }

  private int inFlight() {
    return unfinished.get();
  }

  @Override
  public String toString() {
    return "Engine[" + name + ", backend=" + backendName + ", parallelism=" + slots + "]";
  }

  // ------------------------------------------------------------------ work wrappers and settings

  /** A {@link Task} as backend work. */
  record TaskWork(Task<?> task) implements Work {
    @Override
    public Object run(TaskContext context) throws Exception {
      return task.call();
    }
  }

  /** An {@link AsyncTask} as backend work. */
  record AsyncTaskWork(AsyncTask<?> task) implements AsyncWork {
    @Override
    public java.util.concurrent.CompletionStage<?> start(TaskContext context) throws Exception {
      return task.call(context);
    }
  }

  /** A {@link ContextTask} as backend work. */
  record ContextTaskWork(ContextTask<?> task) implements Work {
    @Override
    public Object run(TaskContext context) throws Exception {
      return task.call(context);
    }
  }

  /** What backends read at creation. */
  private final class Settings implements BackendSettings {
    @Override
    public String engineName() {
      return name;
    }

    @Override
    public int workers() {
      return config.workers();
    }

    @Override
    public boolean workersConfigured() {
      return config.workersConfigured();
    }

    @Override
    public Duration cancelGrace() {
      return grace;
    }

    @Override
    public Optional<String> get(String key) {
      return Optional.ofNullable(config.backendOptions().get(key));
    }

    @Override
    public Optional<Work> workerStart() {
      return initializer == null ? Optional.empty() : Optional.of(InitializedWork.start(workerKey, initializer));
    }

    @Override
    public int getInt(String key, int defaultValue, int min, int max) {
      int n = parsed(key, defaultValue, MapSettings::parseInt);
      if (n < min || n > max) {
        throw sourced(key, new EngineConfigException(key, key + "=" + get(key).orElse("")
            + " is not valid: expected a whole number from " + min + " to " + max));
      }
      return n;
    }

    @Override
    public boolean getBoolean(String key, boolean defaultValue) {
      return parsed(key, defaultValue, MapSettings::parseBoolean);
    }

    @Override
    public Duration getDuration(String key, Duration defaultValue) {
      return parsed(key, defaultValue, MapSettings::parseDuration);
    }

    @Override
    public long getSize(String key, long defaultValue) {
      return parsed(key, defaultValue, MapSettings::parseSize);
    }

    /** The key's value parsed, or the default when unset; parse errors name where the value came from. */
    private <T> T parsed(String key, T defaultValue, java.util.function.BiFunction<String, String, T> parser) {
      Optional<String> v = get(key);
      try {
        return v.isEmpty() ? defaultValue : parser.apply(key, v.get());
      } catch (EngineConfigException e) {
        throw sourced(key, e);
      }
    }

    private EngineConfigException sourced(String key, EngineConfigException e) {
      return new EngineConfigException(key, e.getMessage() + " (from " + config.sourceOf(key) + ")");
    }

    @Override
    public MetricRegistry metrics() {
      return metrics.registry;
    }

    @Override
    public String metricName(String suffix) {
      return metrics.name(suffix);
    }

    @Override
    public void workerStarted(WorkerEvent event) {
      bus.emit("workerStarted", l -> l.workerStarted(event));
    }

    @Override
    public void workerCrashed(WorkerEvent event) {
      bus.emit("workerCrashed", l -> l.workerCrashed(event));
    }

    @Override
    public void workerRecycled(WorkerEvent event) {
      bus.emit("workerRecycled", l -> l.workerRecycled(event));
    }
  }
}
