package dev.gearbox;

/** What {@code submit} does when the engine's queue is at {@code gearbox.queue.capacity}. */
public enum QueueFullPolicy {
  /**
   * The submitting thread waits for space (backpressure). A task that submits to its own engine
   * from an in-process worker thread is rejected instead of waiting, because waiting there could
   * deadlock the pool.
   */
  BLOCK,
  /** {@code submit} throws {@link java.util.concurrent.RejectedExecutionException}. */
  REJECT
}
