package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Timer;
import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.HazelcastClientNotActiveException;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.impl.clientside.HazelcastClientProxy;
import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.durableexecutor.DurableExecutorService;
import com.hazelcast.durableexecutor.DurableExecutorServiceFuture;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import com.hazelcast.partition.Partition;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import com.hazelcast.topic.ITopic;
import dev.gearbox.BackendCapabilities;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.WorkerEvent;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.remote.CrashLedger;
import dev.gearbox.spi.remote.ParkedAttempts;
import dev.gearbox.spi.remote.Payloads;
import dev.gearbox.spi.remote.ReportExecutor;
import dev.gearbox.spi.remote.SerialCodec;
import dev.gearbox.spi.Work;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks on the members of a Hazelcast cluster.
 *
 * <h2>Design</h2>
 * The engine's JVM holds one Hazelcast instance: an embedded standalone member (default), a
 * member that joins others, or a client. Every member that runs tasks advertises its slots (its
 * executor's threads) in a member attribute. {@link #start} hands an attempt to the task-running
 * member with the most free slots, as a {@link RemoteTask} carrying the task serialized once at
 * submit ({@link #prepare}); when every slot is busy it parks the attempt until one frees or a
 * member joins, so a task never waits in a member's queue with its deadline running.
 *
 * <p>Outcomes arrive on Hazelcast threads and are decoded and reported on the report executor,
 * never on a Hazelcast thread, because reporting runs the caller's callbacks.
 *
 * <p><b>Cancellation and timeouts.</b> The core's stop ladder calls {@link ClusterExecution}:
 * {@code cancel()} and {@code interrupt()} send a {@link CancelRequest} on the members' small
 * {@code gearbox-control} executor, which sets the task's cooperative flag and interrupts its
 * thread in {@link MemberRuntime}. The Hazelcast future itself is never cancelled: the slot stays
 * busy until the task really returns. Killing a task means halting its member, with every task it
 * runs, so it is opt-in: with {@code gearbox.cluster.kill=member} (member and client modes, for
 * members under a supervisor that restarts them) {@code canKill} is true and a task that ignores
 * its interrupt for the grace period gets its member halted ({@link HaltRequest}). By default
 * {@code canKill} is false and {@code gearbox.timeout.strict=true} fails at open.
 *
 * <p><b>Members leaving.</b> A membership listener sees a member leave (crash, SIGKILL, network,
 * shutdown). With the plain executor, exactly the attempts that member held are reported
 * {@link Attempt#lost lost} with a {@link WorkerCrashedException} naming the task and the member;
 * the core retries them by policy. With the durable executor they are left alone: Hazelcast runs
 * them again on the member that held their backup, and their results arrive from there.
 *
 * <p><b>The instance's lifecycle.</b> A client connects asynchronously and {@link #open} bounds its
 * first connection by {@code startup-timeout}; after that it reconnects for as long as the engine
 * runs, so an outage never stops it for good. A lifecycle listener, registered in the instance's
 * configuration, logs a client's disconnections and, when the instance stops without
 * {@link #closeInstance} (stopped by the application, or by Hazelcast after a fatal error), fails
 * every attempt it held or that waited for a member, and makes {@link #start} refuse.
 *
 * <p>Lock: {@code this} guards the member table, slot counts, parked attempts and the lifecycle
 * flags. No Hazelcast call is made and no attempt reported while holding it.
 */
final class ClusterBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  /** The tail of a WorkerCrashedException: a member's output is not collected by the engine. */
  private static final String NO_TAIL = "(not collected: a member's output stays in that member's own log)";
  /** Hazelcast's default executor pool size: the slots of a member that does not advertise any. */
  private static final int FOREIGN_MEMBER_SLOTS = 16;

  private final ClusterConfig config;
  private final BackendSettings settings;
  private final String engineName;
  private final Payloads payloads;
  private final String owner = UUID.randomUUID().toString();
  private final HazelcastInstance hz;
  private final IExecutorService plain;
  private final DurableExecutorService durable;
  private final IExecutorService control;
  private final ITopic<ProgressReport> progressTopic;
  private final ReportExecutor reports;
  private final int parallelism;
  private final AtomicLong wireIds = new AtomicLong();
  private final AtomicBoolean closeStarted = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);

  private final Counter membersJoined;
  private final Counter membersLeft;
  private final Counter tasksLost;

  /** Attempts sent to a member and not yet reported. */
  private final Map<Long, ClusterExecution> inFlight = new ConcurrentHashMap<>();
  /**
   * Where progress goes, by wire id: attempts in flight, and for {@link #PROGRESS_LINGER_NANOS}
   * those that finished, because a task's progress events travel apart from its result and may
   * arrive after it.
   */
  private final Map<Long, Attempt> progressTargets = new ConcurrentHashMap<>();
  /** Per task: attempts lost to a member leaving, in a row (for poison quarantine). */
  private final CrashLedger crashes;
  /** Finished attempts' wire ids with the time they finished, oldest first. Guarded by itself. */
  private final ArrayDeque<long[]> finishedTargets = new ArrayDeque<>();
  private static final long PROGRESS_LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);
  // Guarded by this:
  private final Map<UUID, MemberSlots> members = new LinkedHashMap<>();
  private final ParkedAttempts<ClusterExecution> parked = new ParkedAttempts<>();
  private boolean shutdown;
  private boolean closing;
  private boolean drainScheduled;
  private String[] partitionKeys;
  /** Why the instance is gone, once it stopped without {@link #closeInstance}; then nothing runs any more. */
  private String gone;
  /** Whether a client is connected to its cluster (always true for a member). */
  private volatile boolean connected = true;

  /** A task-running member and its slots. */
  private static final class MemberSlots {
    final Member member;
    final String label;
    final int slots;
    final Counter tasks;
    int running;
    /** Whether, and until when, no task goes to it: a task sent there failed as if it left (it may be leaving). */
    boolean suspected;
    long suspectUntil;

    MemberSlots(Member member, int slots, Counter tasks) {
      this.member = member;
      this.label = MemberRuntime.describe(member);
      this.slots = slots;
      this.tasks = tasks;
    }
  }

  /** Starts the Hazelcast instance the config asks for, then the backend; undoes the start if that fails. */
  static ClusterBackend open(ClusterConfig config, BackendSettings settings) {
    SerialCodec codec = config.codec();
    quietHazelcastLogging();
    long t0 = System.nanoTime();
    long deadline = t0 + config.startupTimeout().toNanos();
    LifecycleRelay lifecycle = new LifecycleRelay();
    HazelcastInstance hz;
    if (config.mode() == ClusterConfig.Mode.CLIENT) {
      ClientConfig cc = HazelcastConfigs.client(config);
      cc.addListenerConfig(new ListenerConfig(lifecycle));
      try {
        hz = HazelcastClient.newHazelcastClient(cc); // asynchronous start: returns before it connects
      } catch (RuntimeException e) {
        throw cannotConnect(config, e.toString());
      }
      // The client retries for ever (so that it outlives an outage), so open bounds the first connection itself.
      if (!lifecycle.awaitConnected(deadline)) {
        hz.getLifecycleService().terminate();
        throw cannotConnect(config, "no member answered");
      }
    } else {
      Config mc = HazelcastConfigs.member(config, new MemberRuntime(codec));
      mc.addListenerConfig(new ListenerConfig(lifecycle));
      try {
        hz = Hazelcast.newHazelcastInstance(mc);
      } catch (RuntimeException e) {
        throw new EngineConfigException(ClusterConfig.MODE, "the cluster backend could not start its Hazelcast member"
            + " (cluster '" + config.clusterName() + "', interface " + config.bindInterface() + ", port " + config.port() + "): " + e);
      }
    }
    long startNanos = System.nanoTime() - t0;
    try {
      return new ClusterBackend(config, settings, codec, hz, lifecycle, startNanos, deadline);
    } catch (RuntimeException e) {
      hz.getLifecycleService().terminate();
      throw e;
    }
  }

  private static EngineConfigException cannotConnect(ClusterConfig config, String why) {
    return new EngineConfigException(ClusterConfig.MEMBERS, "the cluster backend could not connect to cluster '"
        + config.clusterName() + "' at " + String.join(",", config.members()) + " within "
        + config.startupTimeout().toMillis() + " ms (" + ClusterConfig.STARTUP_TIMEOUT + "): " + why
        + ". Check that members run (java -cp <application classpath> dev.gearbox.cluster.WorkerMember) with the"
        + " same cluster name (" + ClusterConfig.CLUSTER_NAME + ")");
  }

  /**
   * The instance's lifecycle events, registered in its configuration so that none is missed: tells
   * {@link #open} when a client first connects, then hands every event to the backend.
   */
  private static final class LifecycleRelay implements LifecycleListener {
    private final CountDownLatch connected = new CountDownLatch(1);
    private volatile ClusterBackend backend;

    @Override
    public void stateChanged(LifecycleEvent event) {
      if (event.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
        connected.countDown();
      }
      ClusterBackend b = backend;
      if (b != null) {
        b.lifecycleChanged(event.getState());
      }
    }

    boolean awaitConnected(long deadline) {
      boolean interrupted = false;
      try {
        while (true) {
          try {
            return connected.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
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
  }

  /** Hazelcast reads its logging type from a system property before it reads any config; default it to SLF4J. */
  static void quietHazelcastLogging() {
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
  }

  private ClusterBackend(ClusterConfig config, BackendSettings settings, SerialCodec codec, HazelcastInstance hz,
      LifecycleRelay lifecycle, long startNanos, long deadline) {
    this.config = config;
    this.settings = settings;
    this.engineName = settings.engineName();
    this.payloads = new Payloads(codec, "a cluster member");
    this.crashes = new CrashLedger(config.poisonThreshold());
    this.hz = hz;
    this.reports = new ReportExecutor("gearbox-" + engineName + "-cluster-results-%d");
    boolean isDurable = config.executor() == ClusterConfig.ExecutorKind.DURABLE;
    this.plain = isDurable ? null : hz.getExecutorService(ClusterConfig.TASK_EXECUTOR);
    this.durable = isDurable ? hz.getDurableExecutorService(ClusterConfig.TASK_EXECUTOR) : null;
    this.control = hz.getExecutorService(ClusterConfig.CONTROL_EXECUTOR);
    var metrics = settings.metrics();
    this.membersJoined = metrics.counter(settings.metricName("cluster.members-joined"));
    this.membersLeft = metrics.counter(settings.metricName("cluster.members-left"));
    this.tasksLost = metrics.counter(settings.metricName("cluster.tasks-lost"));
    Timer startup = metrics.timer(settings.metricName("cluster.instance-startup"));
    startup.update(startNanos, TimeUnit.NANOSECONDS);
    metrics.remove(settings.metricName("cluster.members"));
    metrics.register(settings.metricName("cluster.members"), (Gauge<Integer>) this::liveMembers);
    metrics.remove(settings.metricName("cluster.capacity"));
    metrics.register(settings.metricName("cluster.capacity"), (Gauge<Integer>) this::capacity);
    lifecycle.backend = this;
    if (!hz.getLifecycleService().isRunning()) {
      throw new EngineConfigException(ClusterConfig.MODE, "the cluster backend's Hazelcast instance stopped as it started");
    }
    this.progressTopic = hz.getTopic(ClusterConfig.PROGRESS_TOPIC_PREFIX + owner);
    progressTopic.addMessageListener(m -> onProgress(m.getMessageObject()));
    hz.getCluster().addMembershipListener(new InitialMembershipListener() {
      @Override
      public void init(InitialMembershipEvent event) {
        event.getMembers().forEach(m -> memberJoined(m, true));
      }

      @Override
      public void memberAdded(MembershipEvent event) {
        memberJoined(event.getMember(), false);
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        memberLeft(event.getMember());
      }
    });
    if (config.mode() == ClusterConfig.Mode.EMBEDDED) {
      this.parallelism = config.parallelism() > 0 ? config.parallelism() : config.slots();
    } else {
      int capacity = awaitMembers(deadline);
      if (config.mode() == ClusterConfig.Mode.CLIENT) {
        awaitConnectionsToMembers(deadline);
      }
      // An explicit gearbox.workers caps how many tasks this engine runs at once on the cluster.
      this.parallelism = config.parallelism() > 0 ? config.parallelism()
          : settings.workersConfigured() ? settings.workers() : capacity;
    }
    if (config.daemon()) {
      startExitWatch();
    }
    log.debug("Gearbox: cluster backend of engine {} started ({} mode, cluster {}, {} ms)", engineName,
        config.mode(), config.clusterName(), TimeUnit.NANOSECONDS.toMillis(startNanos));
  }

  /** How often the exit watch looks for application threads. */
  private static final long EXIT_WATCH_MILLIS = 500;

  /**
   * Hazelcast's threads are not daemon threads, so an engine that is never closed would keep the
   * JVM from exiting, unlike the other backends. With {@code gearbox.cluster.daemon=true}
   * (default) a daemon thread leaves the cluster once no live non-daemon thread is left but
   * Gearbox's Hazelcast threads: the application has ended, and the JVM may exit.
   */
  private void startExitWatch() {
    Thread watch = new Thread(() -> {
      while (!closeStarted.get()) {
        try {
          Thread.sleep(EXIT_WATCH_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
        if (!applicationThreadsAlive()) {
          log.debug("Gearbox: engine {} was not closed and the application's threads have ended; leaving the cluster"
              + " so the JVM can exit (gearbox.cluster.daemon=true)", engineName);
          closeInstance();
          return;
        }
      }
    }, "gearbox-" + engineName + "-cluster-exit-watch");
    watch.setDaemon(true);
    watch.start();
  }

  private static boolean applicationThreadsAlive() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 32];
    int n = root.enumerate(threads, true);
    for (int i = 0; i < n; i++) {
      Thread t = threads[i];
      if (t.isAlive() && !t.isDaemon() && !t.getName().startsWith("hz.gearbox-") && !t.getName().equals("DestroyJavaVM")) {
        return true;
      }
    }
    return n >= threads.length; // too many to tell: assume the application is alive
  }

  /** Waits until {@code min-members} task-running members are present (by the open's deadline); returns their slots. */
  private synchronized int awaitMembers(long deadline) {
    boolean interrupted = false;
    try {
      while (members.size() < config.minMembers()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new EngineConfigException(ClusterConfig.MIN_MEMBERS, "the cluster backend found " + members.size()
              + " member(s) that run tasks in cluster '" + config.clusterName() + "' within "
              + config.startupTimeout().toMillis() + " ms, but " + ClusterConfig.MIN_MEMBERS + "=" + config.minMembers()
              + ". Members seen: " + hz.getCluster().getMembers() + ". Start members with java -cp <application classpath>"
              + " dev.gearbox.cluster.WorkerMember, or lower " + ClusterConfig.MIN_MEMBERS);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      return Math.max(1, capacityLocked());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Waits (by the open's deadline, best effort) until the client has a connection of its own to
   * every member it knows. A client started asynchronously opens them in the background, and until
   * then it sends a task meant for member A through a connection to member B: if B then dies, the
   * task is reported lost with A, which did not leave. A synchronous start waited for these
   * connections; this keeps that. It uses Hazelcast's client internals (the engine and members
   * need the same Hazelcast version anyway), and simply does not wait if they ever change.
   */
  private void awaitConnectionsToMembers(long deadline) {
    if (!(hz instanceof HazelcastClientProxy proxy)) {
      return;
    }
    try {
      var connections = proxy.client.getConnectionManager();
      while (System.nanoTime() - deadline < 0) {
        if (hz.getCluster().getMembers().stream().allMatch(m -> connections.getActiveConnection(m.getUuid()) != null)) {
          return;
        }
        Thread.sleep(CONNECTION_POLL_MILLIS);
      }
      log.debug("Gearbox: engine {} opened before its client connected to every member of cluster {}", engineName,
          config.clusterName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | LinkageError e) {
      log.debug("Gearbox: cannot tell whether the client is connected to every member: {}", e.toString());
    }
  }

  private static final long CONNECTION_POLL_MILLIS = 10;

  @Override
  public BackendCapabilities capabilities() {
    return new BackendCapabilities(true, config.kill() == ClusterConfig.KillPolicy.MEMBER, true, false, true);
  }

  @Override
  public int parallelism() {
    return parallelism;
  }

  /** Serializes the task at submit: rejects what cannot cross, and keeps the bytes for every attempt. */
  @Override
  public Object prepare(Work work) {
    return payloads.prepare(work);
  }

  // ---------------------------------------------------------------- dispatch

  @Override
  public Execution start(Attempt attempt) {
    byte[] work = payloads.workOf(attempt);
    ClusterExecution ex = new ClusterExecution(attempt, wireIds.incrementAndGet(), work);
    String failure;
    boolean assigned;
    synchronized (this) {
      if (shutdown) {
        throw new RejectedExecutionException("the cluster backend is shut down");
      }
      if (gone != null) {
        throw new RejectedExecutionException(gone);
      }
      failure = assignLocked(ex);
      assigned = failure == null && ex.member != null;
    }
    if (failure != null) {
      reports.execute(() -> endedHere(attempt, new EngineException(attempt.taskId(), attempt.taskName(), failure, null)));
    } else if (assigned) {
      send(ex);
    }
    return ex;
  }

  /** Assigns a member, parks the attempt, or says why it cannot run. Caller holds the monitor. */
  private String assignLocked(ClusterExecution ex) {
    if (ex.interrupted || ex.attempt.isCancelled()) {
      // cancel(false) too: a task that has not started never starts, as Future.cancel promises
      return "cancelled before a cluster member took it";
    }
    if (shutdown) {
      return "the cluster backend shut down before a member took it";
    }
    if (gone != null) {
      return gone;
    }
    MemberSlots best = null;
    long now = System.nanoTime();
    for (MemberSlots m : members.values()) {
      if (m.running < m.slots && (!m.suspected || now - m.suspectUntil >= 0)
          && (best == null || m.slots - m.running > best.slots - best.running)) {
        best = m;
      }
    }
    if (best == null) {
      if (members.isEmpty()) {
        return "no member of cluster '" + config.clusterName() + "' can run tasks (every member that ran tasks has left)";
      }
      parked.park(ex);
      if (!drainScheduled && members.values().stream().anyMatch(m -> m.suspected && now - m.suspectUntil < 0)) {
        // A suspected member may be alive after all: try again when the suspicion ends.
        drainScheduled = true;
        CompletableFuture.delayedExecutor(config.memberTimeout().toMillis(), TimeUnit.MILLISECONDS, reports)
            .execute(this::drainParked);
      }
      return null;
    }
    best.running++;
    ex.member = best;
    inFlight.put(ex.wireId, ex);
    return null;
  }

  private void send(ClusterExecution ex) {
    if (ex.refusal != null) {
      Attempt a = ex.attempt;
      reports.execute(() -> endedHere(a, new EngineException(a.taskId(), a.taskName(), ex.refusal, null)));
      return;
    }
    MemberSlots m;
    synchronized (this) {
      if (!inFlight.containsKey(ex.wireId)) {
        return; // its member left before it was sent, and it was reported lost then
      }
      m = ex.member;
    }
    Attempt a = ex.attempt;
    RemoteTask task = new RemoteTask(owner, ex.wireId, a.taskId(), a.taskName(), a.number(), ex.work);
    if (m == null) { // durable, and its member left before it was sent: any owner will do
      progressTargets.put(ex.wireId, a);
      a.started();
      step(ex, () -> submitDurable(ex, task, null, 1));
      return;
    }
    m.tasks.inc();
    progressTargets.put(ex.wireId, a);
    a.started();
    if (plain != null) {
      try {
        plain.submitToMember(task, m.member, new ExecutionCallback<byte[]>() {
          @Override
          public void onResponse(byte[] response) {
            step(ex, () -> onOutcome(ex, response, null));
          }

          @Override
          public void onFailure(Throwable t) {
            step(ex, () -> onOutcome(ex, null, t));
          }
        });
      } catch (RuntimeException e) {
        step(ex, () -> onOutcome(ex, null, e));
      }
    } else {
      // submitToKeyOwner waits for the task to be stored with its backups: not in the caller's thread.
      step(ex, () -> submitDurable(ex, task, m, 1));
    }
    if (a.isCancelled()) {
      ex.sendCancel(false); // cancel(false) raced with the send: the member's flag starts set
    }
  }

  /**
   * Runs, on the report executor, a step that owns an in-flight attempt. Whatever the step throws
   * (the instance stopped under it, a class that cannot load here) ends the attempt with that
   * failure, so that no attempt is left in flight with its future pending and its slot taken.
   */
  private void step(ClusterExecution ex, Runnable step) {
    reports.execute(() -> runStep(ex, step));
  }

  /** Like {@link #step}, after a short pause (while the cluster settles after a member left). */
  private void later(ClusterExecution ex, Runnable step) {
    CompletableFuture.delayedExecutor(DURABLE_RETRY_MILLIS, TimeUnit.MILLISECONDS, reports).execute(() -> runStep(ex, step));
  }

  private void runStep(ClusterExecution ex, Runnable step) {
    try {
      step.run();
    } catch (Throwable t) {
      onOutcome(ex, null, t);
    }
  }

  /** How often, and how far apart, a durable task's submission or result is sought again after its member left. */
  private static final int DURABLE_TRIES = 50;
  private static final long DURABLE_RETRY_MILLIS = 200;

  /** Submits a durable task to a key that {@code m} owns, or to any key when {@code m} is null. */
  private void submitDurable(ClusterExecution ex, RemoteTask task, MemberSlots m, int tries) {
    DurableExecutorServiceFuture<byte[]> f;
    try {
      Object key = m == null ? "gearbox-" + ThreadLocalRandom.current().nextInt(1 << 20) : keyOwnedBy(m.member);
      f = durable.submitToKeyOwner(task, key);
    } catch (Throwable e) {
      onOutcome(ex, null, e);
      return;
    }
    f.whenCompleteAsync((r, t) -> runStep(ex, () -> {
      if (t == null || !isMemberLoss(t) || closing() || tries >= DURABLE_TRIES) {
        onOutcome(ex, r, t);
      } else if (f.getTaskId() == -1) {
        // Not stored: the key's owner left during the submission. Submit again (at least once, never lost).
        later(ex, () -> submitDurable(ex, task, null, tries + 1));
      } else {
        // Stored: Hazelcast runs it again on the member that held its backup; wait for the result there.
        later(ex, () -> awaitDurable(ex, f.getTaskId(), tries + 1, t));
      }
    }), reports);
  }

  private void awaitDurable(ClusterExecution ex, long durableTaskId, int tries, Throwable last) {
    if (tries > DURABLE_TRIES || closing()) {
      onOutcome(ex, null, last);
      return;
    }
    Future<byte[]> f;
    try {
      f = durable.retrieveResult(durableTaskId);
    } catch (Throwable e) {
      onOutcome(ex, null, e);
      return;
    }
    if (f instanceof CompletionStage<?> stage) {
      stage.whenCompleteAsync((r, t) -> runStep(ex, () -> {
        if (t != null && isMemberLoss(t)) {
          later(ex, () -> awaitDurable(ex, durableTaskId, tries + 1, t));
        } else {
          onOutcome(ex, (byte[]) r, t);
        }
      }), reports);
    } else {
      try {
        onOutcome(ex, f.get(), null);
      } catch (ExecutionException e) {
        onOutcome(ex, null, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        onOutcome(ex, null, e);
      }
    }
  }

  /** A key whose partition the member owns, so the durable executor runs the task there (best effort). */
  private Object keyOwnedBy(Member member) {
    var ps = hz.getPartitionService();
    String[] keys;
    synchronized (this) {
      keys = partitionKeys;
    }
    if (keys == null) { // one key per partition, found once (a few thousand local hashes)
      String[] k = new String[ps.getPartitions().size()];
      int found = 0;
      for (int i = 0; found < k.length && i < 1_000_000; i++) {
        String key = "gearbox-" + i;
        int p = ps.getPartition(key).getPartitionId();
        if (p < k.length && k[p] == null) {
          k[p] = key;
          found++;
        }
      }
      keys = k;
      synchronized (this) {
        partitionKeys = k;
      }
    }
    List<Partition> partitions = new ArrayList<>(ps.getPartitions());
    int start = ThreadLocalRandom.current().nextInt(partitions.size());
    for (int i = 0; i < partitions.size(); i++) {
      Partition p = partitions.get((start + i) % partitions.size());
      Member o = p.getOwner();
      if (o != null && o.getUuid().equals(member.getUuid()) && p.getPartitionId() < keys.length && keys[p.getPartitionId()] != null) {
        return keys[p.getPartitionId()];
      }
    }
    return "gearbox-" + start; // no partition owned there yet (migrating): any member will do
  }

  // ---------------------------------------------------------------- outcomes

  /** Frees the attempt's slot; true if it was still in flight (not already reported lost). */
  private boolean release(ClusterExecution ex) {
    List<ClusterExecution> toSend = new ArrayList<>();
    boolean closeNow;
    synchronized (this) {
      if (inFlight.remove(ex.wireId) == null) {
        return false;
      }
      if (ex.member != null && members.get(ex.member.member.getUuid()) == ex.member) {
        ex.member.running--;
      }
      drainParkedLocked(toSend);
      closeNow = shutdown && inFlight.isEmpty();
    }
    toSend.forEach(this::send);
    if (closeNow) {
      closeInstance();
    }
    return true;
  }

  private void drainParkedLocked(List<ClusterExecution> toSend) {
    while (!parked.isEmpty()) {
      ClusterExecution next = parked.poll();
      String failure = assignLocked(next);
      if (failure != null) {
        next.refusal = failure; // reported by send(), outside the lock
        toSend.add(next);
        continue;
      }
      if (next.member == null) { // parked again, at the back: no free slot, so put it back in front
        parked.remove(next);
        parked.putBack(next);
        break;
      }
      toSend.add(next);
    }
  }

  /** Keeps a finished attempt's progress route for a while; drops the routes that expired. */
  private void lingerProgress(long wireId) {
    long now = System.nanoTime();
    synchronized (finishedTargets) {
      finishedTargets.add(new long[] {wireId, now});
      while (!finishedTargets.isEmpty() && now - finishedTargets.peek()[1] > PROGRESS_LINGER_NANOS) {
        progressTargets.remove(finishedTargets.poll()[0]);
      }
    }
  }

  /**
   * Reports an attempt's outcome: a member's encoded answer, or the failure that stopped it.
   * Never throws: whatever goes wrong here (a result class that cannot load or initialize in this
   * JVM, a codec bug) still reports the attempt.
   */
  private void onOutcome(ClusterExecution ex, byte[] response, Throwable failure) {
    lingerProgress(ex.wireId);
    MemberSlots member = ex.member;
    if (failure != null && member != null && isMemberLoss(failure)) {
      suspect(member); // before the slot is freed, so the attempts it lets in do not go there
    }
    if (!release(ex)) {
      return;
    }
    Attempt a = ex.attempt;
    String label = member == null ? "a member of cluster '" + config.clusterName() + "'" : member.label;
    try {
      if (failure != null) {
        EngineException e = translate(a, label, failure);
        if (e instanceof WorkerCrashedException crash) {
          tasksLost.inc();
          lostToACrash(a, crash);
        } else {
          endedHere(a, e);
        }
        return;
      }
      crashes.ended(a.taskId());
      switch (response[0]) {
        case MemberRuntime.OK -> payloads.reportResult(a, response, 1, label);
        case MemberRuntime.FAILED -> payloads.reportFailure(a, response, 1, label);
        case MemberRuntime.CANNOT_RUN -> a.lost(new EngineException(a.taskId(), a.taskName(), new String(response, 1,
            response.length - 1, StandardCharsets.UTF_8), null));
        case MemberRuntime.CANCELLED -> a.lost(new EngineException(a.taskId(), a.taskName(), "cancelled before it started on "
            + label, null));
        default -> {
          IOException unknown = new IOException("unknown result tag " + response[0]);
          a.failed(new EngineException(a.taskId(), a.taskName(), "its result could not be read back from " + label + ": "
              + Payloads.whyUnreadable(unknown), unknown));
        }
      }
    } catch (Throwable t) {
      log.warn("Gearbox: reporting the outcome of {} failed", a.taskName(), t);
      a.lost(new EngineException(a.taskId(), a.taskName(), "its outcome from " + label + " could not be reported: " + t, t));
    }
  }

  /**
   * Reports an attempt lost with its member; a task whose member left {@code poison-threshold}
   * times in a row (it may be what kills them: System.exit, a crash) fails as poison instead, so
   * retries cannot take down the whole cluster.
   */
  private void lostToACrash(Attempt a, WorkerCrashedException crash) {
    a.lost(crashes.crashed(a, crash));
  }

  /** Reports an attempt that ended without its member leaving: its task's run of crashes is over. */
  private void endedHere(Attempt a, EngineException e) {
    crashes.ended(a.taskId());
    a.lost(e);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static boolean isMemberLoss(Throwable t) {
    Throwable root = unwrap(t);
    return root instanceof MemberLeftException || root instanceof TargetNotMemberException
        || root instanceof TargetDisconnectedException;
  }

  private EngineException translate(Attempt a, String label, Throwable t) {
    Throwable root = unwrap(t);
    if (isMemberLoss(root)) {
      return new WorkerCrashedException(a.taskId(), a.taskName(), label, "the cluster member running it left the cluster"
          + " (it crashed, was killed or shut down, or lost its network)", null, NO_TAIL, root);
    }
    if ((root instanceof HazelcastInstanceNotActiveException || root instanceof HazelcastClientNotActiveException)
        && !closeStarted.get() && !hz.getLifecycleService().isRunning()) {
      instanceGone(); // the attempts it held fail with the reason (the lifecycle event may come later)
      return new EngineException(a.taskId(), a.taskName(), goneReason(), root);
    }
    if (closing() || root instanceof HazelcastInstanceNotActiveException || root instanceof HazelcastClientNotActiveException) {
      return new EngineException(a.taskId(), a.taskName(), "the cluster backend shut down before " + label + " reported it", root);
    }
    if (root instanceof HazelcastSerializationException) {
      for (Throwable c = root; c != null; c = c.getCause()) {
        if (c instanceof ClassNotFoundException cnf) {
          return new EngineException(a.taskId(), a.taskName(), "class " + cnf.getMessage() + " is not on the classpath of "
              + label + ". Gearbox's cluster module and the task classes must be on every member's classpath: start"
              + " members with java -cp <application classpath> dev.gearbox.cluster.WorkerMember", root);
        }
      }
    }
    if (root instanceof RejectedExecutionException) {
      return new EngineException(a.taskId(), a.taskName(), label + " rejected it: " + root.getMessage(), root);
    }
    return new EngineException(a.taskId(), a.taskName(), label + " could not run it: " + root, root);
  }

  /**
   * A task sent to this member failed as if the member left, before the cluster says it did: send
   * it nothing for a while, so retries go elsewhere instead of failing there again.
   */
  private synchronized void suspect(MemberSlots m) {
    m.suspected = true;
    m.suspectUntil = System.nanoTime() + config.memberTimeout().toNanos();
  }

  private void drainParked() {
    List<ClusterExecution> toSend = new ArrayList<>();
    synchronized (this) {
      drainScheduled = false;
      drainParkedLocked(toSend);
    }
    toSend.forEach(this::send);
  }

  private void onProgress(ProgressReport r) {
    Attempt a = progressTargets.get(r.wireId);
    if (a != null) {
      a.progress(r.fraction, r.message);
    }
  }

  // ---------------------------------------------------------------- membership

  private static int slotsOf(Member m) {
    if (m.isLiteMember()) {
      return 0;
    }
    String s = m.getAttribute(ClusterConfig.SLOTS_ATTRIBUTE);
    if (s == null) {
      return FOREIGN_MEMBER_SLOTS;
    }
    try {
      return Math.max(0, Integer.parseInt(s));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void memberJoined(Member m, boolean initial) {
    int slots = slotsOf(m);
    if (slots == 0) {
      return;
    }
    String metric = m.getAttribute(ClusterConfig.NAME_ATTRIBUTE) != null ? m.getAttribute(ClusterConfig.NAME_ATTRIBUTE)
        : m.getAddress().getHost() + ":" + m.getAddress().getPort();
    MemberSlots ms = new MemberSlots(m, slots, settings.metrics().counter(settings.metricName("cluster.member-tasks."
        + metric.replace(' ', '-'))));
    List<ClusterExecution> toSend = new ArrayList<>();
    synchronized (this) {
      if (closing || members.containsKey(m.getUuid())) {
        return;
      }
      members.put(m.getUuid(), ms);
      drainParkedLocked(toSend);
      notifyAll(); // awaitMembers
    }
    if (!initial) {
      membersJoined.inc();
    }
    settings.workerStarted(new WorkerEvent(engineName, ms.label, (initial ? "in the cluster at open" : "joined the cluster")
        + " with " + slots + " slot(s)", null));
    toSend.forEach(this::send);
  }

  private void memberLeft(Member m) {
    List<ClusterExecution> lost = new ArrayList<>();
    List<ClusterExecution> stranded = new ArrayList<>();
    List<ClusterExecution> resend;
    MemberSlots ms;
    boolean closeNow;
    synchronized (this) {
      ms = members.remove(m.getUuid());
      if (ms == null || closing) {
        return;
      }
      for (ClusterExecution ex : new ArrayList<>(inFlight.values())) {
        if (ex.member == ms) {
          if (plain != null) {
            inFlight.remove(ex.wireId);
            lost.add(ex);
          } else {
            ex.member = null; // Hazelcast runs it again from its backup; its result still comes
          }
        }
      }
      if (members.isEmpty()) {
        stranded.addAll(parked.takeAll());
      }
      // Slots freed by lost attempts go to parked ones (their reports come later, not as releases).
      List<ClusterExecution> toSend = new ArrayList<>();
      drainParkedLocked(toSend);
      resend = toSend;
      closeNow = shutdown && inFlight.isEmpty();
    }
    membersLeft.inc();
    tasksLost.inc(lost.size());
    String detail = "left the cluster" + (lost.isEmpty() ? "" : "; " + lost.size() + " task(s) it ran were lost")
        + (plain == null ? "; its durable tasks run again on their backup members" : "");
    settings.workerCrashed(new WorkerEvent(engineName, ms.label, detail, null));
    if (!lost.isEmpty()) {
      log.warn("Gearbox: {} {}", ms.label, detail);
    }
    reports.execute(() -> {
      for (ClusterExecution ex : lost) {
        lingerProgress(ex.wireId);
        Attempt a = ex.attempt;
        lostToACrash(a, new WorkerCrashedException(a.taskId(), a.taskName(), ms.label, "the cluster member running it left"
            + " the cluster (it crashed, was killed or shut down, or lost its network)", null, NO_TAIL, null));
      }
      for (ClusterExecution ex : stranded) {
        Attempt a = ex.attempt;
        endedHere(a, new EngineException(a.taskId(), a.taskName(), "no member of cluster '" + config.clusterName()
            + "' can run tasks (the last one, " + ms.label + ", left)", null));
      }
    });
    resend.forEach(this::send);
    if (closeNow) {
      closeInstance();
    }
  }

  private synchronized int liveMembers() {
    return members.size();
  }

  private synchronized int capacity() {
    return capacityLocked();
  }

  private int capacityLocked() {
    int n = 0;
    for (MemberSlots m : members.values()) {
      n += m.slots;
    }
    return n;
  }

  private synchronized boolean closing() {
    return closing;
  }

  // ---------------------------------------------------------------- the instance's lifecycle

  /**
   * The Hazelcast instance's lifecycle, on a Hazelcast thread or on the thread that stops the
   * instance: nothing is reported here (reports run on the results pool).
   */
  private void lifecycleChanged(LifecycleEvent.LifecycleState state) {
    switch (state) {
      case SHUTTING_DOWN, SHUTDOWN -> instanceGone();
      case CLIENT_DISCONNECTED -> {
        connected = false;
        if (!closeStarted.get()) {
          log.warn("Gearbox: engine {} lost its connection to cluster '{}'; its client keeps reconnecting for as long as the"
              + " engine runs. Attempts on the members are lost when their connections close (retried by policy); attempts"
              + " started meanwhile wait for the reconnection (README, client mode)", engineName, config.clusterName());
        }
      }
      case CLIENT_CONNECTED -> {
        if (!connected) {
          connected = true;
          log.info("Gearbox: engine {} reconnected to cluster '{}'", engineName, config.clusterName());
        }
      }
      case CLIENT_CHANGED_CLUSTER -> log.warn("Gearbox: engine {} reconnected to cluster '{}', but to members that are not the"
          + " ones it knew (they all restarted): its tasks on the old members are lost", engineName, config.clusterName());
      default -> {
        // starting, merging: nothing for the engine to do
      }
    }
  }

  private synchronized String goneReason() {
    return gone;
  }

  /**
   * The instance stopped, and not by {@link #closeInstance} (the application stopped it, or
   * Hazelcast did after a fatal error): the attempts it held or that waited for a member fail now
   * with the reason, and {@link #start} refuses from now on.
   */
  private void instanceGone() {
    if (closeStarted.get()) {
      return; // the engine's own close
    }
    List<ClusterExecution> stranded;
    String why;
    boolean closeNow;
    synchronized (this) {
      if (gone != null || closing) {
        return;
      }
      gone = "the Hazelcast " + (config.mode() == ClusterConfig.Mode.CLIENT ? "client" : "member") + " of cluster '"
          + config.clusterName() + "' shut down: not by the engine's close() (the application stopped it, or Hazelcast did"
          + " after a fatal error); the engine cannot run tasks any more";
      why = gone;
      stranded = new ArrayList<>(parked.takeAll());
      stranded.addAll(inFlight.values());
      inFlight.clear();
      members.clear();
      closeNow = shutdown;
    }
    log.warn("Gearbox: engine {}: {}", engineName, why);
    if (!stranded.isEmpty()) {
      reports.execute(() -> {
        for (ClusterExecution ex : stranded) {
          lingerProgress(ex.wireId);
          endedHere(ex.attempt, new EngineException(ex.attempt.taskId(), ex.attempt.taskName(), why, null));
        }
      });
    }
    if (closeNow) {
      closeInstance();
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** The engine has settled every task: the instance stops once the attempts still running (abandoned) return. */
  @Override
  public void shutdown() {
    stop(false);
  }

  /** The engine has interrupted every running task: stop at once if they return, else after {@code gearbox.cancel.grace}. */
  @Override
  public void shutdownNow() {
    stop(true);
  }

  private void stop(boolean now) {
    List<ClusterExecution> stranded;
    List<ClusterExecution> running;
    boolean closeNow;
    synchronized (this) {
      shutdown = true;
      stranded = parked.takeAll();
      running = new ArrayList<>(inFlight.values());
      closeNow = inFlight.isEmpty();
    }
    for (ClusterExecution ex : stranded) {
      reports.execute(() -> endedHere(ex.attempt, new EngineException(ex.attempt.taskId(), ex.attempt.taskName(),
          "the cluster backend shut down before a member took it", null)));
    }
    if (closeNow) {
      closeInstance();
      return;
    }
    if (now) {
      running.forEach(ex -> ex.sendCancel(true));
      Thread reaper = new Thread(() -> {
        try {
          if (!closed.await(settings.cancelGrace().toNanos(), TimeUnit.NANOSECONDS)) {
            closeInstance();
          }
        } catch (InterruptedException e) {
          closeInstance();
        }
      }, "gearbox-" + engineName + "-cluster-reaper");
      reaper.setDaemon(true);
      reaper.start();
    }
  }

  /** Leaves the cluster (stops the embedded member or the client), once; on its own thread, never a Hazelcast one. */
  private void closeInstance() {
    if (!closeStarted.compareAndSet(false, true)) {
      return;
    }
    List<ClusterExecution> abandoned;
    synchronized (this) {
      closing = true;
      abandoned = new ArrayList<>(inFlight.values());
      inFlight.clear();
    }
    Thread closer = new Thread(() -> {
      try {
        for (ClusterExecution ex : abandoned) {
          reports.execute(() -> endedHere(ex.attempt, new EngineException(ex.attempt.taskId(), ex.attempt.taskName(),
              "the cluster backend shut down while it still ran on " + (ex.member == null ? "a member" : ex.member.label)
                  + " (it ignored its interrupt for gearbox.cancel.grace)", null)));
        }
        if (config.mode() != ClusterConfig.Mode.EMBEDDED && connected && goneReason() == null) {
          destroyProgressTopic();
        }
        hz.shutdown();
      } catch (RuntimeException e) {
        log.warn("Gearbox: the cluster backend of engine {} failed to leave the cluster cleanly", engineName, e);
      } finally {
        reports.shutdown();
        settings.metrics().remove(settings.metricName("cluster.members"));
        settings.metrics().remove(settings.metricName("cluster.capacity"));
        closed.countDown();
      }
    }, "gearbox-" + engineName + "-cluster-close");
    closer.setDaemon(true);
    closer.start();
  }

  /** How long close waits for the members to destroy the progress topic. */
  private static final long TOPIC_DESTROY_WAIT_MILLIS = 2_000;

  /**
   * Destroys this engine's progress topic on the members, so that long-running members do not keep
   * one per engine that ever ran. That is a cluster-wide call, which waits while no member answers
   * (a client whose cluster just went away), so it runs on a thread of its own and close waits for
   * it {@link #TOPIC_DESTROY_WAIT_MILLIS} at most; the instance's shutdown ends it in any case.
   */
  private void destroyProgressTopic() {
    Thread destroyer = new Thread(() -> {
      try {
        progressTopic.destroy();
      } catch (RuntimeException e) {
        log.debug("Gearbox: destroying the progress topic: {}", e.toString());
      }
    }, "gearbox-" + engineName + "-cluster-topic-destroy");
    destroyer.setDaemon(true);
    destroyer.start();
    try {
      destroyer.join(TOPIC_DESTROY_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!closed.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    return reports.awaitTermination(Duration.ofNanos(deadline - System.nanoTime()));
  }

  /** The stop ladder's handle: cancel requests to the member; no kill. */
  private final class ClusterExecution implements Execution {
    final Attempt attempt;
    final long wireId;
    final byte[] work;
    /** Guarded by the backend's monitor; null while parked, or once a durable task's member left. */
    MemberSlots member;
    /** Guarded by the backend's monitor. */
    boolean interrupted;
    /** Why it will not run after all (set once, under the monitor, before it is handed to send). */
    volatile String refusal;

    ClusterExecution(Attempt attempt, long wireId, byte[] work) {
      this.attempt = attempt;
      this.wireId = wireId;
      this.work = work;
    }

    @Override
    public void cancel() {
      sendCancel(false);
    }

    @Override
    public void interrupt() {
      boolean removed;
      synchronized (ClusterBackend.this) {
        interrupted = true;
        removed = parked.remove(this);
      }
      if (removed) {
        reports.execute(() -> endedHere(attempt, new EngineException(attempt.taskId(), attempt.taskName(),
            "cancelled before a cluster member took it", null)));
      } else {
        sendCancel(true);
      }
    }

    /**
     * With {@code gearbox.cluster.kill=member}: halts the member running the task (never the
     * engine's own) and reports the attempt lost at once. The member's other tasks are reported
     * when the cluster sees it leave. A durable task is also cancelled everywhere first, so the
     * copy Hazelcast would run again on a backup member never starts.
     */
    @Override
    public boolean kill() {
      if (config.kill() != ClusterConfig.KillPolicy.MEMBER) {
        return false;
      }
      MemberSlots target;
      synchronized (ClusterBackend.this) {
        if (!inFlight.containsKey(wireId) || closing) {
          return false;
        }
        target = member;
      }
      if (target == null ? durable == null : target.member.localMember()) {
        return false;
      }
      String why = "ignored its interrupt for " + settings.cancelGrace().toMillis() + " ms (gearbox.cancel.grace)";
      HaltRequest halt = new HaltRequest(owner, wireId, attempt.taskName(), why);
      try {
        if (durable != null) {
          control.executeOnAllMembers(new CancelRequest(owner, wireId, true));
          control.executeOnMembers(halt, m -> !m.localMember());
        } else {
          control.executeOnMember(halt, target.member);
        }
      } catch (RuntimeException e) {
        log.warn("Gearbox: could not halt the member running {}: {}", attempt.taskName(), e.toString());
        return false;
      }
      if (target != null) {
        suspect(target);
      }
      if (release(this)) {
        tasksLost.inc();
        String label = target == null ? "its member" : target.label;
        reports.execute(() -> attempt.lost(new WorkerCrashedException(attempt.taskId(), attempt.taskName(), label, "killed by the"
            + " engine: it " + why + ", so its member was halted (gearbox.cluster.kill=member)", null, NO_TAIL, null)));
      }
      return true;
    }

    void sendCancel(boolean interrupt) {
      MemberSlots target;
      synchronized (ClusterBackend.this) {
        if (!inFlight.containsKey(wireId) || closing) {
          return; // parked (flag read at assignment), finished, or the instance is going away
        }
        target = member;
      }
      CancelRequest req = new CancelRequest(owner, wireId, interrupt);
      try {
        if (durable != null || target == null) {
          control.executeOnAllMembers(req); // a durable task may run again elsewhere
        } else {
          control.executeOnMember(req, target.member);
        }
      } catch (RuntimeException e) {
        log.debug("Gearbox: could not send a cancel for {}: {}", attempt.taskName(), e.toString());
      }
    }
  }
}
