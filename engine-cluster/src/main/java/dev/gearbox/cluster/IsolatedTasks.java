package dev.gearbox.cluster;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import dev.gearbox.EngineConfigException;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.remote.MapSettings;
import dev.gearbox.spi.remote.SerialCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's own pool of worker processes ({@code gearbox.cluster.isolation=process}): each task
 * the member receives runs in a worker JVM of its own, so a task can be stopped, or can crash,
 * without its member and the member's other tasks.
 *
 * <h2>Design</h2>
 * The pool is the {@code process} backend, found by name like any backend and driven through the
 * SPI: this class plays the core's part for it. {@link MemberRuntime#run} calls {@link #run} in
 * the Hazelcast executor thread that received the task, with the task's bytes; they go to a
 * worker as they came (an {@link IsolatedAttempt} whose {@code prepared()} is those bytes), so the
 * member never decodes the task, and the worker's answer comes back as its bytes too. The
 * executor thread waits for that answer: the member's slots are its executor's threads, and the
 * pool has one worker per slot, so a task never waits for a worker (except while one is replaced).
 *
 * <p><b>The stop ladder.</b> A cancel from the engine ({@link #cancel}) reaches the local
 * attempt: the cooperative flag, or an interrupt of the task's thread in its worker. After an
 * interrupt, a task still running after the member's {@code gearbox.cancel.grace} has its worker
 * killed, and the pool starts another; with {@code gearbox.cluster.kill=task} the engine's own
 * ladder asks for that kill too ({@link #kill}, {@link KillTaskRequest}), after the engine's grace.
 * A worker's death answers only its task, with a {@link CrashedAnswer}.
 *
 * <p><b>What the member decides instead of the process keys.</b> One worker per slot
 * ({@code workers} = {@code gearbox.cluster.slots}, {@code concurrency=1}), no prefetch (the member
 * never holds more tasks than its slots), the member's payload limit and deserialization filter
 * ({@code gearbox.cluster.max-payload}, {@code serial-filter}), and no quarantine of its own: task
 * ids are per engine and several engines may share a member, so the engine's
 * {@code gearbox.cluster.poison-threshold} decides, counting each worker death against the task
 * that died. The other {@code gearbox.process.*} keys apply as on the process level (heap, JVM
 * options, recycling, idle timeout, start-up timeout...).
 *
 * <p>Thread-safety: thread-safe. The attempts running are in a concurrent map; each attempt guards
 * its own state; the local backend is called without a lock of this class.
 */
final class IsolatedTasks {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  private static final String PROCESS_BACKEND = "process";
  /** The artifact that holds the process backend, named when it is missing. */
  static final String PROCESS_ARTIFACT = "dev.gearbox:gearbox-engine-process";
  private static final String P = "gearbox.process.";
  /** The process keys a member sets itself (see the class comment), with no value of their own here. */
  private static final List<String> MEMBER_SET = List.of(P + "workers", P + "concurrency", P + "prefetch",
      P + "max-payload", P + "serial-filter", P + "poison-threshold", P + "keep-warm");
  /** The local pool's poison threshold: its highest, so that only the engine quarantines. */
  private static final String NO_LOCAL_QUARANTINE = "1000";
  /** How long closing waits for the workers to exit after the grace period. */
  private static final Duration EXIT = Duration.ofSeconds(10);

  private final Backend pool;
  private final Duration grace;
  private final SerialCodec codec;
  private final ScheduledThreadPoolExecutor timer;
  private final ConcurrentHashMap<Key, IsolatedAttempt> running = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private record Key(String owner, long wireId) {}

  private IsolatedTasks(Backend pool, Duration grace, SerialCodec codec) {
    this.pool = pool;
    this.grace = grace;
    this.codec = codec;
    this.timer = new ScheduledThreadPoolExecutor(1,
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat("gearbox-member-isolation-timer").build());
    timer.setRemoveOnCancelPolicy(true);
  }

  /**
   * The pool a member with {@code config} needs, started (its first workers are ready), or null
   * for a member without isolation.
   *
   * @param source the {@code gearbox.process.*} keys, and {@code gearbox.cancel.grace}
   * @throws EngineConfigException naming the key of an unusable setting, or the artifact to add if
   *     the process backend is not on the classpath
   */
  static IsolatedTasks open(ClusterConfig config, BackendSettings source) {
    if (config.isolation() != ClusterConfig.Isolation.PROCESS) {
      return null;
    }
    BackendProvider process = processProvider();
    Map<String, String> options = new HashMap<>();
    List<String> ignored = new ArrayList<>();
    for (String key : process.configKeys()) {
      source.get(key).ifPresent(v -> {
        if (MEMBER_SET.contains(key)) {
          ignored.add(key);
        } else {
          options.put(key, v);
        }
      });
    }
    if (!ignored.isEmpty()) {
      log.info("Gearbox: member {}: its worker processes ignore {}: with {}=process, a member has one worker per slot,"
          + " no prefetch, its own payload limit and filter, and the engine quarantines poison", config.memberName(), ignored,
          ClusterConfig.ISOLATION);
    }
    options.put(P + "workers", Integer.toString(config.slots()));
    options.put(P + "concurrency", "1");
    options.put(P + "prefetch", "0");
    options.put(P + "max-payload", Integer.toString(config.maxPayload()));
    if (config.serialFilter() != null) {
      options.put(P + "serial-filter", config.serialFilter());
    }
    options.put(P + "poison-threshold", NO_LOCAL_QUARANTINE);
    options.put(P + "keep-warm", "0"); // a member's workers are its own: none taken from or left to other engines
    // An embedded member serves its one engine: its workers make that engine's worker state as they
    // start, so a failing initializer fails the open. A member others join serves any engine: its
    // workers make each engine's state at that engine's first task there.
    Backend pool = process.create(new MapSettings("cluster-member", config.slots(), source.cancelGrace(), options,
        config.mode() == ClusterConfig.Mode.EMBEDDED ? source.workerStart().orElse(null) : null));
    return new IsolatedTasks(pool, source.cancelGrace(), config.codec());
  }

  /** The process backend, found by name as the core finds backends. */
  private static BackendProvider processProvider() {
    return ServiceLoader.load(BackendProvider.class, IsolatedTasks.class.getClassLoader()).stream()
        .map(ServiceLoader.Provider::get).filter(p -> p.name().equals(PROCESS_BACKEND)).findFirst()
        .orElseThrow(() -> new EngineConfigException(ClusterConfig.ISOLATION, ClusterConfig.ISOLATION + "=process runs"
            + " a member's tasks in worker processes of the process backend, which is not on this JVM's classpath: add "
            + PROCESS_ARTIFACT + " (the version of gearbox-engine-cluster) to it, or set " + ClusterConfig.ISOLATION + "=none"));
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs the task in a worker and returns the member's answer for the engine; waits, in the
   * member's executor thread, until the worker answers or dies. A task cancelled before it got
   * here never starts.
   *
   * @param cancelled the task's cooperative flag on the member
   */
  byte[] run(RemoteTask task, BooleanSupplier cancelled, IsolatedAttempt.ProgressSink progress, ChannelHost channels) {
    Key key = new Key(task.owner, task.wireId);
    IsolatedAttempt a = new IsolatedAttempt(task, codec, cancelled, progress, channels);
    running.put(key, a);
    try {
      // After the attempt is registered: a cancel either finds it, or set the flag before this read.
      if (cancelled.getAsBoolean()) {
        return new byte[] {MemberRuntime.CANCELLED};
      }
      Execution e;
      try {
        e = pool.start(a);
      } catch (RejectedExecutionException ex) {
        return MemberRuntime.cannotRun("its member is stopping its worker processes (" + ex.getMessage() + ")");
      }
      a.started(e);
      return a.answer();
    } finally {
      running.remove(key, a);
    }
  }

  // ---------------------------------------------------------------- the stop ladder

  /**
   * A cancel from the task's engine: passed to the local attempt; after an interrupt, its worker
   * is killed if the task still runs after {@code gearbox.cancel.grace}. Nothing if the task does
   * not run here.
   */
  void cancel(String owner, long wireId, boolean interrupt) {
    IsolatedAttempt a = running.get(new Key(owner, wireId));
    if (a == null) {
      return;
    }
    a.cancel(interrupt);
    if (interrupt) {
      try {
        timer.schedule(() -> {
          if (a.kill()) {
            log.info("Gearbox: killed the worker running task {}: it ignored its interrupt for {} ms (gearbox.cancel.grace)",
                a.taskName(), grace.toMillis());
          }
        }, grace.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        a.kill(); // closing: the pool kills what is left anyway
      }
    }
  }

  /**
   * The last rung of the engine's stop ladder ({@code gearbox.cluster.kill=task}): kills the
   * worker running the task, if it still runs here.
   */
  void kill(String owner, long wireId, String taskName) {
    IsolatedAttempt a = running.get(new Key(owner, wireId));
    if (a != null && a.kill()) {
      log.info("Gearbox: killed the worker running task {} (gearbox.cluster.kill=task)", taskName);
    }
  }

  // ---------------------------------------------------------------- closing

  /**
   * Stops the pool: the tasks still running are interrupted, and their workers killed after
   * {@code gearbox.cancel.grace}; returns once every worker has exited (bounded). Idempotent.
   */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    running.values().forEach(a -> a.cancel(true));
    pool.shutdownNow();
    try {
      if (!pool.awaitTermination(grace.plus(EXIT))) {
        log.warn("Gearbox: the worker processes of this member did not all exit within {} ms", grace.plus(EXIT).toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      timer.shutdownNow();
    }
  }

  /** Closes the pool when its member shuts down, however that happens (the engine's close, SIGTERM, terminate). */
  LifecycleListener closeWithMember() {
    return event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.SHUTTING_DOWN
          || event.getState() == LifecycleEvent.LifecycleState.SHUTDOWN) {
        close();
      }
    };
  }
}
