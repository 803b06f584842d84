package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import dev.gearbox.spi.Attempt;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress from tasks on the members to their attempts. Members publish {@link ProgressReport}s
 * on the engine's own topic ({@link ClusterConfig#PROGRESS_TOPIC_PREFIX} and the engine's owner
 * id); the relay hands each to the attempt its wire id names. A task's progress events travel
 * apart from its result and may arrive after it, so a finished attempt's route lingers for
 * {@link #LINGER_NANOS}. A report counts only if its MAC checks out (no forged progress) and its
 * number is above the last one its attempt took (a stale or replayed one is dropped quietly). Reports arrive on a Hazelcast thread: {@link Attempt#progress} only
 * queues an event for the engine's listener thread, so no callback of the application runs there.
 *
 * <p>Thread-safe: {@link #targets} is a concurrent map, {@link #finished} is guarded by itself,
 * and {@link #topic} is set once, by {@link #listenTo}, before any attempt starts.
 */
final class ProgressRelay {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** How long close waits for the members to destroy the progress topic. */
  private static final long DESTROY_WAIT_MILLIS = 2_000;

  private final String engineName;
  private final Seal seal;
  private final Refusals refused;
  /** Where progress goes, by wire id: attempts in flight, and for a while those that finished. */
  private final Map<Long, Route> targets = new ConcurrentHashMap<>();
  /** Finished attempts' wire ids with the time they finished, oldest first. Guarded by itself. */
  private final ArrayDeque<long[]> finished = new ArrayDeque<>();
  private volatile ITopic<ProgressReport> topic;
  /** The engine's id, to which members seal progress; set with {@link #topic}. */
  private volatile String owner;

  /**
   * @param seal checks each report's MAC
   * @param refused counts reports that fail authentication or come again
   */
  ProgressRelay(String engineName, Seal seal, Refusals refused) {
    this.engineName = engineName;
    this.seal = seal;
    this.refused = refused;
  }

  /** An attempt's progress route, what to do when its member says it started, and the number of the last report it took. */
  private static final class Route {
    final Attempt attempt;
    final Runnable onStart;
    /** Guarded by this. */
    long lastSequence;

    Route(Attempt attempt, Runnable onStart) {
      this.attempt = attempt;
      this.onStart = onStart;
    }
  }

  /** Subscribes to the engine's topic on {@code hz}, whose name members derive from {@code owner}. */
  void listenTo(HazelcastInstance hz, String owner) {
    this.owner = owner;
    ITopic<ProgressReport> t = hz.getTopic(ClusterConfig.PROGRESS_TOPIC_PREFIX + owner);
    t.addMessageListener(m -> onProgress(m.getMessageObject()));
    this.topic = t;
  }

  /** Routes the progress of {@code wireId} to {@code attempt}, from before it is sent; {@code onStart} runs on its start notice. */
  void route(long wireId, Attempt attempt, Runnable onStart) {
    targets.put(wireId, new Route(attempt, onStart));
  }

  /** Keeps a finished attempt's progress route for a while; drops the routes that expired. */
  void finished(long wireId) {
    long now = System.nanoTime();
    synchronized (finished) {
      finished.add(new long[] {wireId, now});
      while (!finished.isEmpty() && now - finished.peek()[1] > LINGER_NANOS) {
        targets.remove(finished.poll()[0]);
      }
    }
  }

  /** Takes a report whose MAC checks out and whose number is above the last one of its attempt; drops any other. */
  private void onProgress(ProgressReport r) {
    if (!Seal.matches(r.macWith(seal, owner), r.mac)) {
      refused.refused("engine " + engineName + " dropped a progress report that failed authentication (not sealed with"
          + " this deployment's secret, " + ClusterConfig.SECRET + "): someone without the secret publishes on its topic");
      return;
    }
    Route route = targets.get(r.wireId);
    if (route == null) {
      return;
    }
    if (r.started) {
      // A held attempt left its member's queue: its deadline starts now. Idempotent, so its order
      // among the attempt's reports does not matter (it is published without waiting).
      route.onStart.run();
      return;
    }
    synchronized (route) {
      if (r.sequence <= route.lastSequence) {
        return; // stale: a later report came first, or a copy played back; either way it says nothing new
      }
      route.lastSequence = r.sequence;
    }
    route.attempt.progress(r.fraction, r.message);
  }

  /**
   * Destroys this engine's progress topic (and {@code alongside}, its channel topic) on the members, so that long-running members do not keep
   * one per engine that ever ran. That is a cluster-wide call, which waits while no member answers
   * (a client whose cluster just went away), so it runs on a thread of its own and close waits for
   * it {@link #DESTROY_WAIT_MILLIS} at most; the instance's shutdown ends it in any case.
   */
  void destroy(ITopic<?> alongside) {
    ITopic<ProgressReport> t = topic;
    if (t == null) {
      return;
    }
    Thread destroyer = new Thread(() -> {
      destroyQuietly(t);
      if (alongside != null) {
        destroyQuietly(alongside); // also when the first failed
      }
    }, "gearbox-" + engineName + "-cluster-topic-destroy");
    destroyer.setDaemon(true);
    destroyer.start();
    try {
      destroyer.join(DESTROY_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void destroyQuietly(ITopic<?> t) {
    try {
      t.destroy();
    } catch (RuntimeException e) {
      log.debug("Gearbox: destroying topic {}: {}", t.getName(), e.toString());
    }
  }
}
