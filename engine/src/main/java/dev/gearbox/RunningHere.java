package dev.gearbox;

import java.util.IdentityHashMap;

/**
 * Which attempt's {@code runHere} is active on the current thread (see
 * {@link AttemptImpl#runHere()}): how the engine tells a task, or a dependent action its report
 * runs, that submits to or waits on its own engine.
 *
 * <p>A platform thread keeps it in a thread-local: a pool thread runs many attempts, and its one
 * entry is set and cleared without allocating. A virtual thread usually runs one attempt and ends;
 * a thread-local would give each one a map of its own (a table of 16 entries, the map and the
 * entry: 136 bytes, held while the task waits), so virtual threads are kept in shared tables
 * instead: {@value #STRIPES} identity maps, by thread id, each guarded by its own monitor. An
 * identity map keeps a thread and its attempt side by side in one array (12 to 24 bytes per
 * thread; a concurrent map's node and table took about 40). An entry is removed when the
 * attempt's runHere returns; the tables keep the size of the most virtual threads that ever ran
 * attempts at once. The monitors are held for a lookup only, never while blocking.
 *
 * <p>Thread-safe. A thread reads only its own entry, which only it writes.
 */
final class RunningHere {
  private static final ThreadLocal<AttemptImpl> PLATFORM = new ThreadLocal<>();
  /** Stripes of the virtual threads' tables: a power of two. */
  private static final int STRIPES = 64;
  @SuppressWarnings({"unchecked", "rawtypes"}) // an array of a generic type
  private static final IdentityHashMap<Thread, AttemptImpl>[] VIRTUAL = new IdentityHashMap[STRIPES];

  static {
    for (int i = 0; i < STRIPES; i++) {
      VIRTUAL[i] = new IdentityHashMap<>();
    }
  }

  private RunningHere() {}

  /** Marks {@code a}'s runHere as active on this thread; returns the attempt it displaces, or null. */
  static AttemptImpl enter(AttemptImpl a) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      IdentityHashMap<Thread, AttemptImpl> m = tableOf(me);
      synchronized (m) {
        return m.put(me, a);
      }
    }
    AttemptImpl outer = PLATFORM.get();
    PLATFORM.set(a);
    return outer;
  }

  /** Ends the runHere that {@link #enter} began, giving the thread back to {@code outer} (or to none). */
  static void exit(AttemptImpl outer) {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      IdentityHashMap<Thread, AttemptImpl> m = tableOf(me);
      synchronized (m) {
        if (outer == null) {
          m.remove(me);
        } else {
          m.put(me, outer);
        }
      }
    } else {
      PLATFORM.set(outer); // set, not removed: a pool thread keeps its entry for its next attempt
    }
  }

  /** The innermost attempt whose runHere is active on this thread, or null. */
  static AttemptImpl current() {
    Thread me = Thread.currentThread();
    if (me.isVirtual()) {
      IdentityHashMap<Thread, AttemptImpl> m = tableOf(me);
      synchronized (m) {
        return m.get(me);
      }
    }
    return PLATFORM.get();
  }

  private static IdentityHashMap<Thread, AttemptImpl> tableOf(Thread t) {
    return VIRTUAL[(int) t.threadId() & (STRIPES - 1)];
  }
}
