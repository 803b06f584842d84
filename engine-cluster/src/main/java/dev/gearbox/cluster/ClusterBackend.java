package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.BackendCapabilities;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.Work;
import dev.gearbox.spi.remote.CrashLedger;
import dev.gearbox.spi.remote.Payloads;
import dev.gearbox.spi.remote.ReportExecutor;
import dev.gearbox.spi.remote.SerialCodec;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks on the members of a Hazelcast cluster.
 *
 * <h2>Design</h2>
 * The engine's JVM holds one Hazelcast instance ({@link InstanceFactory}): an embedded standalone
 * member (default), a member that joins others, or a client. Every member that runs tasks
 * advertises its slots (its executor's threads) in a member attribute. {@link #start} hands an
 * attempt to the task-running member with the most free slots ({@link MemberTable}), as a
 * {@link RemoteTask} carrying the task serialized once at submit ({@link #prepare}); when every
 * slot is busy it parks the attempt until one frees or a member joins, so a task never waits in a
 * member's queue with its deadline running. {@link PlainSubmission} or {@link DurableSubmission}
 * takes it from there.
 *
 * <p>Outcomes arrive on Hazelcast threads and are decoded and reported on the report executor,
 * never on a Hazelcast thread, because reporting runs the caller's callbacks.
 *
 * <p><b>Cancellation and timeouts.</b> The core's stop ladder calls {@link ClusterExecution},
 * which reaches the task's member. Killing a task means halting its member, with every task it
 * runs, so it is opt-in: with
 * {@code gearbox.cluster.kill=member} (member and client modes, for members under a supervisor
 * that restarts them) {@code canKill} is true and a task that ignores its interrupt for the grace
 * period gets its member halted ({@link HaltRequest}). By default {@code canKill} is false and
 * {@code gearbox.timeout.strict=true} fails at open.
 *
 * <p><b>Members leaving.</b> A membership listener sees a member leave (crash, SIGKILL, network,
 * shutdown). With the plain executor, exactly the attempts that member held are reported
 * {@link Attempt#lost lost} with a {@link WorkerCrashedException} naming the task and the member;
 * the core retries them by policy, and a task whose members keep leaving fails as poison
 * ({@link CrashLedger}). With the durable executor they are left alone: Hazelcast runs them again
 * on the member that held their backup, and their results arrive from there.
 *
 * <p><b>The instance's lifecycle.</b> A client's first connection is bounded by
 * {@code startup-timeout}; after that it reconnects for as long as the engine runs. When the
 * instance stops without {@link #closeInstance} (stopped by the application, or by Hazelcast after
 * a fatal error), {@link LifecycleRelay} calls {@link #instanceGone}, which fails every attempt the
 * instance held or that waited for a member, and makes {@link #start} refuse.
 *
 * <p>Lock: one, the monitor of {@link Assignments}, which guards where every attempt is (parked,
 * in flight, on which member), the {@link MemberTable} with its slot counts, and whether attempts
 * may still be placed. The backend itself holds no lock: each flow here takes one atomic step
 * there, then sends, reports and closes outside it. No Hazelcast call is made and no attempt
 * reported while holding it. The other state is thread-safe by itself: {@link ProgressRelay},
 * {@link CrashLedger}, {@link ReportExecutor}, and the atomics below.
 */
final class ClusterBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);

  private final ClusterConfig config;
  private final BackendSettings settings;
  private final String engineName;
  private final Payloads payloads;
  private final String owner = UUID.randomUUID().toString();
  private final HazelcastInstance hz;
  private final LifecycleRelay lifecycle;
  /** The plain task executor's path; null with the durable one. */
  private final PlainSubmission plain;
  /** The durable task executor's path; null with the plain one. */
  private final DurableSubmission durable;
  private final MemberControl control;
  private final ProgressRelay progress;
  private final ClusterChannels channels;
  private final ReportExecutor reports;
  private final AttemptReports outcomes;
  private final int parallelism;
  private final AtomicLong wireIds = new AtomicLong();
  private final AtomicBoolean closeStarted = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Counter tasksLost;

  /** Where the attempts are; its monitor is the backend's one lock. */
  private final Assignments assignments;
  /** The members, guarded by the assignments' monitor. */
  private final MemberTable members;

  /** Starts the Hazelcast instance the config asks for, then the backend; undoes the start if that fails. */
  static ClusterBackend open(ClusterConfig config, BackendSettings settings) {
    if (config.mode() != ClusterConfig.Mode.CLIENT && config.slots() > 0 && config.isolation() == ClusterConfig.Isolation.NONE) {
      // The engine's own member runs tasks in this JVM: its worker state is made here, before the
      // member starts, so a failing initializer fails the open with nothing to undo. Other members
      // make it at the engine's first task there.
      settings.workerStart().ifPresent(start -> initializeHere(start, settings.engineName()));
    }
    SerialCodec codec = config.codec();
    IsolatedTasks isolated = IsolatedTasks.open(config, settings); // null unless isolation=process
    InstanceFactory.Started started;
    try {
      started = InstanceFactory.start(config, MemberRuntime.configured(config, codec, isolated), settings.engineName());
    } catch (RuntimeException e) {
      if (isolated != null) {
        isolated.close();
      }
      throw e;
    }
    try {
      return new ClusterBackend(config, settings, codec, started);
    } catch (RuntimeException e) {
      started.undo();
      throw e;
    }
  }

  private static void initializeHere(dev.gearbox.spi.Work start, String engineName) {
    try {
      start.run(null);
    } catch (dev.gearbox.WorkerInitializerException e) {
      throw new dev.gearbox.WorkerInitializerException("the member of engine '" + engineName + "' (cluster backend) in this JVM"
          + " cannot start: " + e.getMessage(), e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e); // a worker start throws nothing else
    }
  }

  private ClusterBackend(ClusterConfig config, BackendSettings settings, SerialCodec codec, InstanceFactory.Started started) {
    this.config = config;
    this.settings = settings;
    this.engineName = settings.engineName();
    this.payloads = new Payloads(codec, "a cluster member");
    this.hz = started.hz();
    this.lifecycle = started.lifecycle();
    this.reports = new ReportExecutor("gearbox-" + engineName + "-cluster-results-%d");
    Refusals refused = new Refusals(settings.metrics().counter(settings.metricName("cluster.envelopes-refused")));
    this.outcomes = new AttemptReports(payloads, new CrashLedger(config.poisonThreshold()), reports, config.seal(), owner,
        refused);
    this.progress = new ProgressRelay(engineName, config.seal(), refused);
    this.channels = new ClusterChannels(engineName, owner, config.seal(), codec, refused,
        hz.getExecutorService(ClusterConfig.CONTROL_EXECUTOR));
    boolean isDurable = config.executor() == ClusterConfig.ExecutorKind.DURABLE;
    this.plain = isDurable ? null : new PlainSubmission(this, hz.getExecutorService(ClusterConfig.TASK_EXECUTOR), reports);
    this.durable = isDurable
        ? new DurableSubmission(this, hz.getDurableExecutorService(ClusterConfig.TASK_EXECUTOR), hz, reports) : null;
    this.control = new MemberControl(owner, config.seal(), hz.getExecutorService(ClusterConfig.CONTROL_EXECUTOR),
        config.mode() != ClusterConfig.Mode.CLIENT && config.slots() > 0 ? hz : null, isDurable, config.kill(),
        settings.cancelGrace());
    this.tasksLost = settings.metrics().counter(settings.metricName("cluster.tasks-lost"));
    settings.metrics().timer(settings.metricName("cluster.instance-startup")).update(started.startNanos(), TimeUnit.NANOSECONDS);
    this.assignments = new Assignments(config, settings, reports, this::send);
    this.members = assignments.members();
    lifecycle.attach(this);
    if (!hz.getLifecycleService().isRunning()) {
      throw new EngineConfigException(ClusterConfig.MODE, "the cluster backend's Hazelcast instance stopped as it started");
    }
    progress.listenTo(hz, owner);
    channels.listenTo(hz);
    if (config.seal().insecure()) {
      log.warn("Gearbox: engine {} runs cluster '{}' WITHOUT authentication ({}=true): any host that reaches its ports can"
          + " run code on its members, read every task and result, and forge results. Set a deployment secret ({}) unless"
          + " the network is yours alone", engineName, config.clusterName(), ClusterConfig.INSECURE, ClusterConfig.SECRET_ENV);
    }
    MemberProofs proofs = new MemberProofs(owner, config.seal(), hz.getExecutorService(ClusterConfig.CONTROL_EXECUTOR),
        reports, settings.metrics().counter(settings.metricName("cluster.members-refused")));
    hz.getCluster().addMembershipListener(new MembershipFlow(config.clusterName(), members, assignments, reports, outcomes,
        progress, tasksLost, durable != null, this::send, this::closeInstance, proofs, hz.getCluster(), channels));
    if (config.mode() == ClusterConfig.Mode.EMBEDDED) {
      this.parallelism = config.parallelism() > 0 ? config.parallelism() : config.slots();
    } else {
      int capacity = members.awaitTaskRunners(started.deadline(), () -> hz.getCluster().getMembers()
          + (proofs.refused().isEmpty() ? "" : "; refused for want of proof that they hold the deployment secret: "
              + String.join("; ", proofs.refused())));
      if (proofs.awaitSettled(started.deadline()) == 0) {
        capacity = Math.max(1, members.capacity()); // every member present at open has proved itself or been refused
      }
      if (config.mode() == ClusterConfig.Mode.CLIENT) {
        InstanceFactory.awaitConnectionsToMembers(hz, started.deadline(), engineName, config.clusterName());
      }
      // An explicit gearbox.workers caps how many tasks this engine runs at once on the cluster.
      this.parallelism = config.parallelism() > 0 ? config.parallelism()
          : settings.workersConfigured() ? settings.workers() : capacity;
    }
    assignments.limit(parallelism);
    members.registerGauges();
    if (config.daemon()) {
      ExitWatch.start(engineName, closeStarted::get, this::closeInstance);
    }
    log.debug("Gearbox: cluster backend of engine {} started ({} mode, cluster {}, {} ms)", engineName,
        config.mode(), config.clusterName(), TimeUnit.NANOSECONDS.toMillis(started.startNanos()));
  }

  @Override
  public BackendCapabilities capabilities() {
    return new BackendCapabilities(true, control.canKill(), true, false, true, true);
  }

  @Override
  public int parallelism() {
    return parallelism;
  }

  /** Room for {@code gearbox.cluster.prefetch} attempts per slot, waiting in the members' queues for a slot. */
  @Override
  public int prefetch() {
    return parallelism * config.prefetch();
  }

  /**
   * Serializes the task at submit: rejects what cannot cross, and keeps the bytes for every attempt.
   * Channels it captures travel as handles back to this JVM (the job keeps them alive meanwhile),
   * where members reach them through {@link ClusterChannels}.
   */
  @Override
  public Object prepare(Work work) {
    try {
      return ChannelHost.local().carrying(() -> payloads.prepare(work), pinned -> { });
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e); // prepare encodes in memory and reports its own failures unchecked
    }
  }

  // ---------------------------------------------------------------- dispatch

  @Override
  public Execution start(Attempt attempt) {
    byte[] work = payloads.workOf(attempt);
    ClusterExecution ex = new ClusterExecution(this, assignments, control, attempt, wireIds.incrementAndGet(), work);
    if (assignments.place(ex)) {
      send(ex);
    }
    return ex;
  }

  private void send(ClusterExecution ex) {
    if (ex.refusal != null) {
      reportEnded(ex.attempt, ex.refusal);
      return;
    }
    Assignments.Sent sent = assignments.sent(ex, false);
    if (sent == null) {
      return; // its member left before it was sent, and it was reported lost then
    }
    MemberSlots m = sent.member();
    Attempt a = ex.attempt;
    RemoteTask task = new RemoteTask(config.seal(), config.encrypt(), durable != null, ex.held,
        durable != null || m == null ? null : m.member.getUuid(), hz.getLocalEndpoint().getUuid(), owner, ex.wireId, a.taskId(), a.taskName(), a.number(), ex.work);
    if (m != null) {
      m.tasks.inc();
    }
    progress.route(ex.wireId, a, () -> {
      if (assignments.startHeard(ex)) {
        a.started();
      }
    });
    channels.began(ex.wireId, a.number());
    if (!ex.held) {
      a.started(); // a held one starts when its member says so (ProgressRelay)
    }
    if (plain != null) {
      plain.submit(ex, task, m);
    } else {
      // submitToKeyOwner waits for the task to be stored with its backups: not in the caller's thread. No member: it
      // is durable, and its member left before it was sent, so any owner will do.
      step(ex, () -> durable.submit(ex, task, m));
    }
    if (m != null && a.isCancelled()) {
      ex.sendCancel(false); // cancel(false) raced with the send: the member's flag starts set
    }
  }

  /** Runs {@link #runStep} on the report executor. */
  void step(ClusterExecution ex, Runnable step) {
    reports.execute(() -> runStep(ex, step));
  }

  /**
   * Runs a step that owns an in-flight attempt. Whatever the step throws (the instance stopped
   * under it, a class that cannot load here) ends the attempt with that failure, so that no
   * attempt is left in flight with its future pending and its slot taken.
   */
  void runStep(ClusterExecution ex, Runnable step) {
    try {
      step.run();
    } catch (Throwable t) {
      onOutcome(ex, null, t);
    }
  }

  // ---------------------------------------------------------------- outcomes

  /** Frees the attempt's slot; true if it was still in flight (not already reported lost). */
  private boolean release(ClusterExecution ex) {
    Assignments.Then then = assignments.release(ex);
    if (then == null) {
      return false;
    }
    if (then.started() != null) {
      then.started().attempt.started(); // a slot freed on its member: the oldest attempt held there took it
    }
    then.send().forEach(this::send);
    if (then.close()) {
      closeInstance();
    }
    return true;
  }

  /**
   * Reports an attempt's outcome: a member's encoded answer, or the failure that stopped it.
   * Never throws: whatever goes wrong here (a result class that cannot load or initialize in this
   * JVM, a codec bug) still reports the attempt.
   */
  void onOutcome(ClusterExecution ex, byte[] response, Throwable failure) {
    progress.finished(ex.wireId);
    MemberSlots member = ex.member;
    boolean memberLoss = failure != null && ClusterFailures.isMemberLoss(failure);
    channels.ended(ex.wireId, memberLoss); // before it is reported: elements it never had are back in their channels
    if (memberLoss && member != null) {
      members.suspect(member); // before the slot is freed, so the attempts it lets in do not go there
    }
    if (!release(ex)) {
      return;
    }
    Attempt a = ex.attempt;
    String label = member == null ? "a member of cluster '" + config.clusterName() + "'" : member.label;
    try {
      if (failure == null) {
        outcomes.answered(a, ex.wireId, label, response);
        return;
      }
      EngineException e = ClusterFailures.translate(a, label, failure, this::stoppedOnItsOwn, this::closing);
      if (e instanceof WorkerCrashedException) {
        tasksLost.inc();
      }
      outcomes.lost(a, e);
    } catch (VirtualMachineError fatal) {
      throw fatal; // the attempt was reported before it was rethrown (Payloads); the JVM must hear of it
    } catch (Throwable t) {
      log.warn("Gearbox: reporting the outcome of {} failed", a.taskName(), t);
      a.lost(new EngineException(a.taskId(), a.taskName(), "its outcome from " + label + " could not be reported: " + t, t));
    }
  }

  /** Reports, on the report executor, an attempt that ended without its member leaving, and why. */
  void reportEnded(Attempt a, String why) {
    outcomes.endedLater(a, why);
  }

  /** The engine halted the member of {@code ex} ({@link ClusterExecution#kill}): the attempt is lost now. */
  void halted(ClusterExecution ex, MemberSlots target, String why) {
    if (target != null) {
      members.suspect(target);
    }
    if (release(ex)) {
      tasksLost.inc();
      Attempt a = ex.attempt;
      String label = target == null ? "its member" : target.label;
      reports.execute(() -> a.lost(ClusterFailures.halted(a, label, why)));
    }
  }

  // ---------------------------------------------------------------- the instance's lifecycle

  /**
   * The instance stopped, and not by {@link #closeInstance} (the application stopped it, or
   * Hazelcast did after a fatal error): the attempts it held or that waited for a member fail now
   * with the reason, and {@link #start} refuses from now on. On a Hazelcast thread, on the thread
   * that stopped the instance, or on the report executor: nothing is reported here.
   */
  void instanceGone() {
    if (closeStarted.get()) {
      return; // the engine's own close
    }
    String why = "the Hazelcast " + (config.mode() == ClusterConfig.Mode.CLIENT ? "client" : "member") + " of cluster '"
        + config.clusterName() + "' shut down: not by the engine's close() (the application stopped it, or Hazelcast did"
        + " after a fatal error); the engine cannot run tasks any more";
    Assignments.Then then = assignments.gone(why);
    if (then == null) {
      return;
    }
    log.warn("Gearbox: engine {}: {}", engineName, why);
    channels.close();
    if (!then.ended().isEmpty()) {
      reports.execute(() -> {
        for (ClusterExecution ex : then.ended()) {
          progress.finished(ex.wireId);
          outcomes.ended(ex.attempt, new EngineException(ex.attempt.taskId(), ex.attempt.taskName(), why, null));
        }
      });
    }
    if (then.close()) {
      closeInstance();
    }
  }

  /** If the instance stopped and not by the engine's close: marks it gone ({@link #instanceGone}) and says why; else null. */
  private String stoppedOnItsOwn() {
    if (closeStarted.get() || hz.getLifecycleService().isRunning()) {
      return null;
    }
    instanceGone();
    return assignments.goneReason();
  }

  // ---------------------------------------------------------------- stopping

  /** The engine has settled every task: the instance stops once the attempts still running (abandoned) return. */
  @Override
  public dev.gearbox.spi.BackendView view() {
    return assignments.view();
  }

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
    Assignments.Then then = assignments.shutdown();
    for (ClusterExecution ex : then.ended()) {
      reportEnded(ex.attempt, "the cluster backend shut down before a member took it");
    }
    if (then.close()) {
      closeInstance();
      return;
    }
    if (now) {
      assignments.inFlight().forEach(ex -> ex.sendCancel(true));
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
    List<ClusterExecution> abandoned = assignments.close();
    channels.close();
    Thread closer = new Thread(() -> {
      try {
        for (ClusterExecution ex : abandoned) {
          reportEnded(ex.attempt, "the cluster backend shut down while it still ran on "
              + (ex.member == null ? "a member" : ex.member.label) + " (it ignored its interrupt for gearbox.cancel.grace)");
        }
        if (config.mode() != ClusterConfig.Mode.EMBEDDED && lifecycle.connected() && assignments.goneReason() == null) {
          progress.destroy(channels.topic());
        }
        hz.shutdown();
      } catch (RuntimeException e) {
        log.warn("Gearbox: the cluster backend of engine {} failed to leave the cluster cleanly", engineName, e);
      } finally {
        reports.shutdown();
        members.removeGauges();
        closed.countDown();
      }
    }, "gearbox-" + engineName + "-cluster-close");
    closer.setDaemon(true);
    closer.start();
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!closed.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    return reports.awaitTermination(Duration.ofNanos(deadline - System.nanoTime()));
  }

  // ---------------------------------------------------------------- for DurableSubmission and LifecycleRelay

  /** Whether the engine's close has started (it leaves the cluster). */
  boolean closeStarted() {
    return closeStarted.get();
  }

  /** Whether the engine is leaving the cluster. */
  boolean closing() {
    return assignments.closing();
  }
}
