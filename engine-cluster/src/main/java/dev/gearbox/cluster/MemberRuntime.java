package dev.gearbox.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.TaskContext;
import dev.gearbox.spi.remote.SerialCodec;
import dev.gearbox.spi.Work;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

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

  private static final long TOMBSTONE_NANOS = TimeUnit.MINUTES.toNanos(2);

  final SerialCodec codec;
  /** The member's worker processes ({@code isolation=process}), or null: tasks run in this JVM. */
  final IsolatedTasks isolated;
  private final ConcurrentHashMap<RunKey, Running> running = new ConcurrentHashMap<>();

  MemberRuntime(SerialCodec codec) {
    this(codec, null);
  }

  MemberRuntime(SerialCodec codec, IsolatedTasks isolated) {
    this.codec = codec;
    this.isolated = isolated;
  }

  /** The runtime of this member; members not started by Gearbox get one with the default codec. */
  static MemberRuntime of(HazelcastInstance hz) {
    return (MemberRuntime) hz.getUserContext().computeIfAbsent(KEY, k -> new MemberRuntime(ClusterConfig.defaultCodec()));
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

  // ---------------------------------------------------------------- running

  byte[] run(RemoteTask task, HazelcastInstance hz) {
    RunKey key = new RunKey(task.owner, task.wireId);
    Thread me = Thread.currentThread();
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
      return new byte[] {CANCELLED};
    }
    try {
      if (isolated != null) {
        return isolated.run(task, () -> entry.cancelled, (t, fraction, message) -> publishProgress(hz, t, fraction, message));
      }
      Work work;
      try {
        work = (Work) codec.decode(task.work, 0);
      } catch (ClassNotFoundException e) {
        return cannotRun("class " + e.getMessage() + " is not on the classpath of " + describe(hz.getCluster().getLocalMember())
            + ". Task classes must be on"
            + " every member's classpath: start each member with the application's classes, e.g. java -cp"
            + " <application classpath> dev.gearbox.cluster.WorkerMember");
      } catch (InvalidClassException e) {
        return cannotRun("it could not be deserialized on " + describe(hz.getCluster().getLocalMember()) + ": " + e.getMessage()
            + (String.valueOf(e.getMessage()).contains("REJECTED") ? " (rejected by that member's deserialization filter,"
                + " gearbox.cluster.serial-filter)" : ""));
      } catch (IOException | RuntimeException | LinkageError e) {
        return cannotRun("it could not be deserialized on " + describe(hz.getCluster().getLocalMember()) + ": " + e);
      }
      Object result;
      try {
        result = work.run(new Context(task, entry, hz));
      } catch (Throwable t) {
        return failure(t);
      }
      try {
        byte[] bytes = codec.encode(result);
        byte[] out = new byte[bytes.length + 1];
        out[0] = OK;
        System.arraycopy(bytes, 0, out, 1, bytes.length);
        return out;
      } catch (IOException | RuntimeException e) {
        return failure(e); // a result that does not serialize fails its task, naming the class
      }
    } finally {
      running.compute(key, (k, r) -> {
        if (r != null && r.interruptedByUs) {
          Thread.interrupted(); // our interrupt must not leak into the pool thread's next task
        }
        return null;
      });
    }
  }

  private byte[] failure(Throwable t) {
    try {
      return codec.encodeFailure(new byte[] {FAILED}, t);
    } catch (IOException e) {
      return cannotRun("its exception " + t.getClass().getName() + " could not be encoded: " + e);
    }
  }

  static byte[] cannotRun(String why) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(CANNOT_RUN);
    out.writeBytes(why.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- cancelling

  void cancel(String owner, long wireId, boolean interrupt) {
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
  void haltIfRunning(String owner, long wireId, String taskName, String why) {
    Running r = running.get(new RunKey(owner, wireId));
    if (r == null || r.thread == null) {
      return;
    }
    System.err.println("gearbox: halting this member: task " + taskName + " " + why + " (gearbox.cluster.kill=member)");
    System.err.flush();
    Runtime.getRuntime().halt(HALT_EXIT_CODE);
  }

  /** Kills the worker process running the given task, if this member has isolation=process and runs it ({@code kill=task}). */
  void killIsolated(String owner, long wireId, String taskName) {
    if (isolated != null) {
      isolated.kill(owner, wireId, taskName);
    }
  }

  /** Publishes a task's progress on its engine's topic. */
  static void publishProgress(HazelcastInstance hz, RemoteTask task, double fraction, String message) {
    hz.<ProgressReport>getTopic(ClusterConfig.PROGRESS_TOPIC_PREFIX + task.owner)
        .publish(new ProgressReport(task.wireId, fraction, message));
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

    Context(RemoteTask task, Running entry, HazelcastInstance hz) {
      this.task = task;
      this.entry = entry;
      this.hz = hz;
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
      publishProgress(hz, task, fraction, message);
    }
  }
}
