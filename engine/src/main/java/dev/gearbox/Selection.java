package dev.gearbox;

import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import java.util.ArrayList;
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
 * <p><b>Operations of tasks in other JVMs.</b> A worker's operation arrives as a frame on a thread
 * that reads a pipe, which must never block: {@link #start} runs the same two steps, but the
 * waiting operation has no thread; it has a {@link ChannelHost.Listener} instead. A counterpart
 * that claims it records the outcome and leaves the listener to {@link #runDeferred}, which the
 * counterpart's thread runs once it has released every channel lock (so an answer written to a
 * pipe never holds a channel's lock); the listener first removes the operation's other waiters.
 * Such an operation is withdrawn (timeout or interrupt in the worker, its task ended, its worker
 * died) by {@link #withdrawRemote}, with the same compare-and-set as a thread's timeout.
 *
 * <p>Memory effects: a transfer happens under the channel's lock, or is published through the
 * volatile {@link #outcome}; either way what the sender did before sending happens-before what
 * the receiver does after receiving.
 */
final class Selection {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Channel.class);
  /** The operation waits for a counterpart. */
  private static final int WAITING = -1;
  /** The operation gave up (timeout or interrupt) before any counterpart claimed it. */
  private static final int WITHDRAWN = -2;

  /** Wait for ever. */
  static final long FOREVER = -1;
  /** Do not wait: complete a ready case or report that none was ready. */
  static final long NO_WAIT = 0;

  /** Remote operations claimed under a lock this thread holds, answered once it holds none. */
  private static final ThreadLocal<ArrayList<Selection>> DEFERRED = ThreadLocal.withInitial(ArrayList::new);

  /** WAITING, WITHDRAWN, or the index of the case a counterpart claimed. */
  private final AtomicInteger state = new AtomicInteger(WAITING);
  /** The waiting thread; null for a remote operation. */
  private final Thread owner;
  /** Who hears a remote operation's outcome; null for a thread's. */
  private final ChannelHost.Listener listener;
  /** The operation's cases (a remote operation needs them after it was claimed). */
  private final ChannelOp[] ops;
  /** The queued waiters, one per case; set under the locks, before any counterpart can see them. */
  private ChannelWaiter[] waiters;
  /** Set once, by the counterpart that claimed the operation, after the transfer. */
  private volatile ChannelOutcome outcome;

  private Selection(ChannelOp[] ops, ChannelHost.Listener listener) {
    this.ops = ops;
    this.listener = listener;
    this.owner = listener == null ? Thread.currentThread() : null;
  }

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
    Selection waiting = timeoutNanos != NO_WAIT ? new Selection(ops, null) : null;
    ChannelOutcome done = pollOrEnqueue(ops, start, waiting);
    runDeferred();
    return done != null || waiting == null ? done : waiting.await(waiting.waiters, timeoutNanos);
  }

  /**
   * Starts an operation for a task in another JVM; see the class comment. The listener may hear
   * the outcome before this returns.
   *
   * @return the waiting operation (to withdraw it), or null if it completed (or could not wait)
   */
  static Selection start(ChannelOp[] ops, int start, boolean mayWait, ChannelHost.Listener listener) {
    Selection waiting = mayWait ? new Selection(ops, listener) : null;
    ChannelOutcome done = pollOrEnqueue(ops, start, waiting);
    runDeferred();
    if (done != null || waiting == null) {
      listener.completed(done, done == null ? null : deliveryOf(ops, done));
      return null;
    }
    return waiting;
  }

  /** Step 1 and, if nothing was ready and {@code waiting} is given, step 2 up to the parking. */
  private static ChannelOutcome pollOrEnqueue(ChannelOp[] ops, int start, Selection waiting) {
    ChannelBuffer[] locks = lockOrder(ops);
    ChannelOutcome done = null;
    for (ChannelBuffer b : locks) {
      b.lock.lock();
    }
    try {
      int n = ops.length;
      for (int i = 0; i < n && done == null; i++) {
        ChannelOp op = ops[(start + i) % n];
        done = op.buffer().commit(op);
      }
      if (done == null && waiting != null) {
        ChannelWaiter[] ws = new ChannelWaiter[n];
        for (int i = 0; i < n; i++) {
          ws[i] = new ChannelWaiter(ops[i], waiting);
          ops[i].buffer().enqueue(ws[i]);
        }
        waiting.waiters = ws;
      }
    } finally {
      for (int i = locks.length - 1; i >= 0; i--) {
        locks[i].lock.unlock();
      }
    }
    return done;
  }

  /** The delivery of an element an acknowledged receive took; null for any other outcome. */
  private static ChannelHost.Delivery deliveryOf(ChannelOp[] ops, ChannelOutcome o) {
    if (o.kind() != ChannelOutcome.Kind.RECEIVED || !ops[o.index()].acked()) {
      return null;
    }
    ChannelBuffer b = ops[o.index()].buffer();
    Object element = o.value();
    return new ChannelHost.Delivery() {
      @Override
      public void acknowledged() {
        b.acknowledge();
      }

      @Override
      public void returned() {
        b.giveBack(element);
      }
    };
  }

  /**
   * Answers the remote operations this thread claimed while it held channel locks. Called by every
   * path that takes channel locks, once it has released them all.
   */
  static void runDeferred() {
    ArrayList<Selection> claimed = DEFERRED.get();
    if (claimed.isEmpty()) {
      return;
    }
    Selection[] now = claimed.toArray(new Selection[0]);
    claimed.clear();
    for (Selection s : now) {
      ChannelOutcome o = s.outcome;
      dequeue(s.waiters, o.index());
      try {
        s.listener.completed(o, deliveryOf(s.ops, o));
      } catch (RuntimeException | Error e) {
        // Nobody up this thread's stack can act on a worker's answer; the others still go.
        log.warn("Gearbox: answering a worker's channel operation failed", e);
      }
    }
  }

  /** Withdraws a remote operation; true if no counterpart claimed it (and nothing was transferred). */
  boolean withdrawRemote() {
    if (!withdraw()) {
      return false;
    }
    dequeue(waiters, -1);
    return true;
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
    if (owner != null) {
      LockSupport.unpark(owner);
    } else {
      DEFERRED.get().add(this);
    }
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
