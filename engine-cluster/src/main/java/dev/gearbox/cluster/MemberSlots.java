package dev.gearbox.cluster;

import java.util.ArrayDeque;
import com.codahale.metrics.Counter;
import com.hazelcast.cluster.Member;

/**
 * A task-running member as the engine sees it: its slots (its task executor's threads), how many
 * of them this engine's attempts take now, and whether it is suspected of leaving.
 *
 * <p>Thread-safety: {@link #member}, {@link #label}, {@link #slots} and {@link #tasks} are
 * immutable; {@link #running}, {@link #suspected} and {@link #suspectUntil} are guarded by the
 * lock of the {@link MemberTable} that holds it (the monitor of the backend's {@link Assignments}).
 */
final class MemberSlots {
  final Member member;
  /** The member as messages name it. */
  final String label;
  final int slots;
  /** How many attempts it may hold unstarted beyond its slots, queued in its executor ({@code gearbox.cluster.prefetch} per slot). */
  final int holds;
  /** The attempts sent to it (metric {@code cluster.member-tasks.<name>}). */
  final Counter tasks;
  int running;
  /** This engine's attempts held in its queue whose start the engine has not heard of, oldest first (FIFO, as the queue). */
  final ArrayDeque<ClusterExecution> waiting = new ArrayDeque<>();
  /** Whether, and until when, no task goes to it: a task sent there failed as if it left (it may be leaving). */
  boolean suspected;
  long suspectUntil;

  MemberSlots(Member member, int slots, int holds, Counter tasks) {
    this.member = member;
    this.label = MemberRuntime.describe(member);
    this.slots = slots;
    this.holds = holds;
    this.tasks = tasks;
  }

  /** Whether it can take an attempt at {@code now}: a free slot or room to hold one, and no suspicion in force. */
  boolean canTake(long now) {
    return running < slots + holds && (!suspected || now - suspectUntil >= 0);
  }

  /** Whether the next attempt it takes waits in its queue for a slot (it is held, not started). */
  boolean nextIsHeld() {
    return running >= slots;
  }

  /** Whether a suspicion is in force at {@code now}. */
  boolean suspectedAt(long now) {
    return suspected && now - suspectUntil < 0;
  }
}
