package dev.gearbox.cluster;

import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Execution;

/**
 * One attempt on the cluster, from {@link ClusterBackend#start} until it is reported: its task's
 * bytes, its wire id (how members, cancels and progress reports name it), the member it went to,
 * and the stop ladder's handle on it. {@link #cancel} and {@link #interrupt} reach the task's
 * member through {@link MemberControl}, where {@link MemberRuntime} sets its cooperative flag (and
 * interrupts its thread); an attempt still parked is taken out and reported at once instead. The
 * Hazelcast future itself is never cancelled: the slot stays busy until the task really returns.
 * {@link #kill} halts the task's member with {@code gearbox.cluster.kill=member}, or kills the
 * task's worker process on its member with {@code kill=task}.
 *
 * <p>Thread-safety: {@link #member} and {@link #interrupted} change only under the monitor of the
 * backend's {@link Assignments}, where decisions read them; {@code member} is also volatile, so
 * that outcome handling and the close may read it without the lock (to suspect the member, to
 * name it in a message). {@link #refusal} is volatile; the rest is immutable. Its methods may be called from
 * any thread; they read that state through {@link Assignments} and send nothing while holding its lock.
 */
final class ClusterExecution implements Execution {
  private final ClusterBackend backend;
  private final Assignments assignments;
  private final MemberControl control;
  final Attempt attempt;
  final long wireId;
  final byte[] work;
  /** Written under the assignments' monitor; null while parked, or once a durable task's member left. */
  volatile MemberSlots member;
  /**
   * Whether it was sent to wait in its member's queue behind the tasks that take the member's
   * slots (the prefetch): it has not started when it is sent, and the member says when it does.
   * Written under the {@link Assignments}' monitor before it is sent.
   */
  volatile boolean held;
  /**
   * Whether a held attempt is known to have started: its member said so, or one of this engine's
   * attempts on that member ended, freeing the slot it waited for. Guarded by the
   * {@link Assignments}' monitor.
   */
  boolean startHeard;
  /** Guarded by the assignments' monitor. */
  boolean interrupted;
  /** Why it will not run after all (set once, under the monitor, before it is handed to send). */
  volatile String refusal;

  ClusterExecution(ClusterBackend backend, Assignments assignments, MemberControl control, Attempt attempt, long wireId,
      byte[] work) {
    this.backend = backend;
    this.assignments = assignments;
    this.control = control;
    this.attempt = attempt;
    this.wireId = wireId;
    this.work = work;
  }

  @Override
  public void cancel() {
    sendCancel(false);
  }

  @Override
  public void interrupt() {
    if (assignments.unpark(this)) {
      backend.reportEnded(attempt, "cancelled before a cluster member took it");
    } else {
      sendCancel(true);
    }
  }

  /**
   * With {@code gearbox.cluster.kill=member}: halts the member running the task (never the
   * engine's own) and reports the attempt lost at once. The member's other tasks are reported
   * when the cluster sees it leave. A durable task is also cancelled everywhere first, so the
   * copy Hazelcast would run again on a backup member never starts.
   */
  @Override
  public boolean kill() {
    if (assignments.waitingOnMember(this)) {
      return false; // held in its member's queue: it has not started, and its cancel keeps it from starting
    }
    if (control.killsTasks()) {
      return killTask();
    }
    if (!control.killsMembers()) {
      return false;
    }
    Assignments.Sent sent = assignments.sent(this, true);
    if (sent == null) {
      return false;
    }
    MemberSlots target = sent.member();
    if (target == null ? !control.durable() : target.member.localMember()) {
      return false;
    }
    String why = "ignored its interrupt for " + control.grace().toMillis() + " ms (gearbox.cancel.grace)";
    if (!control.halt(wireId, attempt.taskName(), why, target)) {
      return false;
    }
    backend.halted(this, target, why);
    return true;
  }

  /**
   * With {@code gearbox.cluster.kill=task}: the task's member (one with {@code isolation=process})
   * kills the worker process running it. The attempt is reported when the member answers that the
   * worker died (naming it), or when the member leaves.
   */
  private boolean killTask() {
    Assignments.Sent sent = assignments.sent(this, true);
    return sent != null && control.killTask(wireId, attempt.taskName(), sent.member());
  }

  /** Sets the task's flag on its member (and interrupts it); nothing if it is not on a member. */
  void sendCancel(boolean interrupt) {
    Assignments.Sent sent = assignments.sent(this, true);
    if (sent == null) {
      return; // parked (flag read at assignment), finished, or the instance is going away
    }
    control.cancel(wireId, attempt.taskName(), interrupt, sent.member());
  }
}
