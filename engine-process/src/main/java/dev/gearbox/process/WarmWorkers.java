package dev.gearbox.process;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM-wide reserve of warm workers: idle, healthy worker JVMs that an engine closing
 * gracefully left behind ({@code gearbox.process.keep-warm}), for the next engine of this JVM whose
 * workers would be launched exactly the same way (its {@link WorkerPool#warmKey() key}: java,
 * class path or modules, JVM flags and heap, environment, working directory, AOT-cache choice,
 * max-payload, serial filter, concurrency and worker initializer). Such an engine takes them before
 * it spawns any: they skip the JVM's start and have their JITs warm.
 *
 * <p>Ownership: a worker belongs to whoever is its {@link WorkerProcess#listener() listener}: an
 * engine's backend while in its pool, this reserve while parked. {@link #park} and {@link #take}
 * move it under this reserve's monitor, so a worker that dies meanwhile is heard by exactly one
 * owner: {@link #markDead} and {@link #exited} on a worker no longer parked here pass the call on
 * to its new owner. A parked worker runs no task, holds no channel call, and is not in any pool's
 * slots; its reader and output threads stay as they are.
 *
 * <p>A parked worker is shut down (SHUTDOWN, stdin closed) when its keep-warm time is up, and at
 * the JVM's shutdown; like every worker, it also exits when this JVM dies (stdin EOF, parent watch).
 *
 * <p>Lock order: a pool's monitor, then this reserve's. Nothing here calls into a pool while
 * holding this monitor, and no frame is written under it.
 */
final class WarmWorkers implements WorkerProcess.Listener {
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class); // one category for the backend
  /** The reserve of this JVM. */
  static final WarmWorkers RESERVE = new WarmWorkers();

  private record Parked(WorkerProcess worker, String key, ScheduledFuture<?> expiry) {}

  /** Parked workers by key, oldest first. Guarded by this. */
  private final Map<String, ArrayDeque<Parked>> parked = new HashMap<>();
  /** Ends parked workers when their time is up; its one thread ends when nothing is parked. Guarded by this. */
  private ScheduledThreadPoolExecutor timer;
  /** Guarded by this. */
  private boolean hookAdded;

  private WarmWorkers() {}

  /**
   * Parks {@code w} (idle, READY, out of its pool's slots) under {@code key} for {@code keepWarm}.
   * Caller holds the pool's monitor and owns {@code w}; afterwards this reserve does.
   */
  synchronized void park(String key, WorkerProcess w, Duration keepWarm) {
    if (timer == null) {
      timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "gearbox-warm-workers");
        t.setDaemon(true);
        return t;
      });
      timer.setKeepAliveTime(1, TimeUnit.SECONDS);
      timer.allowCoreThreadTimeOut(true); // no thread stays while nothing is parked
      timer.setRemoveOnCancelPolicy(true);
    }
    if (!hookAdded) {
      hookAdded = true;
      Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "gearbox-warm-workers-exit"));
    }
    w.handOver(this);
    ScheduledFuture<?> expiry = timer.schedule(() -> expire(w, keepWarm), keepWarm.toNanos(), TimeUnit.NANOSECONDS);
    parked.computeIfAbsent(key, k -> new ArrayDeque<>()).add(new Parked(w, key, expiry));
    log.debug("Gearbox: {} kept warm for {} ms", w.label(), keepWarm.toMillis());
  }

  /**
   * Takes the most recently parked live worker of {@code key}, now owned by {@code to}; null if
   * none. Caller holds the monitor of the pool {@code to} belongs to.
   */
  synchronized WorkerProcess take(String key, WorkerProcess.Listener to) {
    ArrayDeque<Parked> q = parked.get(key);
    while (q != null && !q.isEmpty()) {
      Parked p = q.pollLast(); // the warmest
      p.expiry.cancel(false);
      if (q.isEmpty()) {
        parked.remove(key);
      }
      if (p.worker.state == WorkerProcess.State.READY) {
        p.worker.handOver(to);
        return p.worker;
      }
      q = parked.get(key);
    }
    return null;
  }

  /** How many workers are parked now (all keys). */
  synchronized int size() {
    return parked.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  /** Shuts down every parked worker now (JVM shutdown; tests). */
  void stopAll() {
    java.util.List<WorkerProcess> all = new java.util.ArrayList<>();
    synchronized (this) {
      for (ArrayDeque<Parked> q : parked.values()) {
        for (Parked p : q) {
          p.expiry.cancel(false);
          all.add(p.worker);
        }
      }
      parked.clear();
      all.forEach(w -> w.state = WorkerProcess.State.RETIRING);
    }
    all.forEach(w -> w.retire("the JVM exits"));
  }

  private void expire(WorkerProcess w, Duration keepWarm) {
    synchronized (this) {
      if (!removeLocked(w) || w.state != WorkerProcess.State.READY) {
        return; // taken, or dying
      }
      w.state = WorkerProcess.State.RETIRING;
    }
    w.retire("kept warm for " + keepWarm.toMillis() + " ms (gearbox.process.keep-warm); no engine took it");
  }

  private boolean removeLocked(WorkerProcess w) {
    for (var it = parked.values().iterator(); it.hasNext();) {
      ArrayDeque<Parked> q = it.next();
      if (q.removeIf(p -> p.worker == w)) {
        if (q.isEmpty()) {
          it.remove();
        }
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- what parked workers say

  @Override
  public WorkerProcess.State markDead(WorkerProcess w) {
    synchronized (this) {
      if (w.listener() == this) {
        WorkerProcess.State was = w.state;
        w.state = WorkerProcess.State.DEAD;
        return was;
      }
    }
    return w.listener().markDead(w); // taken meanwhile: its new owner hears it
  }

  @Override
  public void exited(WorkerProcess w, int exitCode, String reason, boolean planned, boolean duringStartup) {
    synchronized (this) {
      if (w.listener() == this) {
        removeLocked(w);
        log.debug("Gearbox: warm {} exited: {} (exit code {})", w.label(), reason, exitCode);
        return;
      }
    }
    w.listener().exited(w, exitCode, reason, planned, duringStartup);
  }

  @Override
  public void ready(WorkerProcess w) {
    // A parked worker said HELLO long ago.
  }

  @Override
  public void outcome(WorkerProcess w, EngineBound.Outcome outcome) {
    log.debug("Gearbox: warm {} sent an outcome for wire {} it does not hold; ignored", w.label(), outcome.wire());
  }

  @Override
  public void revoked(WorkerProcess w, long wire) {
    // Nothing of a parked worker's is held anywhere.
  }

  @Override
  public dev.gearbox.spi.Codec channelCodec() {
    throw new IllegalStateException("a parked worker is never created here");
  }

  @Override
  public void frameSent(int payloadBytes) {
  }

  @Override
  public void frameReceived(int payloadBytes) {
  }
}
