package dev.gearbox;

/**
 * Which attempt's {@code runHere} is active on the current thread (see
 * {@link AttemptImpl#runHere()}): how the engine tells a task, or a dependent action its report
 * runs, that submits to or waits on its own engine.
 *
 * <p>A platform thread keeps it in a thread-local: a pool thread runs many attempts, and its one
 * entry is set and cleared without allocating. A virtual thread usually runs one attempt and ends;
 * a thread-local would give each one a map of its own (a table of 16 entries, the map and the
 * entry: 136 bytes, held while the task waits), and even a shared table keeps an entry per thread
 * (about 24 bytes). A virtual thread has no other per-thread slot, except one the engine's virtual
 * threads do not otherwise use: the thread's {@linkplain Thread#getUncaughtExceptionHandler()
 * uncaught-exception handler}. So on a virtual thread the attempt itself is the thread's handler
 * while its runHere is active (it costs no object), and what it displaced is put back when it
 * ends. As a handler, the marker passes an exception on to the handler it displaced, or to the
 * thread's group, as the thread would have without it: libraries that cannot throw an error hand
 * it to the current thread's handler, and it reaches the handler the task would have had.
 *
 * <p>Nesting: when an attempt's runHere begins while another's is active on the thread (one run
 * inside another's task, as the direct backend does), or on a virtual thread that has a handler of
 * its own, the marker is a {@link Nested} pair of the attempt and what it displaced, the only
 * object this makes; so the chain of attempts on a thread, innermost first, needs no field in
 * each attempt.
 *
 * <p>Limit: a task that sets its own virtual thread's uncaught-exception handler replaces the
 * marker. For the rest of that attempt the engine no longer sees it running there (so a submit or
 * a wait of it on its own engine is not detected as nested: a wait that could never end then
 * hangs instead of failing), and when the attempt ends the handler the attempt displaced is put
 * back over the task's. Code that copies the current thread's handler into a thread it makes (or
 * saves it and sets it back later) carries the marker there: that thread then looks to the engine
 * as if it ran the attempt (a submit from it to a full queue is rejected rather than blocking),
 * and keeps the attempt reachable while it lives. Platform threads are not affected.
 *
 * <p>Thread-safety: a thread reads and writes only its own marker. Another thread that reads the
 * handler of a virtual thread running an attempt sees the marker (the attempt, or a pair).
 */
final class RunningHere {
  /** The marker of a platform thread: an attempt, a {@link Nested}, or null. */
  private static final ThreadLocal<Object> PLATFORM = new ThreadLocal<>();

  private RunningHere() {}

  /**
   * The marker of an attempt whose runHere began while something else was marked on the thread, or
   * on a virtual thread with a handler of its own: the attempt, and what it displaced (an outer
   * attempt, another Nested, or the thread's own handler).
   */
  private record Nested(AttemptImpl attempt, Object displaced) implements Thread.UncaughtExceptionHandler {
    @Override
    public void uncaughtException(Thread t, Throwable e) {
      if (displaced instanceof Thread.UncaughtExceptionHandler h) {
        h.uncaughtException(t, e);
      } else {
        t.getThreadGroup().uncaughtException(t, e);
      }
    }
  }

  /**
   * Marks {@code a}'s runHere as active on this thread; returns what it displaces, to give to
   * {@link #exit}: the outer marker, or on a virtual thread the handler the thread had, or null.
   */
  static Object enter(AttemptImpl a) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      Thread.UncaughtExceptionHandler had = me.getUncaughtExceptionHandler();
      Object displaced = had == me.getThreadGroup() ? null : had; // the group is what a thread without a handler of its own reports
      me.setUncaughtExceptionHandler(displaced == null ? a : new Nested(a, displaced));
      return displaced;
    }
    Object outer = PLATFORM.get();
    PLATFORM.set(outer == null ? a : new Nested(a, outer));
    return outer;
  }

  /** Ends the runHere that {@link #enter} began, giving the thread back to what it displaced. */
  static void exit(Object displaced) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      me.setUncaughtExceptionHandler((Thread.UncaughtExceptionHandler) displaced);
    } else {
      PLATFORM.set(displaced); // set, not removed: a pool thread keeps its entry for its next attempt
    }
  }

  private static Object marker() {
    Thread me = Thread.currentThread();
    return me.isVirtual() ? me.getUncaughtExceptionHandler() : PLATFORM.get();
  }

  /** The innermost attempt whose runHere is active on this thread, or null. */
  static AttemptImpl current() {
    Object m = marker();
    return m instanceof AttemptImpl a ? a : m instanceof Nested n ? n.attempt() : null;
  }

  /**
   * The innermost attempt whose work (not its report) runs on this thread, past those whose work
   * has returned and which are reporting; null if none.
   */
  static AttemptImpl workingHere() {
    for (Object m = marker(); ; ) {
      AttemptImpl a;
      if (m instanceof AttemptImpl x) {
        a = x;
        m = null;
      } else if (m instanceof Nested n) {
        a = n.attempt();
        m = n.displaced();
      } else {
        return null; // nothing marked, or the thread's own handler below the attempts
      }
      if (a.worksHere()) {
        return a;
      }
    }
  }
}
