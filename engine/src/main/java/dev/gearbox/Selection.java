package dev.gearbox;

import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One blocking channel operation in flight (a plain send or receive, or a {@link Select}), and
 * the algorithm that performs every operation.
 *
 * <h2>Design</h2>
 *
 * <p>Each channel has its own lock ({@link ChannelBuffer#lock}). An operation over one or more
 * cases runs in two steps:
 *
 * <ol>
 *   <li><b>Poll.</b> Lock every channel of the operation, each once, in ascending
 *       {@link ChannelBuffer#order} (a global order, so two selects over the same channels cannot
 *       deadlock), and try the cases one after the other starting at {@code start} (a random case
 *       for a select, which makes it fair among ready cases). The first case that can complete
 *       now completes, under the locks: it takes from the buffer, hands over to a waiting
 *       counterpart, or finds the channel closed or poisoned. The other cases are not touched, so
 *       no select commits two cases.
 *   <li><b>Wait.</b> If no case was ready, and the operation may wait, it queues a
 *       {@link ChannelWaiter} on every case's channel <em>before</em> releasing any lock, so no
 *       readiness can slip in between the poll and the queueing, and parks.
 * </ol>
 *
 * <p>A counterpart that finds a waiter (holding that channel's lock) claims the waiter's
 * operation with one compare-and-set on {@link #state}, from {@code WAITING} to the waiter's
 * case. Only one claim can win, so a select blocked on several channels is completed by exactly
 * one of them; the counterpart then does the transfer and {@linkplain #complete publishes} the
 * outcome. Waiters whose claim fails (their operation was completed by another case, timed out
 * or was interrupted) are dropped from the queue. A waiting operation is never claimed by the
 * thread that queued it, because the poll step holds the locks until all its waiters are queued.
 *
 * <p>A timeout or an interrupt <em>withdraws</em> the operation with a compare-and-set from
 * {@code WAITING} to {@code WITHDRAWN}. If that fails, a counterpart has already claimed it, and
 * the outcome is on its way: the operation waits for it and returns it (an interrupt is then kept
 * as the thread's interrupt status). Whoever wins, the operation then removes its remaining
 * waiters from their queues, so a channel that a select loop keeps waiting on does not collect
 * stale waiters.
 *
 * <p>This is the shape of Go's {@code select} (lock all channels in a fixed order, poll in a
 * random order, enqueue on all, a single winner decided atomically), with a compare-and-set token
 * in place of the runtime's parking protocol.
 *
 * <p>Memory effects: a transfer happens under the channel's lock, or is published through the
 * volatile {@link #outcome}; either way what the sender did before sending happens-before what
 * the receiver does after receiving.
 */
final class Selection {
  /** The operation waits for a counterpart. */
  private static final int WAITING = -1;
  /** The operation gave up (timeout or interrupt) before any counterpart claimed it. */
  private static final int WITHDRAWN = -2;

  /** Wait for ever. */
  static final long FOREVER = -1;
  /** Do not wait: complete a ready case or report that none was ready. */
  static final long NO_WAIT = 0;

  /** WAITING, WITHDRAWN, or the index of the case a counterpart claimed. */
  private final AtomicInteger state = new AtomicInteger(WAITING);
  private final Thread owner = Thread.currentThread();
  /** Set once, by the counterpart that claimed the operation, after the transfer. */
  private volatile ChannelOutcome outcome;

  private Selection() {}

  /**
   * Performs an operation over {@code ops}.
   *
   * @param start        the case tried first
   * @param timeoutNanos {@link #FOREVER}, {@link #NO_WAIT}, or how long to wait at most
   * @return how the completed case ended, or null if none completed (not ready, or timed out)
   * @throws InterruptedException if the thread is interrupted before any case completes; no case
   *     has then been committed (a waiting operation only checks before it is queued and while it
   *     waits)
   */
  static ChannelOutcome perform(ChannelOp[] ops, int start, long timeoutNanos) throws InterruptedException {
    if (timeoutNanos != NO_WAIT && Thread.interrupted()) {
      throw new InterruptedException();
    }
    ChannelBuffer[] locks = lockOrder(ops);
    ChannelOutcome done = null;
    Selection waiting = null;
    ChannelWaiter[] waiters = null;
    for (ChannelBuffer b : locks) {
      b.lock.lock();
    }
    try {
      int n = ops.length;
      for (int i = 0; i < n && done == null; i++) {
        ChannelOp op = ops[(start + i) % n];
        done = op.buffer().commit(op);
      }
      if (done == null && timeoutNanos != NO_WAIT) {
        waiting = new Selection();
        waiters = new ChannelWaiter[n];
        for (int i = 0; i < n; i++) {
          waiters[i] = new ChannelWaiter(ops[i], waiting);
          ops[i].buffer().enqueue(waiters[i]);
        }
      }
    } finally {
      for (int i = locks.length - 1; i >= 0; i--) {
        locks[i].lock.unlock();
      }
    }
    return waiting == null ? done : waiting.await(waiters, timeoutNanos);
  }

  /** The distinct channels of {@code ops}, in lock order. */
  private static ChannelBuffer[] lockOrder(ChannelOp[] ops) {
    if (ops.length == 1) {
      return new ChannelBuffer[] {ops[0].buffer()};
    }
    return Arrays.stream(ops).map(ChannelOp::buffer).distinct()
        .sorted(Comparator.comparingLong(b -> b.order)).toArray(ChannelBuffer[]::new);
  }

  /** Claims this operation for case {@code index}; called by a counterpart holding that case's channel lock. */
  boolean claim(int index) {
    return state.compareAndSet(WAITING, index);
  }

  /** Publishes the outcome of a claimed operation and wakes its thread. */
  void complete(ChannelOutcome o) {
    outcome = o;
    LockSupport.unpark(owner);
  }

  private boolean withdraw() {
    return state.compareAndSet(WAITING, WITHDRAWN);
  }

  private ChannelOutcome await(ChannelWaiter[] waiters, long timeoutNanos) throws InterruptedException {
    long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
    boolean interrupted = false;
    ChannelOutcome o;
    while ((o = outcome) == null) {
      if (Thread.interrupted()) {
        if (withdraw()) {
          dequeue(waiters, -1);
          throw new InterruptedException();
        }
        interrupted = true; // claimed already: the outcome follows at once; report it, keep the interrupt
      } else if (timeoutNanos > 0 && state.get() == WAITING) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          if (withdraw()) {
            dequeue(waiters, -1);
            return null;
          }
        } else {
          LockSupport.parkNanos(this, left);
        }
      } else {
        LockSupport.park(this);
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    dequeue(waiters, o.index());
    return o;
  }

  /** Removes this operation's waiters, except the one a counterpart claimed (it took it off its queue). */
  private static void dequeue(ChannelWaiter[] waiters, int claimed) {
    for (ChannelWaiter w : waiters) {
      if (w.op.index() != claimed) {
        w.op.buffer().remove(w);
      }
    }
  }
}
