package dev.gearbox.cluster;

import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.remote.ParkedAttempts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Where the cluster backend's attempts are: parked until a member has a free slot, or in flight
 * on a member until they are reported; the {@link MemberTable} whose slots they take; and whether
 * attempts may still be placed (not once the backend is shut down or its instance is gone).
 * Every change is one atomic step; a step that leaves work for outside the lock returns it
 * ({@link Then}, {@link Left}), and the backend sends, reports and closes after it, in that order.
 *
 * <p>Lock: this object's monitor guards all of it: the member table (slot counts, suspicions),
 * the parked attempts, the attempts in flight, the changes to each {@link ClusterExecution}'s
 * {@code member} and {@code interrupted} fields, and the flags ({@code shutdown}, {@code closing},
 * {@code drainScheduled}, {@code gone}). Choosing a member, taking its slot and parking an
 * attempt that finds none are one step, and so are freeing a slot and handing it to the first
 * parked attempt, so an attempt never parks after a slot it could take was freed or a member
 * joined. Nothing under the lock calls Hazelcast, sends or reports, or takes another lock: the
 * one thing started under it is the timer of a delayed drain, whose sends run later on the
 * report executor.
 */
final class Assignments {
  /**
   * What a step leaves to do outside the lock, in this order: report {@code ended} (they will not
   * run, or run no more, for the caller's reason), send {@code send} (those with a refusal report
   * it instead), and close the instance if {@code close}.
   */
  record Then(List<ClusterExecution> ended, List<ClusterExecution> send, boolean close, ClusterExecution started) {
    Then(List<ClusterExecution> ended, List<ClusterExecution> send, boolean close) {
      this(ended, send, close, null);
    }
  }

  /** A member that left: its entry, the attempts lost with it, and what is left to do. */
  record Left(MemberSlots member, List<ClusterExecution> lost, Then then) {}

  /** An attempt in flight, and the member it went to (null once a durable task's member left). */
  record Sent(MemberSlots member) {}

  private final ClusterConfig config;
  private final Executor reports;
  private final Consumer<ClusterExecution> send;
  private final MemberTable members;
  private final ParkedAttempts<ClusterExecution> parked = new ParkedAttempts<>();
  /** Attempts sent to a member and not yet reported, by wire id. */
  private final Map<Long, ClusterExecution> inFlight = new HashMap<>();
  private boolean shutdown;
  private boolean closing;
  private boolean drainScheduled;
  /** This engine's dispatch limit: attempts started at once on the cluster ({@link #limit}); unlimited until open sets it. */
  private int parallelism = Integer.MAX_VALUE;
  /** Why the instance is gone, once it stopped without the engine's close; then nothing runs any more. */
  private String gone;

  /**
   * @param reports runs a delayed drain
   * @param send sends an attempt that a delayed drain placed
   */
  Assignments(ClusterConfig config, BackendSettings settings, Executor reports, Consumer<ClusterExecution> send) {
    this.config = config;
    this.reports = reports;
    this.send = send;
    this.members = new MemberTable(this, config, settings);
  }

  /** Sets the engine's dispatch limit, once it is known at open, before any attempt is placed. */
  synchronized void limit(int parallelism) {
    this.parallelism = parallelism;
  }

  /** The members; guarded by this object's monitor. */
  MemberTable members() {
    return members;
  }

  // ---------------------------------------------------------------- placing

  /**
   * Places a new attempt: takes a slot for it, parks it, or gives it the refusal that
   * {@code send} reports.
   *
   * @return whether to send it now (it has a member, or a refusal)
   * @throws RejectedExecutionException if the backend is shut down or its instance is gone
   */
  synchronized boolean place(ClusterExecution ex) {
    if (shutdown) {
      throw new RejectedExecutionException("the cluster backend is shut down");
    }
    if (gone != null) {
      throw new RejectedExecutionException(gone);
    }
    String failure = assignLocked(ex);
    if (failure != null) {
      ex.refusal = failure;
      return true;
    }
    if (ex.member == null) {
      parked.park(ex);
      return false;
    }
    return true;
  }

  /**
   * Takes a slot on the best member for the attempt, or says why it cannot run. Null with no
   * member set: no slot is free now, and the caller parks it.
   */
  private String assignLocked(ClusterExecution ex) {
    if (ex.interrupted || ex.attempt.isCancelled()) {
      // cancel(false) too: a task that has not started never starts, as Future.cancel promises
      return "cancelled before a cluster member took it";
    }
    if (shutdown) {
      return "the cluster backend shut down before a member took it";
    }
    if (gone != null) {
      return gone;
    }
    long now = System.nanoTime();
    MemberSlots best = members.bestLocked(now, parallelism);
    if (best == null) {
      if (members.isEmptyLocked()) {
        return "no member of cluster '" + config.clusterName() + "' can run tasks (every member that ran tasks has left)";
      }
      if (!drainScheduled && members.anySuspectedLocked(now)) {
        // A suspected member may be alive after all: try again when the suspicion ends.
        drainScheduled = true;
        CompletableFuture.delayedExecutor(config.memberTimeout().toMillis(), TimeUnit.MILLISECONDS, reports)
            .execute(this::drainLater);
      }
      return null;
    }
    ex.held = best.nextIsHeld();
    ex.startHeard = false;
    if (ex.held) {
      best.waiting.addLast(ex);
    }
    best.running++;
    ex.member = best;
    inFlight.put(ex.wireId, ex);
    return null;
  }

  /** Hands parked attempts the free slots, oldest first; those that cannot run go with a refusal. */
  private List<ClusterExecution> drainLocked() {
    List<ClusterExecution> toSend = new ArrayList<>();
    while (!parked.isEmpty()) {
      ClusterExecution next = parked.poll();
      String failure = assignLocked(next);
      if (failure != null) {
        next.refusal = failure; // reported by send(), outside the lock
        toSend.add(next);
        continue;
      }
      if (next.member == null) { // no free slot: it stays first in line
        parked.putBack(next);
        break;
      }
      toSend.add(next);
    }
    return toSend;
  }

  private void drainLater() {
    List<ClusterExecution> toSend;
    synchronized (this) {
      drainScheduled = false;
      toSend = drainLocked();
    }
    toSend.forEach(send);
  }

  // ---------------------------------------------------------------- attempts in flight

  /**
   * Where {@code ex} went if it is in flight, else null; with {@code unlessClosing}, null too once
   * the instance is closing.
   */
  synchronized Sent sent(ClusterExecution ex, boolean unlessClosing) {
    if (!inFlight.containsKey(ex.wireId) || (unlessClosing && closing)) {
      return null;
    }
    return new Sent(ex.member);
  }

  /**
   * A held attempt's member said it started: true the first time (its deadline starts then), false
   * if the engine knew already, or the attempt is no longer in flight.
   */
  synchronized boolean startHeard(ClusterExecution ex) {
    if (!ex.held || ex.startHeard || !inFlight.containsKey(ex.wireId)) {
      return false;
    }
    ex.startHeard = true;
    if (ex.member != null) {
      ex.member.waiting.remove(ex);
    }
    return true;
  }

  /** Whether {@code ex} waits, unstarted, in its member's queue (held, its start not heard of). */
  synchronized boolean waitingOnMember(ClusterExecution ex) {
    return ex.held && !ex.startHeard && inFlight.containsKey(ex.wireId);
  }

  /** The stop ladder reached {@code ex}: it never starts now. True if it was parked (and is taken out). */
  synchronized boolean unpark(ClusterExecution ex) {
    ex.interrupted = true;
    return parked.remove(ex);
  }

  /**
   * Frees the slot of an attempt that ended and hands it on; null if the attempt was no longer
   * in flight (already reported).
   */
  synchronized Then release(ClusterExecution ex) {
    if (inFlight.remove(ex.wireId) == null) {
      return null;
    }
    ClusterExecution nowStarted = null;
    if (ex.member != null) {
      boolean wasWaiting = ex.member.waiting.remove(ex);
      if (!wasWaiting) {
        // A slot of that member freed: the oldest attempt held in its queue takes it (FIFO), even if its start notice is lost.
        nowStarted = ex.member.waiting.pollFirst();
        if (nowStarted != null) {
          nowStarted.startHeard = true;
        }
      }
      members.releaseSlotLocked(ex.member);
    }
    return new Then(List.of(), drainLocked(), shutdown && inFlight.isEmpty(), nowStarted);
  }

  // ---------------------------------------------------------------- members

  /** A task-running member joined: its slots go to parked attempts. Null if closing, or if it was known already. */
  synchronized Then join(MemberSlots ms) {
    if (closing || !members.addLocked(ms)) {
      return null;
    }
    return new Then(List.of(), drainLocked(), false);
  }

  /**
   * A member left. With the plain executor the attempts it ran are lost; a durable executor runs
   * them again from their backups. When no task-running member is left, parked attempts end.
   * Null if it was not a task-running member, or the instance is closing.
   */
  synchronized Left leave(UUID member, boolean durable) {
    MemberSlots ms = members.removeLocked(member);
    if (ms == null || closing) {
      return null;
    }
    List<ClusterExecution> lost = new ArrayList<>();
    for (ClusterExecution ex : new ArrayList<>(inFlight.values())) {
      if (ex.member == ms) {
        if (!durable && ex.held && !ex.startHeard) {
          // It waited in that member's queue and never started, as far as the engine heard: it goes to
          // another member, without counting as a crash (at least once, if its start notice was on its way).
          inFlight.remove(ex.wireId);
          ex.member = null;
          ex.held = false;
          parked.putBack(ex);
        } else if (!durable) {
          inFlight.remove(ex.wireId);
          lost.add(ex);
        } else {
          ex.member = null; // Hazelcast runs it again from its backup; its result still comes
        }
      }
    }
    List<ClusterExecution> stranded = members.isEmptyLocked() ? parked.takeAll() : List.of();
    // Slots freed by lost attempts go to parked ones (their reports come later, not as releases).
    List<ClusterExecution> toSend = drainLocked();
    return new Left(ms, lost, new Then(stranded, toSend, shutdown && inFlight.isEmpty()));
  }

  // ---------------------------------------------------------------- the end

  /**
   * The instance stopped without the engine's close: records why, forgets the members, and takes
   * every attempt out (parked or in flight) to end with that reason. Null if it was gone already
   * or is closing.
   */
  synchronized Then gone(String why) {
    if (gone != null || closing) {
      return null;
    }
    gone = why;
    List<ClusterExecution> stranded = new ArrayList<>(parked.takeAll());
    stranded.addAll(inFlight.values());
    inFlight.clear();
    members.clearLocked();
    return new Then(stranded, List.of(), shutdown);
  }

  /** Why the instance is gone, or null. */
  synchronized String goneReason() {
    return gone;
  }

  /**
   * The backend shuts down: nothing is placed any more, and parked attempts end. Closes at once
   * if nothing is in flight.
   */
  synchronized Then shutdown() {
    shutdown = true;
    return new Then(parked.takeAll(), List.of(), inFlight.isEmpty());
  }

  /** The members and where the attempts in flight run, for a snapshot. */
  synchronized dev.gearbox.spi.BackendView view() {
    dev.gearbox.spi.BackendView.Placements placements = new dev.gearbox.spi.BackendView.Placements();
    for (ClusterExecution ex : inFlight.values()) {
      MemberSlots m = ex.member;
      if (m != null) {
        placements.add(ex.attempt, m.label);
      }
    }
    return new dev.gearbox.spi.BackendView(members.viewLocked(), placements.byTask());
  }

  /** The attempts in flight now. */
  synchronized List<ClusterExecution> inFlight() {
    return new ArrayList<>(inFlight.values());
  }

  /** The instance is closing: takes out the attempts still in flight (abandoned) and ignores members from now on. */
  synchronized List<ClusterExecution> close() {
    closing = true;
    List<ClusterExecution> abandoned = new ArrayList<>(inFlight.values());
    inFlight.clear();
    return abandoned;
  }

  /** Whether the instance is closing. */
  synchronized boolean closing() {
    return closing;
  }
}
