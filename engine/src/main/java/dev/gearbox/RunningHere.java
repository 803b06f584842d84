package dev.gearbox;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which attempt's {@code runHere} is active on the current thread (see
 * {@link AttemptImpl#runHere()}): how the engine tells a task, or a dependent action its report
 * runs, that submits to or waits on its own engine.
 *
 * <p>A platform thread keeps it in a thread-local: a pool thread runs many attempts, and its one
 * entry is set and cleared without allocating. A virtual thread usually runs one attempt and ends;
 * a thread-local would give each one a map of its own (a table of 16 entries, the map and the
 * entry: 136 bytes, held while the task waits), so virtual threads are kept in one shared map
 * instead (one node each, removed when the attempt's runHere returns). That map's table keeps the
 * size of the most virtual threads that ever ran attempts at once (about 10 bytes each).
 *
 * <p>Thread-safe. A thread reads only its own entry, which only it writes.
 */
final class RunningHere {
  private static final ThreadLocal<AttemptImpl> PLATFORM = new ThreadLocal<>();
  private static final ConcurrentHashMap<Thread, AttemptImpl> VIRTUAL = new ConcurrentHashMap<>();

  private RunningHere() {}

  /** Marks {@code a}'s runHere as active on this thread; returns the attempt it displaces, or null. */
  static AttemptImpl enter(AttemptImpl a) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      return VIRTUAL.put(me, a);
    }
    AttemptImpl outer = PLATFORM.get();
    PLATFORM.set(a);
    return outer;
  }

  /** Ends the runHere that {@link #enter} began, giving the thread back to {@code outer} (or to none). */
  static void exit(AttemptImpl outer) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      if (outer == null) {
        VIRTUAL.remove(me);
      } else {
        VIRTUAL.put(me, outer);
      }
    } else {
      PLATFORM.set(outer); // set, not removed: a pool thread keeps its entry for its next attempt
    }
  }

  /** The innermost attempt whose runHere is active on this thread, or null. */
  static AttemptImpl current() {
    Thread me = Thread.currentThread();
    return me.isVirtual() ? VIRTUAL.get(me) : PLATFORM.get();
  }
}
