package dev.gearbox.process;

import dev.gearbox.spi.remote.ReportExecutor;

/**
 * Taking back a task that a busy worker holds unstarted (the core's prefetch: each worker may hold
 * {@code gearbox.process.prefetch} tasks beyond those it runs, so the next one is there when one
 * ends). When a worker idles while another holds a task it has not started, that holder is asked
 * for it back (REVOKE), and the task it gives back (REVOKED) goes to the least-loaded worker; so
 * the last tasks of a run do not wait behind a busy worker.
 *
 * <p>A worker holds a task exactly when it has more in flight than it runs at once. The engine
 * cannot tell a held task from a running one whose STARTED is still on its way, so REVOKE asks for
 * any held task, and the worker answers with the one it gave back, or with wire id 0 when all had
 * started meanwhile. At most one REVOKE per worker is outstanding.
 *
 * <p>Lock: the pool's monitor, for the workers' in-flight tables and revoke flags. Frames are
 * sent, and revoked tasks dispatched on the report executor, after it is released: never on the
 * pipe reader, where a send could wait for a worker's full stdin.
 */
final class Prefetch {
  private final WorkerPool pool;
  private final Dispatch dispatch;
  private final ReportExecutor reports;
  private final int concurrency;
  private final boolean enabled;

  Prefetch(WorkerPool pool, Dispatch dispatch, ReportExecutor reports) {
    this.pool = pool;
    this.dispatch = dispatch;
    this.reports = reports;
    this.concurrency = pool.config.concurrency();
    this.enabled = pool.config.prefetch() > 0;
  }

  /**
   * Whether a revoke check for {@code idle} is worth a trip to the report executor: it is idle and
   * another worker holds an unstarted task. Caller holds the pool's monitor.
   */
  boolean worthRevokingLocked(WorkerProcess idle) {
    return enabled && idle.inFlight.isEmpty() && holderOtherThanLocked(idle) != null;
  }

  /** Asks for a held task back for {@code idle}, on the report executor (a caller's callback cannot hold it up there). */
  void revokeLater(WorkerProcess idle) {
    if (enabled) {
      reports.execute(() -> revokeFor(idle));
    }
  }

  /** {@code idle} has nothing to do: asks a worker that holds a task it has not started for one back. */
  private void revokeFor(WorkerProcess idle) {
    WorkerProcess holder;
    synchronized (pool) {
      if (pool.isShutdown() || idle.state != WorkerProcess.State.READY || !idle.inFlight.isEmpty() || dispatch.hasParkedLocked()) {
        return;
      }
      holder = holderOtherThanLocked(idle);
      if (holder == null) {
        return;
      }
      holder.revoking = true;
    }
    holder.send(WorkerBound.Revoke.INSTANCE);
  }

  /** A ready worker other than {@code idle} that holds a task it has not started and has no REVOKE outstanding. */
  private WorkerProcess holderOtherThanLocked(WorkerProcess idle) {
    for (WorkerProcess w : pool.slotsLocked()) {
      if (w != null && w != idle && w.state == WorkerProcess.State.READY && w.inFlight.size() > concurrency && !w.revoking) {
        return w;
      }
    }
    return null;
  }

  /**
   * A worker answered REVOKE: the task it gave back, unstarted, goes to the least-loaded worker.
   * Returns whether the worker is now a recycling one with nothing left (it was waiting for the
   * task it just gave back), to be retired by the caller.
   */
  boolean onRevoked(WorkerProcess w, long wire) {
    WireAttempt given = null;
    boolean retire;
    synchronized (pool) {
      w.revoking = false;
      WireAttempt candidate = wire == 0 ? null : w.inFlight.get(wire);
      if (candidate != null && !candidate.started && w.inFlight.remove(wire) != null) {
        candidate.worker = null;
        given = candidate;
      }
      if (w.inFlight.isEmpty()) {
        w.idleSince = System.nanoTime(); // idle now: the idle reaper may take it
      }
      retire = w.state == WorkerProcess.State.RETIRING && w.inFlight.isEmpty();
    }
    if (given != null) {
      WireAttempt moved = given;
      reports.execute(() -> dispatch.dispatch(moved)); // not on the pipe reader: a send may wait for a worker's stdin
    }
    return retire;
  }
}
