package dev.gearbox;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker states of this JVM, one per engine whose tasks run here: each made once, by the
 * engine's {@link WorkerInitializer}, the first time it is asked for (at open on the in-process
 * levels, before a process worker says it is ready, at the first task elsewhere). A failure is
 * kept too, so the initializer is not run again in this JVM and every later request fails the same way.
 *
 * <p>Thread-safe. Callers for one engine wait while its initializer runs; other engines do not.
 * An engine's entry is dropped when the engine terminates in this JVM; in a process worker it
 * lives as long as the worker, and on a cluster member as long as the member.
 */
final class WorkerStates {
  private static final ConcurrentHashMap<String, Slot> STATES = new ConcurrentHashMap<>();

  private WorkerStates() {}

  /** One engine's state here: guarded by its own monitor while it is made. */
  private static final class Slot {
    private boolean made;
    private Object state;
    private WorkerInitializerException failure;
  }

  /**
   * The state of engine {@code key} in this JVM, made now by {@code initializer} if it was not yet.
   *
   * @throws WorkerInitializerException if the initializer threw, now or before, in this JVM
   */
  static Object stateFor(String key, WorkerInitializer initializer) {
    Slot slot = STATES.computeIfAbsent(key, k -> new Slot());
    synchronized (slot) {
      if (!slot.made) {
        try {
          slot.state = initializer.initialize();
        } catch (Throwable t) {
          WorkerInitializerException failure = new WorkerInitializerException("the worker initializer "
              + describe(initializer) + " failed in JVM " + ProcessHandle.current().pid() + ": " + t, t);
          if (t instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
            // Stopped from outside (the task that made it was cancelled or timed out), not failed:
            // the next task here tries again instead of failing for the life of this JVM.
            if (t instanceof InterruptedException) {
              Thread.currentThread().interrupt();
            }
            throw failure;
          }
          slot.failure = failure;
          if (t instanceof VirtualMachineError e && !(t instanceof StackOverflowError)) {
            slot.made = true;
            throw e;
          }
        }
        slot.made = true;
      }
      if (slot.failure != null) {
        throw slot.failure;
      }
      return slot.state;
    }
  }

  /** Forgets engine {@code key}'s state in this JVM (the engine has terminated). */
  static void forget(String key) {
    STATES.remove(key);
  }

  /** The initializer as messages name it: its class, or for a lambda the class that wrote it. */
  static String describe(WorkerInitializer initializer) {
    String cls = initializer.getClass().getName();
    int lambda = cls.indexOf("$$Lambda");
    return lambda < 0 ? cls : "(a lambda in " + cls.substring(0, lambda) + ")";
  }
}
