package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.TaskContext;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.remote.SerialCodec;
import dev.gearbox.spi.Work;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The member side of the cluster backend, one per Hazelcast member (kept in the member's user
 * context): runs {@link RemoteTask}s and keeps a registry of the ones running, keyed by the
 * submitting engine and attempt, so that a {@link CancelRequest} from the engine can set a task's
 * cooperative flag and interrupt its thread.
 *
 * <p>A cancel may overtake its task on the way (they travel as separate operations): it then
 * leaves a tombstone that the task finds when it arrives, and a cancelled task never starts
 * (whether the cancel asked for an interrupt or not, as {@code Future.cancel} promises). Tombstones of tasks that never arrive are purged after {@link #TOMBSTONE_NANOS}.
 *
 * <p>Results are encoded here as a tag byte and a payload (see the {@code OK}... constants).
 *
 * <p>A member with {@code isolation=process} runs each task in a worker process instead
 * ({@link IsolatedTasks}): {@link #run} hands it the task's bytes undecoded, and cancels go on to it.
 */
final class MemberRuntime {
  static final String KEY = "dev.gearbox.cluster.MemberRuntime";

  /** Result tags. */
  static final byte OK = 0;
  static final byte FAILED = 1;
  static final byte CANNOT_RUN = 2;
  static final byte CANCELLED = 3;
  /** Its worker process died under it (a member with isolation=process; {@link CrashedAnswer}). */
  static final byte CRASHED = 4;

  /**
   * How long a cancel waits for its task. A task may wait in this member's queue behind long ones
   * (the engine's prefetch) after its cancel came, so this is generous; tombstones are purged only
   * once there are more than 64.
   */
  private static final long TOMBSTONE_NANOS = TimeUnit.HOURS.toNanos(1);

  final SerialCodec codec;
  /** The deployment secret's seal; null on a member that Gearbox did not configure, which refuses everything. */
  private final Seal seal;
  private final ReplayGuard replays;
  private final Refusals refusals = new Refusals(new Counter());
  /** Its tasks' channel operations, performed by their engines. */
  final MemberChannels channels;
  /** The member's worker processes ({@code isolation=process}), or null: tasks run in this JVM. */
  final IsolatedTasks isolated;
  private final ConcurrentHashMap<RunKey, Running> running = new ConcurrentHashMap<>();

  MemberRuntime(SerialCodec codec, Seal seal, ReplayGuard replays, IsolatedTasks isolated) {
    this.codec = codec;
    this.seal = seal;
    this.replays = replays;
    this.isolated = isolated;
    this.channels = new MemberChannels(codec, seal, refusals);
  }

  /** The runtime of a member that Gearbox configures with {@code config}; {@code isolated} null: tasks run in this JVM. */
  static MemberRuntime configured(ClusterConfig config, SerialCodec codec, IsolatedTasks isolated) {
    return new MemberRuntime(codec, config.seal(), new ReplayGuard(config.replayWindow()), isolated);
  }

  /**
   * The runtime of this member; a member that Gearbox did not configure (its user context holds
   * none) gets one without a secret, which refuses every envelope.
   */
  static MemberRuntime of(HazelcastInstance hz) {
    return (MemberRuntime) hz.getUserContext().computeIfAbsent(KEY, k -> new MemberRuntime(ClusterConfig.defaultCodec(), null, null, null));
  }

  /** A member as messages name it: its Gearbox name if it has one, and its address. */
  static String describe(Member m) {
    String name = m.getAttribute(ClusterConfig.NAME_ATTRIBUTE);
    return "member " + (name == null ? "" : name + " ") + "at " + m.getAddress().getHost() + ":" + m.getAddress().getPort();
  }

  private record RunKey(String owner, long wireId) {}

  /** A running task, or the tombstone of a cancel that came first. Guarded by the map's per-key lock (compute). */
  private static final class Running {
    final long createdNanos = System.nanoTime();
    Thread thread;
    volatile boolean cancelled;
    boolean interruptedByUs;
  }

  // ---------------------------------------------------------------- authentication

  /**
   * Why a control request is refused here, or null if it is authentic and fresh (then it is
   * remembered, so a copy is refused later). Nothing in it has been decoded yet.
   */
  private String refusal(String what, Stamp.Sealed req, HazelcastInstance hz) {
    Stamp stamp = req.stamp();
    return refusal(what, seal == null ? null : req.macWith(seal), stamp.mac, stamp.sentAt, 0, hz, false);
  }

  /**
   * Why an envelope is refused here, or null if it is authentic and fresh (then it is remembered,
   * so a copy is refused later); {@code repeatable}: an envelope this member may legitimately get twice (a durable
   * task, which Hazelcast runs again when it cannot tell whether it ran), checked against the
   * window only.
   */
  private String refusal(String what, byte[] expectedMac, byte[] mac, long sentAt, long arrivedAt, HazelcastInstance hz,
      boolean repeatable) {
    if (seal == null) {
      return here(hz) + " holds no deployment secret (it was not started by Gearbox's WorkerMember or an engine), so it"
          + " runs nothing";
    }
    if (!Seal.matches(expectedMac, mac)) {
      return "the " + what + " failed authentication on " + here(hz) + ": it was not sealed with that member's deployment"
          + " secret (" + ClusterConfig.SECRET + "; the engine and every member need the same), or it was altered on the way";
    }
    long now = arrivedAt != 0 ? arrivedAt : System.currentTimeMillis();
    String stale = repeatable ? replays.checkWindow(sentAt, now) : replays.check(sentAt, mac, now);
    return stale == null ? null : here(hz) + " refused the " + what + ": " + stale;
  }

  private static String here(HazelcastInstance hz) {
    return hz == null ? "this member" : describe(hz.getCluster().getLocalMember());
  }

  private void warnRefused(String refusal) {
    refusals.refused(refusal);
  }

  /** This member's proof that it holds the deployment secret, for the engine {@code owner}'s {@code challenge}. */
  byte[] prove(String owner, byte[] challenge, HazelcastInstance hz) {
    if (seal == null) {
      throw new IllegalStateException(describe(hz.getCluster().getLocalMember()) + " holds no deployment secret (it was"
          + " not started by Gearbox's WorkerMember or an engine)");
    }
    return ProofRequest.proof(seal, owner, challenge, hz.getCluster().getLocalMember().getUuid());
  }

  // ---------------------------------------------------------------- running

  byte[] run(RemoteTask task, HazelcastInstance hz) {
    String refused = refusal("task " + Refusals.clean(task.taskName) + " (id " + task.taskId + ")",
        seal == null ? null : task.macWith(seal), task.mac, task.sentAt, task.arrivedAt, hz, task.durable);
    if (refused == null && task.target != null && hz != null && !task.target.equals(hz.getCluster().getLocalMember().getUuid())) {
      refused = here(hz) + " refused task " + Refusals.clean(task.taskName) + ": it was sealed for another member (a copy"
          + " played back here)";
    }
    if (refused != null) {
      warnRefused(refused);
      return Answers.refusal(refused);
    }
    RunKey key = new RunKey(task.owner, task.wireId);
    Thread me = Thread.currentThread();
    MemberChannels.TaskRoute route = channels.routeFor(task, hz);
    boolean[] skip = {false};
    Running entry = running.compute(key, (k, r) -> {
      Running e = r == null ? new Running() : r;
      if (e.cancelled) {
        skip[0] = true;
        return null; // cancelled (with or without interrupt) before it arrived: it never starts
      }
      e.thread = me;
      return e;
    });
    if (skip[0]) {
      return answer(task, CANCELLED, new byte[0], 0);
    }
    // Numbers this task's reports to its engine (its start, if it was held, then its progress), so replays are refused.
    AtomicLong numbers = new AtomicLong();
    if (task.held) {
      // It waited here for a slot (the engine's prefetch): the engine starts its deadline when it hears this.
      hz.<ProgressReport>getTopic(ClusterConfig.PROGRESS_TOPIC_PREFIX + task.owner)
          .publishAsync(new ProgressReport(seal, task.owner, task.wireId, numbers.incrementAndGet(), true, 0.0, null));
    }
    try {
      byte[] bytes;
      try {
        bytes = task.encrypted ? seal.decrypt(task.work, 0) : task.work;
      } catch (GeneralSecurityException e) {
        return cannotRun(task, "its payload could not be decrypted on " + here(hz) + ": " + e);
      }
      if (isolated != null) {
        task.work = bytes; // authenticated and decrypted: the worker gets the task as the engine encoded it
        // The worker's channel calls: performed here if the engine is in this JVM, else forwarded to it.
        ChannelHost channelHost = task.engine == null || hz == null || task.engine.equals(hz.getLocalEndpoint().getUuid())
            ? ChannelHost.local() : new ForwardedChannels(route, codec);
        byte[] raw = isolated.run(task, () -> entry.cancelled,
            (t, fraction, message) -> publishProgress(seal, hz, t, numbers.incrementAndGet(), fraction, message), channelHost);
        return answer(task, raw[0], raw, 1);
      }
      Work work;
      try {
        work = (Work) channels.decode(route, bytes, 0); // the channels it captured take its route to the engine
      } catch (ClassNotFoundException e) {
        return cannotRun(task, "class " + e.getMessage() + " is not on the classpath of " + describe(hz.getCluster().getLocalMember())
            + ". Task classes must be on"
            + " every member's classpath: start each member with the application's classes, e.g. java -cp"
            + " <application classpath> dev.gearbox.cluster.WorkerMember");
      } catch (InvalidClassException e) {
        return cannotRun(task, "it could not be deserialized on " + describe(hz.getCluster().getLocalMember()) + ": " + e.getMessage()
            + (String.valueOf(e.getMessage()).contains("REJECTED") ? " (rejected by that member's deserialization filter,"
                + " gearbox.cluster.serial-filter)" : ""));
      } catch (IOException | RuntimeException | LinkageError e) {
        return cannotRun(task, "it could not be deserialized on " + describe(hz.getCluster().getLocalMember()) + ": " + e);
      }
      Object result;
      try {
        result = work.run(new Context(task, entry, hz, seal, numbers));
      } catch (Throwable t) {
        return failure(task, t);
      }
      try {
        return answer(task, OK, codec.encode(result), 0);
      } catch (IOException | RuntimeException e) {
        return failure(task, e); // a result that does not serialize fails its task, naming the class
      }
    } finally {
      route.end();
      running.compute(key, (k, r) -> {
        if (r != null && r.interruptedByUs) {
          Thread.interrupted(); // our interrupt must not leak into the pool thread's next task
        }
        return null;
      });
    }
  }

  private byte[] answer(RemoteTask task, byte tag, byte[] payload, int offset) {
    return Answers.seal(seal, task, tag, payload, offset);
  }

  private byte[] failure(RemoteTask task, Throwable t) {
    try {
      return answer(task, FAILED, codec.encodeFailure(new byte[] {FAILED}, t), 1);
    } catch (IOException e) {
      return cannotRun(task, "its exception " + t.getClass().getName() + " could not be encoded: " + e);
    }
  }

  private byte[] cannotRun(RemoteTask task, String why) {
    return answer(task, CANNOT_RUN, why.getBytes(StandardCharsets.UTF_8), 0);
  }

  /** An unsealed {@code CANNOT_RUN} tag and reason, as {@link IsolatedTasks} answers before this runtime seals it. */
  static byte[] cannotRun(String why) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(CANNOT_RUN);
    out.writeBytes(why.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- cancelling

  void cancel(CancelRequest req, HazelcastInstance hz) {
    String refused = refusal("cancel request", req, hz);
    if (refused != null) {
      warnRefused(refused);
      return;
    }
    cancel(req.owner, req.wireId, req.interrupt);
  }

  private void cancel(String owner, long wireId, boolean interrupt) {
    running.compute(new RunKey(owner, wireId), (k, r) -> {
      Running e = r == null ? new Running() : r;
      e.cancelled = true;
      if (interrupt) {
        if (e.thread != null && !e.interruptedByUs) {
          e.interruptedByUs = true;
          e.thread.interrupt();
        }
      }
      return e;
    });
    if (isolated != null) {
      isolated.cancel(owner, wireId, interrupt);
    }
    if (running.size() > 64) {
      long now = System.nanoTime();
      running.entrySet().removeIf(en -> en.getValue().thread == null && now - en.getValue().createdNanos > TOMBSTONE_NANOS);
    }
  }

  /**
   * Halts this member if it is running the given task still: the last rung of the engine's stop
   * ladder ({@code gearbox.cluster.kill=member}). A member that runs it no longer ignores the request.
   */
  void haltIfRunning(HaltRequest req, HazelcastInstance hz) {
    String refused = refusal("halt request", req, hz);
    if (refused != null) {
      warnRefused(refused);
      return;
    }
    Running r = running.get(new RunKey(req.owner, req.wireId));
    if (r == null || r.thread == null) {
      return;
    }
    System.err.println("gearbox: halting this member: task " + req.taskName + " " + req.why + " (gearbox.cluster.kill=member)");
    System.err.flush();
    Runtime.getRuntime().halt(HALT_EXIT_CODE);
  }

  /**
   * Kills the worker process running the given task, if this member has isolation=process and
   * runs it ({@code kill=task}); a request that fails authentication is refused like any envelope.
   */
  void killIsolated(KillTaskRequest req, HazelcastInstance hz) {
    String refused = refusal("kill request", req, hz);
    if (refused != null) {
      warnRefused(refused);
      return;
    }
    if (isolated != null) {
      isolated.kill(req.owner, req.wireId, req.taskName);
    }
  }

  /** Publishes a task's progress, number {@code sequence} of its attempt, sealed for its engine, on the engine's topic. */
  private static void publishProgress(Seal seal, HazelcastInstance hz, RemoteTask task, long sequence, double fraction,
      String message) {
    hz.<ProgressReport>getTopic(ClusterConfig.PROGRESS_TOPIC_PREFIX + task.owner)
        .publish(new ProgressReport(seal, task.owner, task.wireId, sequence, fraction, message));
  }

  /** The exit code of a member halted by an engine's stop ladder (as if SIGKILLed). */
  static final int HALT_EXIT_CODE = 137;

  /** Tasks running or cancels waiting for their task, for tests. */
  int registered() {
    return running.size();
  }

  /** The task's view of the engine, relayed over the cluster. */
  private static final class Context implements TaskContext {
    private final RemoteTask task;
    private final Running entry;
    private final HazelcastInstance hz;
    private final Seal seal;
    /** Numbers this task's reports, so that the engine refuses a replayed one. */
    private final AtomicLong sequence;

    Context(RemoteTask task, Running entry, HazelcastInstance hz, Seal seal, AtomicLong sequence) {
      this.task = task;
      this.entry = entry;
      this.hz = hz;
      this.seal = seal;
      this.sequence = sequence;
    }

    @Override
    public long taskId() {
      return task.taskId;
    }

    @Override
    public String taskName() {
      return task.taskName;
    }

    @Override
    public int attempt() {
      return task.attempt;
    }

    @Override
    public boolean isCancelled() {
      return entry.cancelled;
    }

    @Override
    public void progress(double fraction, String message) {
      if (!(fraction >= 0.0 && fraction <= 1.0)) {
        throw new IllegalArgumentException("progress fraction must be within [0, 1], got " + fraction);
      }
      publishProgress(seal, hz, task, sequence.incrementAndGet(), fraction, message);
    }
  }
}
