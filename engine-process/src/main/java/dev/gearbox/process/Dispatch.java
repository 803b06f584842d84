package dev.gearbox.process;

import dev.gearbox.EngineException;
import dev.gearbox.spi.remote.ParkedAttempts;
import dev.gearbox.spi.remote.ReportExecutor;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each attempt goes: to the worker {@link WorkerPool#pickLocked()} chooses, or into the
 * parked attempts until a worker is ready (only while workers start or are replaced: the core never
 * starts more than the backend's parallelism plus its prefetch room). Also how a cancellation
 * reaches an attempt wherever it is: taken out of the parked ones, or sent to its worker as CANCEL.
 *
 * <p>Lock: the pool's monitor guards the parked attempts and every assignment, so that an attempt
 * never parks after a slot it could take was freed, and a cancellation racing with an assignment
 * is seen by one side or the other. Frames are sent and attempts reported after the monitor is
 * released; reports go to the report executor, never the caller's I/O thread.
 */
final class Dispatch {
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class); // one category for the backend

  private final WorkerPool pool;
  private final ReportExecutor reports;
  /** Guarded by the pool's monitor. */
  private final ParkedAttempts<WireAttempt> parked = new ParkedAttempts<>();

  Dispatch(WorkerPool pool, ReportExecutor reports) {
    this.pool = pool;
    this.reports = reports;
  }

  /** Sends to the least-loaded ready worker, or parks the attempt until one is ready. */
  void dispatch(WireAttempt p) {
    List<WireAttempt> toSend = new ArrayList<>(1);
    List<WireAttempt> toFail = new ArrayList<>(1);
    synchronized (pool) {
      assignLocked(p, toSend, toFail);
      drainLocked(toSend, toFail); // parking may have adopted a warm worker, which says no HELLO
    }
    sendAll(toSend);
    failAll(toFail, "cancelled before a worker took it");
  }

  /** Gives parked attempts to ready workers (a worker became ready, or one freed a slot). */
  void drain() {
    List<WireAttempt> toSend = new ArrayList<>();
    List<WireAttempt> toFail = new ArrayList<>();
    synchronized (pool) {
      drainLocked(toSend, toFail);
    }
    sendAll(toSend);
    failAll(toFail, "cancelled before a worker took it");
  }

  private void drainLocked(List<WireAttempt> toSend, List<WireAttempt> toFail) {
    while (!parked.isEmpty() && pool.pickLocked() != null) {
      assignLocked(parked.poll(), toSend, toFail);
    }
  }

  /** Assigns an attempt to a worker, parks it, or marks it for failure. Caller holds the pool's monitor. */
  private void assignLocked(WireAttempt p, List<WireAttempt> toSend, List<WireAttempt> toFail) {
    if (p.interrupted || pool.isShutdown()) {
      toFail.add(p);
      return;
    }
    WorkerProcess target = pool.pickLocked();
    if (target == null) {
      parked.park(p);
      pool.ensureWorkersLocked();
      return;
    }
    target.inFlight.put(p.wire, p);
    p.started = false;
    p.worker = target;
    target.idleSince = Long.MAX_VALUE;
    toSend.add(p);
  }

  private void sendAll(List<WireAttempt> sends) {
    for (WireAttempt p : sends) {
      WorkerProcess w = p.worker;
      // A worker running one task while a CPU is spare may poll for its next frame after it (FramePoll).
      if (!w.send(p.run.withPoll(OutcomeSpin.Cpus.MACHINE.spareBesideOneMore()))) {
        // The worker is dying: its exit handler drains inFlight (this attempt included) and reports.
        log.debug("Gearbox: {} was gone before task {} reached it", w.label(), p.attempt.taskName());
        continue;
      }
      if (p.interrupted) {
        w.send(new WorkerBound.Cancel(p.wire, true));
      } else if (p.cancelled) {
        w.send(new WorkerBound.Cancel(p.wire, false));
      }
    }
  }

  /** Reports attempts that will not run, on the report executor (never on a reader thread). */
  void failAll(List<WireAttempt> fails, String why) {
    if (fails.isEmpty()) {
      return;
    }
    String reason = pool.isShutdown() ? "the process backend shut down before a worker took it" : why;
    reports.execute(() -> fails.forEach(p -> lost(p, reason)));
  }

  /** An attempt that never ran: not an outcome of its task, so its crash count stays as it is. */
  private static void lost(WireAttempt p, String why) {
    try {
      p.attempt.lost(new EngineException(p.attempt.taskId(), p.attempt.taskName(), why, null));
    } catch (RuntimeException e) {
      log.warn("Gearbox: reporting {} failed", p.attempt.taskName(), e); // the others are still reported
    }
  }

  boolean hasParkedLocked() {
    return !parked.isEmpty();
  }

  /** Fails every parked attempt with {@code why}. Caller holds the pool's monitor; the reports run later, elsewhere. */
  void failParkedLocked(String why) {
    failAll(parked.takeAll(), why);
  }

  /**
   * The stop ladder reaching an attempt: sets its flag under the monitor (so an assignment racing
   * with it sends the CANCEL itself), then tells its worker; an interrupted attempt still parked
   * never runs and is reported lost.
   */
  void cancel(WireAttempt p, boolean interrupt) {
    WorkerProcess w;
    boolean removed = false;
    synchronized (pool) {
      if (interrupt) {
        p.interrupted = true;
      } else {
        p.cancelled = true;
      }
      w = p.worker;
      if (w == null && interrupt) {
        removed = parked.remove(p);
      }
    }
    if (w != null) {
      w.send(new WorkerBound.Cancel(p.wire, interrupt));
    } else if (removed) {
      reports.execute(() -> lost(p, "cancelled before a worker took it"));
    }
  }
}
