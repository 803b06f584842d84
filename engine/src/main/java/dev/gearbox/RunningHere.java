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
 * while its runHere is active (it costs no object), and the handler it displaced (an outer
 * attempt, or a handler the thread had) is put back when it ends. As a handler, an attempt passes
 * an exception on to the handler it displaced, or to the thread's group, as the thread would have
 * without it (no exception leaves runHere while it is set, so this is a formality).
 *
 * <p>Limit: a task that sets its own virtual thread's uncaught-exception handler replaces the
 * marker. For the rest of that attempt the engine no longer sees it running there (so a submit or
 * a wait of it on its own engine is not detected as nested: a wait that could never end then
 * hangs instead of failing), and when the attempt ends the handler the attempt displaced is put
 * back over the task's. Platform threads are not affected.
 *
 * <p>Thread-safety: a thread reads and writes only its own marker. Another thread that reads the
 * handler of an engine's virtual thread may see an attempt.
 */
final class RunningHere {
  private static final ThreadLocal<AttemptImpl> PLATFORM = new ThreadLocal<>();

  private RunningHere() {}

  /**
   * Marks {@code a}'s runHere as active on this thread; returns what it displaces, to give to
   * {@link #exit}: the outer attempt, or on a virtual thread the handler the thread had, or null.
   */
  static Object enter(AttemptImpl a) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      Thread.UncaughtExceptionHandler had = me.getUncaughtExceptionHandler();
      me.setUncaughtExceptionHandler(a);
      return had == me.getThreadGroup() ? null : had; // the group is what a thread without a handler of its own reports
    }
    AttemptImpl outer = PLATFORM.get();
    PLATFORM.set(a);
    return outer;
  }

  /** Ends the runHere that {@link #enter} began, giving the thread back to what it displaced. */
  static void exit(Object displaced) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      me.setUncaughtExceptionHandler((Thread.UncaughtExceptionHandler) displaced);
    } else {
      PLATFORM.set((AttemptImpl) displaced); // set, not removed: a pool thread keeps its entry for its next attempt
    }
  }

  /** The innermost attempt whose runHere is active on this thread, or null. */
  static AttemptImpl current() {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      return me.getUncaughtExceptionHandler() instanceof AttemptImpl a ? a : null;
    }
    return PLATFORM.get();
  }
}
