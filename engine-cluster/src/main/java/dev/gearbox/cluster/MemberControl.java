package dev.gearbox.cluster;

import com.hazelcast.core.IExecutorService;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stop ladder's reach into the members: {@link CancelRequest}s and {@link HaltRequest}s on
 * their small {@code gearbox-control} executor, which never waits behind the tasks it stops. A
 * durable task may run again on another member, so with the durable executor every request goes
 * to every member. Halting is allowed only with {@code gearbox.cluster.kill=member}.
 *
 * <p>Immutable and thread-safe; it sends on the caller's thread and holds no lock.
 */
final class MemberControl {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);

  private final String owner;
  private final Seal seal;
  private final IExecutorService control;
  private final boolean durable;
  private final boolean killsMembers;
  private final Duration grace;

  /**
   * @param owner names this engine's attempts on the members
   * @param seal seals every request with the deployment secret
   * @param grace how long a task may ignore its interrupt ({@code gearbox.cancel.grace})
   */
  MemberControl(String owner, Seal seal, IExecutorService control, boolean durable, boolean killsMembers, Duration grace) {
    this.owner = owner;
    this.seal = seal;
    this.control = control;
    this.durable = durable;
    this.killsMembers = killsMembers;
    this.grace = grace;
  }

  /** Whether the stop ladder may halt a task's member ({@code gearbox.cluster.kill=member}). */
  boolean killsMembers() {
    return killsMembers;
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
    try {
      if (durable || target == null) {
        control.executeOnAllMembers(req); // a durable task may run again elsewhere
      } else {
        control.executeOnMember(req, target.member);
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
}
