package dev.gearbox.process;

import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Execution;

/**
 * One attempt on its way to, in, or back from a worker: the engine's whole record of it, from
 * {@link ProcessBackend#start} to its report. It is also the stop ladder's handle on the attempt
 * ({@link Execution}): CANCEL frames to cancel and interrupt, SIGKILL of its worker to kill.
 *
 * <h2>States</h2>
 * <pre>
 * parked (worker == null) --assigned--> sent, unstarted (worker != null, !started)
 *   --STARTED--> running (started) --OK/FAIL--> reported (removed from its worker's in-flight table)
 * sent, unstarted --its worker gave it back (REVOKED) or died--> parked again, or sent to another worker
 * any state --cancelled before it started / its worker died / shut down--> reported lost
 * </pre>
 * Whoever removes it from its worker's in-flight table (or from the parked attempts) reports it,
 * so it is reported exactly once.
 *
 * <p>Lock: {@link #worker}, {@link #cancelled}, {@link #interrupted} and {@link #moves} are written
 * under the pool's monitor, so no cancel is lost to a race with dispatch; the volatile ones are
 * read without it. {@link #started} is written by the worker's pipe reader.
 */
final class WireAttempt implements Execution {
  final Attempt attempt;
  /** The attempt's id on the wire: unique per attempt (a retry may run beside an abandoned first attempt). */
  final long wire;
  /** The RUN frame: sent as it is to whichever worker takes the attempt. */
  final WorkerBound.Run run;
  private final Dispatch dispatch;
  /** The worker it was sent to; null while parked or moving. */
  volatile WorkerProcess worker;
  volatile boolean cancelled;
  volatile boolean interrupted;
  /** Whether its worker said STARTED: from then on it cannot move to another worker. */
  volatile boolean started;
  /** How often it moved, unstarted, away from a worker that died. */
  int moves;

  WireAttempt(Attempt attempt, long wire, byte[] work, Dispatch dispatch) {
    this.attempt = attempt;
    this.wire = wire;
    this.run = WorkerBound.Run.of(wire, attempt.taskId(), attempt.number(), attempt.taskName(), work);
    this.dispatch = dispatch;
  }

  @Override
  public void cancel() {
    dispatch.cancel(this, false);
  }

  @Override
  public void interrupt() {
    dispatch.cancel(this, true);
  }

  @Override
  public boolean kill() {
    WorkerProcess w = worker;
    if (w == null || !w.inFlight.containsKey(wire)) {
      return false;
    }
    w.killPlanned("killed by the engine: task " + attempt.taskName() + " did not stop within gearbox.cancel.grace after"
        + " its interrupt");
    return true;
  }
}
