package dev.gearbox.process;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * In a worker, keeps the thread that read a task reading frames after it, unless the task runs
 * long. The thread that reads a RUN runs the task itself and reads the next frame when it ends, so
 * a short task costs no wake-up of a second thread; once a task has run for a whole tick (2 to 4
 * ms), this standby thread hands the reading to another thread of the pool, so that a CANCEL or a
 * channel reply can be read while it runs. A task that is about to wait for the engine (a channel
 * call) hands the reading on at once ({@link #handOverNow}).
 *
 * <p>The standby ticks only while tasks come; after {@value #QUIET_TICKS} ticks without one it
 * parks until the next task begins.
 *
 * <p>States of {@link #owner}: {@code null} (no task runs in the reading thread; whoever reads, reads),
 * the reading thread while it runs a task it read, or {@link #HANDING} while the standby hands the
 * reading on. Thread-safe.
 */
final class ReaderStandby {
  private static final long TICK_NANOS = 2_000_000;
  private static final int QUIET_TICKS = 50;
  private static final Object HANDING = new Object();

  private final AtomicReference<Object> owner = new AtomicReference<>();
  private final AtomicLong begun = new AtomicLong();
  private final Runnable handOver;
  private final Thread thread;
  private volatile boolean idle = true;

  /** @param handOver starts another thread reading frames; may throw if it cannot */
  ReaderStandby(Runnable handOver) {
    this.handOver = handOver;
    this.thread = new Thread(this::watch, "gearbox-reader-standby");
    thread.setDaemon(true);
    thread.start();
  }

  /** The reading thread begins a task it read; it keeps the reading until {@link #end} or a hand-over. */
  void begin() {
    owner.set(Thread.currentThread());
    begun.incrementAndGet();
    if (idle) {
      idle = false;
      LockSupport.unpark(thread);
    }
  }

  /** The task that {@link #begin} announced ended: true if this thread still reads frames, false if another does now. */
  boolean end() {
    Thread me = Thread.currentThread();
    for (;;) {
      if (owner.compareAndSet(me, null)) {
        return true;
      }
      if (owner.get() != HANDING) {
        return false;
      }
      Thread.onSpinWait(); // the standby is handing the reading on this moment; it ends quickly either way
    }
  }

  /** If the calling thread reads frames while it runs a task, hands the reading on now: the task is about to wait for a frame. */
  void handOverNow() {
    Thread me = Thread.currentThread();
    if (owner.get() == me && owner.compareAndSet(me, HANDING)) {
      handOver(me);
    }
  }

  private void handOver(Thread from) {
    try {
      handOver.run();
      owner.compareAndSet(HANDING, null); // unless the new reader already began a task of its own
    } catch (RejectedExecutionException e) {
      owner.compareAndSet(HANDING, null); // the frames ended: nobody needs to read any more
    } catch (Throwable e) {
      // No thread to take the reading (unable to create a native thread, say): the task's thread
      // reads again after its task, which meanwhile cannot hear a CANCEL (its deadline still kills it).
      owner.compareAndSet(HANDING, from);
    }
  }

  private void watch() {
    Object last = null;
    long seen = -1;
    int quiet = 0;
    for (;;) {
      if (idle) {
        LockSupport.park(this);
        continue;
      }
      LockSupport.parkNanos(this, TICK_NANOS);
      Object now = owner.get();
      long n = begun.get();
      if (now instanceof Thread t && now == last && n == seen && owner.compareAndSet(t, HANDING)) {
        handOver(t); // the same task has run in the reading thread for a whole tick
        now = null;
      }
      quiet = n == seen && now == null ? quiet + 1 : 0;
      last = now;
      seen = n;
      if (quiet >= QUIET_TICKS) {
        quiet = 0;
        idle = true;
        if (begun.get() != seen) { // a task began meanwhile: begin() may have seen idle still false
          idle = false;
        }
      }
    }
  }
}
