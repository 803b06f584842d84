package dev.gearbox.process;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.ArrayList;
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
 * max-payload, serial filter, concurrency; and what the classes on its class path look like, see
 * {@link WorkerLaunch#fingerprint}). Such an engine takes them before it spawns any: they skip the
 * JVM's start and have their JITs warm. Engines with a worker initializer, or with keep-warm 0,
 * neither leave nor take any.
 *
 * <p>Ownership: a worker belongs to whoever is its {@link WorkerProcess#listener() listener}: an
 * engine's backend while in its pool, this reserve while parked. {@link #park} and {@link #take}
 * move it under this reserve's monitor, so a worker that dies meanwhile is heard by exactly one
 * owner: {@link #markDead} and {@link #exited} on a worker no longer parked here pass the call on
 * to its new owner. A parked worker runs no task, holds no channel call, and is not in any pool's
 * slots; its reader and output threads stay as they are.
 *
 * <p>A parked worker is shut down (SHUTDOWN, stdin closed) when its keep-warm time is up, when an
 * engine of its key finds the application's classes changed since it was parked, and at the JVM's
 * shutdown (a hook registered while anything is parked; once the JVM shuts down nothing is parked); like every worker, it also exits when this JVM dies (stdin EOF, parent watch).
 *
 * <p>Lock order: a pool's monitor, then this reserve's. Nothing here calls into a pool while
 * holding this monitor, and no frame is written under it.
 */
final class WarmWorkers implements WorkerProcess.Listener {
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class); // one category for the backend
  /** The reserve of this JVM. */
  static final WarmWorkers RESERVE = new WarmWorkers();

  private record Parked(WorkerProcess worker, String key, String fingerprint, ScheduledFuture<?> expiry) {}

  /** Parked workers by key, oldest first. Guarded by this. */
  private final Map<String, ArrayDeque<Parked>> parked = new HashMap<>();
  /** Ends parked workers when their time is up; its one thread ends when nothing is parked. Guarded by this. */
  private ScheduledThreadPoolExecutor timer;
  /** The shutdown hook that stops parked workers; registered only while something is parked. Guarded by this. */
  private Thread hook;
  /** Set when the JVM shuts down: nothing is parked any more. Guarded by this. */
  private boolean closed;

  private WarmWorkers() {}

  /**
   * Parks {@code w} (idle, READY, out of its pool's slots) under {@code key} for {@code keepWarm};
   * {@code fingerprint} is what its classes looked like ({@link WorkerLaunch#fingerprint}). Caller
   * holds the pool's monitor and owns {@code w}; afterwards this reserve does, if this returns
   * true. False if the JVM is shutting down: the caller still owns {@code w} and retires it.
   */
  synchronized boolean park(String key, String fingerprint, WorkerProcess w, Duration keepWarm) {
    if (closed) {
      return false;
    }
    if (hook == null) {
      Thread h = new Thread(this::exit, "gearbox-warm-workers-exit");
      try {
        Runtime.getRuntime().addShutdownHook(h);
      } catch (IllegalStateException e) {
        closed = true; // the JVM is shutting down
        return false;
      }
      hook = h;
    }
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
    w.handOver(this);
    ScheduledFuture<?> expiry = timer.schedule(() -> expire(w, keepWarm), keepWarm.toNanos(), TimeUnit.NANOSECONDS);
    parked.computeIfAbsent(key, k -> new ArrayDeque<>()).add(new Parked(w, key, fingerprint, expiry));
    log.debug("Gearbox: {} kept warm for {} ms", w.label(), keepWarm.toMillis());
    return true;
  }

  /**
   * Takes the most recently parked live worker of {@code key} whose classes still look as they
   * did when it was parked ({@code fingerprint}, asked only if a worker of {@code key} is parked)
   * and that {@code fits} the taking engine, now owned by {@code to}; null if none. Workers of
   * {@code key} passed over because their classes changed or they do not fit are retired (on this
   * reserve's thread: no frame is written under the caller's monitor). Caller holds the monitor of
   * the pool {@code to} belongs to.
   */
  WorkerProcess take(String key, java.util.function.Supplier<String> fingerprint,
      java.util.function.Predicate<WorkerProcess> fits, WorkerProcess.Listener to) {
    synchronized (this) {
      if (!parked.containsKey(key)) {
        return null;
      }
    }
    String now = fingerprint.get(); // walks the class path: not under this monitor
    List<Parked> passedOver = new ArrayList<>();
    WorkerProcess taken = null;
    synchronized (this) {
      ArrayDeque<Parked> q = parked.get(key);
      while (taken == null && q != null && !q.isEmpty()) {
        Parked p = q.pollLast(); // the warmest
        p.expiry.cancel(false);
        if (p.worker.state != WorkerProcess.State.READY) {
          continue; // dying: its exit is heard here
        }
        if (!p.fingerprint.equals(now) || !fits.test(p.worker)) {
          p.worker.state = WorkerProcess.State.RETIRING;
          passedOver.add(p);
          continue;
        }
        p.worker.handOver(to);
        taken = p.worker;
      }
      if (q != null && q.isEmpty()) {
        parked.remove(key);
      }
      for (Parked p : passedOver) {
        String why = p.fingerprint.equals(now)
            ? "kept warm, but the engine that would take it recycles a worker that has run as many tasks or holds as much heap"
            : "kept warm, but the application's classes changed since it loaded them";
        timer.execute(() -> p.worker.retire(why));
      }
      removeHookIfEmptyLocked();
    }
    return taken;
  }

  /** How many workers are parked now (all keys). */
  synchronized int size() {
    return parked.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  /** Whether the shutdown hook is registered now (tests). */
  synchronized boolean hookRegistered() {
    return hook != null;
  }

  /** The JVM shuts down: nothing is parked from now on, and what is parked stops. */
  private void exit() {
    synchronized (this) {
      closed = true;
    }
    stopAll();
  }

  /** Shuts down every parked worker now (JVM shutdown; tests). */
  void stopAll() {
    List<WorkerProcess> all = new ArrayList<>();
    synchronized (this) {
      for (ArrayDeque<Parked> q : parked.values()) {
        for (Parked p : q) {
          p.expiry.cancel(false);
          all.add(p.worker);
        }
      }
      parked.clear();
      all.forEach(w -> w.state = WorkerProcess.State.RETIRING);
      removeHookIfEmptyLocked();
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
    boolean removed = false;
    for (var it = parked.values().iterator(); it.hasNext() && !removed;) {
      ArrayDeque<Parked> q = it.next();
      if (q.removeIf(p -> p.worker == w)) {
        if (q.isEmpty()) {
          it.remove();
        }
        removed = true;
      }
    }
    removeHookIfEmptyLocked();
    return removed;
  }

  /**
   * With nothing parked, the shutdown hook goes (it would pin this class's loader, an application's
   * that may be undeployed); the next {@link #park} registers it again.
   */
  private void removeHookIfEmptyLocked() {
    if (parked.isEmpty() && hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is shutting down (perhaps in this very hook): nothing to unregister.
      }
      hook = null;
    }
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
        log.debug("Gearbox: warm {} exited: {}", w.label(), ProcessBackend.withExitCode(reason, exitCode));
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
