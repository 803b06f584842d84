package dev.gearbox;

import dev.gearbox.spi.ChannelOutcome;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state of one channel in this JVM: its buffered elements, the operations waiting on it, and
 * whether it is closed or poisoned. {@link Channel} is the handle applications hold; this is what
 * a handle resolves to in the JVM that made the channel. How operations use it is described in
 * {@link Selection}.
 *
 * <p>Every field but the constants is guarded by {@link #lock}; every method except
 * {@link #remove}, {@link #close}, {@link #poison} and {@link #isClosed} (which lock it themselves)
 * is called with the lock held. Invariants while the lock is free: elements are buffered only when
 * no live receiver waits; a live sender waits only when the buffer is full (always, at capacity
 * 0). Waiters whose operation was already completed elsewhere may linger in the queues; whoever
 * meets one drops it.
 *
 * <p><b>Deliveries.</b> An element taken by an {@linkplain ChannelOp#acked acknowledged} receive
 * (one performed for a task in a worker JVM) is counted in {@link #inDelivery} until the worker
 * says the task has it ({@link #acknowledge}) or the worker died first ({@link #giveBack}: the
 * element returns to the head of the buffer, or straight to a waiting receiver; the buffer may
 * then hold more than its capacity for a while, and senders wait until it is below). A closed
 * channel is drained only when nothing is buffered <em>and</em> nothing is in delivery, so no
 * receiver sees the end before an element that may still come back.
 *
 * <p>Completing a waiter may hand work to {@link Selection#runDeferred()} (a worker's operation
 * is answered after the locks are released): every method that takes the lock itself runs it
 * after releasing the lock.
 */
final class ChannelBuffer {
  private static final AtomicLong ORDER = new AtomicLong();

  final String name;
  final int capacity;
  /** The global lock order among channels (see {@link Selection}). */
  final long order = ORDER.incrementAndGet();
  final ReentrantLock lock = new ReentrantLock();

  private final ArrayDeque<Object> elements;
  private final ArrayDeque<ChannelWaiter> receivers = new ArrayDeque<>();
  private final ArrayDeque<ChannelWaiter> senders = new ArrayDeque<>();
  /** Elements taken by acknowledged receives and not yet acknowledged or given back. */
  private int inDelivery;
  private boolean closed;
  private Throwable poison;

  ChannelBuffer(String name, int capacity) {
    this.name = name;
    this.capacity = capacity;
    this.elements = new ArrayDeque<>(Math.min(capacity, 64));
  }

  /** Completes {@code op} if it can complete now; null if it would have to wait. */
  ChannelOutcome commit(ChannelOp op) {
    if (poison != null) {
      return ChannelOutcome.poisoned(op.index(), poison);
    }
    return op.send() ? offer(op) : take(op);
  }

  private ChannelOutcome take(ChannelOp op) {
    Object head = elements.poll();
    if (head != null) {
      // Space freed: the longest-waiting sender's element goes to the tail, keeping its order.
      ChannelWaiter s;
      while (elements.size() < capacity && (s = claimFirst(senders)) != null) {
        elements.add(s.op.element());
        s.selection.complete(ChannelOutcome.sent(s.op.index()));
      }
      return received(op, head);
    }
    ChannelWaiter s = claimFirst(senders);
    if (s != null) {
      s.selection.complete(ChannelOutcome.sent(s.op.index()));
      return received(op, s.op.element());
    }
    return closed && inDelivery == 0 ? ChannelOutcome.ended(op.index()) : null;
  }

  /** {@code op} receives {@code element}; counted in delivery if a worker's task must acknowledge it. */
  private ChannelOutcome received(ChannelOp op, Object element) {
    if (op.acked()) {
      inDelivery++;
    }
    return ChannelOutcome.received(op.index(), element);
  }

  private ChannelOutcome offer(ChannelOp op) {
    if (closed) {
      return ChannelOutcome.sendRefused(op.index());
    }
    ChannelWaiter r = claimFirst(receivers);
    if (r != null) {
      r.selection.complete(received(r.op, op.element()));
      return ChannelOutcome.sent(op.index());
    }
    if (elements.size() < capacity) {
      elements.add(op.element());
      return ChannelOutcome.sent(op.index());
    }
    return null;
  }

  /** Takes waiters off the head of {@code queue} until one is claimed; null if none could be. */
  private static ChannelWaiter claimFirst(ArrayDeque<ChannelWaiter> queue) {
    ChannelWaiter w;
    while ((w = queue.poll()) != null) {
      if (w.claim()) {
        return w;
      }
    }
    return null;
  }

  void enqueue(ChannelWaiter w) {
    (w.op.send() ? senders : receivers).add(w);
  }

  /** Removes a waiter that is no longer needed (its operation ended elsewhere, or gave up). */
  void remove(ChannelWaiter w) {
    lock.lock();
    try {
      (w.op.send() ? senders : receivers).remove(w);
    } finally {
      lock.unlock();
    }
  }

  /** A worker's task has an element it took: it is no longer in delivery. */
  void acknowledge() {
    lock.lock();
    try {
      inDelivery--;
      if (closed && poison == null && inDelivery == 0 && elements.isEmpty()) {
        endReceivers();
      }
    } finally {
      lock.unlock();
    }
    Selection.runDeferred();
  }

  /**
   * An element in delivery will never reach its task (the worker died first): the longest-waiting
   * receiver gets it, else it goes back to the head of the buffer, so it is the next received. A
   * poisoned channel drops it, as it dropped the rest.
   */
  void giveBack(Object element) {
    lock.lock();
    try {
      inDelivery--;
      if (poison == null) {
        ChannelWaiter r = claimFirst(receivers);
        if (r != null) {
          r.selection.complete(received(r.op, element));
        } else {
          elements.addFirst(element);
        }
      }
    } finally {
      lock.unlock();
    }
    Selection.runDeferred();
  }

  /** Ends every waiting receiver: the channel is closed and drained. */
  private void endReceivers() {
    ChannelWaiter r;
    while ((r = claimFirst(receivers)) != null) {
      r.selection.complete(ChannelOutcome.ended(r.op.index()));
    }
  }

  /**
   * Closes the channel: later sends are refused; receivers drain what is buffered, and what
   * senders already blocked on the channel carry, then see the end. Receivers waiting now (there
   * is nothing for them) see the end at once. Idempotent.
   */
  void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (elements.isEmpty() && inDelivery == 0) {
        endReceivers();
      }
    } finally {
      lock.unlock();
    }
    Selection.runDeferred();
  }

  /**
   * Poisons the channel: buffered elements are dropped, every waiting party fails with
   * {@code cause}, and so does every later operation. The first poison wins.
   */
  void poison(Throwable cause) {
    lock.lock();
    try {
      if (poison != null) {
        return;
      }
      poison = cause;
      closed = true;
      elements.clear();
      for (ArrayDeque<ChannelWaiter> queue : java.util.List.of(receivers, senders)) {
        ChannelWaiter w;
        while ((w = claimFirst(queue)) != null) {
          w.selection.complete(ChannelOutcome.poisoned(w.op.index(), cause));
        }
      }
    } finally {
      lock.unlock();
    }
    Selection.runDeferred();
  }

  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }
}
