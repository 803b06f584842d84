package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stop ladder's reach into the members: {@link CancelRequest}s and {@link HaltRequest}s on
 * their small {@code gearbox-control} executor, which never waits behind the tasks it stops. A
 * durable task may run again on another member, so with the durable executor every request goes
 * to every member. Halting is allowed only with {@code gearbox.cluster.kill=member}; killing a
 * task's worker process on its member ({@link KillTaskRequest}) only with {@code kill=task}.
 *
 * <p>A cancel for this JVM's own member is applied on the caller's thread before {@link #cancel}
 * returns, not queued on the control executor: an attempt held in that member's queue that is
 * cancelled before its slot frees then never starts, however busy the control executor is. A
 * cancel for another member travels as a message; if that member frees a slot and starts the
 * held attempt before the message arrives, the task runs with its cooperative flag set from
 * the moment the message arrives.
 *
 * <p>Immutable and thread-safe; it sends on the caller's thread and holds no lock.
 */
final class MemberControl {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);

  private final String owner;
  private final Seal seal;
  private final IExecutorService control;
  /** This JVM's instance if it is a member that runs tasks, else null. */
  private final HazelcastInstance localMember;
  private final boolean durable;
  private final ClusterConfig.KillPolicy kill;
  private final Duration grace;

  /**
   * @param owner names this engine's attempts on the members
   * @param seal seals every request with the deployment secret
   * @param localMember this JVM's instance if it is a member that runs tasks, else null
   * @param grace how long a task may ignore its interrupt ({@code gearbox.cancel.grace})
   */
  MemberControl(String owner, Seal seal, IExecutorService control, HazelcastInstance localMember, boolean durable,
      ClusterConfig.KillPolicy kill, Duration grace) {
    this.owner = owner;
    this.seal = seal;
    this.control = control;
    this.localMember = localMember;
    this.durable = durable;
    this.kill = kill;
    this.grace = grace;
  }

  /** Whether the stop ladder may halt a task's member ({@code gearbox.cluster.kill=member}). */
  boolean killsMembers() {
    return kill == ClusterConfig.KillPolicy.MEMBER;
  }

  /** Whether the stop ladder may kill a task's worker process on its member ({@code gearbox.cluster.kill=task}). */
  boolean killsTasks() {
    return kill == ClusterConfig.KillPolicy.TASK;
  }

  /** Whether the stop ladder has a last rung at all ({@code canKill}). */
  boolean canKill() {
    return kill != ClusterConfig.KillPolicy.NONE;
  }

  boolean durable() {
    return durable;
  }

  Duration grace() {
    return grace;
  }

  /**
   * Sets the task's cooperative flag on its member and, with {@code interrupt}, interrupts it;
   * {@code target} null: on every member.
   */
  void cancel(long wireId, String taskName, boolean interrupt, MemberSlots target) {
    CancelRequest req = new CancelRequest(seal, owner, wireId, interrupt);
    boolean everywhere = durable || target == null;
    boolean here = localMember != null && (everywhere || target.member.localMember());
    if (here) {
      req.setHazelcastInstance(localMember);
      req.run(); // set before this returns: a held attempt whose slot frees later never starts
      if (!everywhere) {
        return;
      }
    }
    try {
      if (here) {
        control.executeOnMembers(req, m -> !m.localMember()); // the rest of everywhere
      } else {
        toTaskMember(req, target);
      }
    } catch (RuntimeException e) {
      log.debug("Gearbox: could not send a cancel for {}: {}", taskName, e.toString());
    }
  }

  /**
   * Halts the member that runs the task ({@code target}; for a durable task, whichever runs it,
   * never the engine's own), after cancelling a durable task everywhere, so the copy Hazelcast
   * would run again on a backup member never starts.
   *
   * @return whether the requests went out
   */
  boolean halt(long wireId, String taskName, String why, MemberSlots target) {
    HaltRequest halt = new HaltRequest(seal, owner, wireId, taskName, why);
    try {
      if (durable) {
        control.executeOnAllMembers(new CancelRequest(seal, owner, wireId, true));
        control.executeOnMembers(halt, m -> !m.localMember());
      } else {
        control.executeOnMember(halt, target.member);
      }
      return true;
    } catch (RuntimeException e) {
      log.warn("Gearbox: could not halt the member running {}: {}", taskName, e.toString());
      return false;
    }
  }

  /**
   * Kills the worker process running the task on its member ({@code target}; for a durable task,
   * or one whose member is unknown, on whichever member runs it). The member answers the task
   * when the worker is dead, with what it knows of it (pid, exit, last output).
   *
   * @return whether the request went out
   */
  boolean killTask(long wireId, String taskName, MemberSlots target) {
    try {
      toTaskMember(new KillTaskRequest(seal, owner, wireId, taskName), target);
      return true;
    } catch (RuntimeException e) {
      log.warn("Gearbox: could not ask the member running {} to kill its worker: {}", taskName, e.toString());
      return false;
    }
  }

  /** Sends a request to the task's member ({@code target}), or to every member: a durable task may run again elsewhere. */
  private void toTaskMember(Runnable req, MemberSlots target) {
    if (durable || target == null) {
      control.executeOnAllMembers(req);
    } else {
      control.executeOnMember(req, target.member);
    }
  }
}
