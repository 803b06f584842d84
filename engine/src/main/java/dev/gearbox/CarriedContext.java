package dev.gearbox;

import java.io.Serializable;

/**
 * A context captured by a {@link ContextCarrier} in the submitting thread. The engine calls
 * {@link #restore()} in the thread that runs each attempt, just before the task, and closes what it
 * returns just after, in that same thread. On the {@code async} backend an {@link AsyncTask}'s
 * context is restored around its {@code call} (where the stage is made), not around the stage's
 * later callbacks.
 *
 * <p>Serializable because it travels with the task to worker processes and cluster members;
 * immutable, because one captured context may be restored by several attempts (retries).
 */
@FunctionalInterface
public interface CarriedContext extends Serializable {

  /**
   * Installs this context in the current thread.
   *
   * @return what puts the thread's previous context back; called once, in the same thread
   */
  Restoration restore();

  /** Undoes a {@link CarriedContext#restore()}. */
  @FunctionalInterface
  interface Restoration extends AutoCloseable {
    /** Puts back what the thread had before; throws nothing. */
    @Override
    void close();
  }
}
