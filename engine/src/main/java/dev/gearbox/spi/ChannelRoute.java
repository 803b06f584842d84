package dev.gearbox.spi;

/**
 * The way from a channel handle in a JVM that does not own the channel (a worker process) back to
 * the JVM that does, where every operation is performed on the channel's buffer. A worker's
 * runtime makes one per task and tells {@link ChannelHost#routeHandles} which one applies while
 * that task's bytes are decoded; each channel handle decoded then keeps that route. Not
 * application API.
 *
 * <p>Implementations keep the channel contract of {@link dev.gearbox.Channel}: a call blocks as the
 * local operation would, an interrupt withdraws it (and if a counterpart completed it first, the
 * call returns that outcome with the interrupt status set), and a received element is the
 * caller's once the call returns, never before.
 */
public interface ChannelRoute {
  /** Wait for ever; see {@link #select}. */
  long FOREVER = -1;
  /** Do not wait; see {@link #select}. */
  long NO_WAIT = 0;

  /**
   * Performs exactly one of {@code cases} (sends and receives), trying them from {@code start}.
   *
   * @param timeoutNanos {@link #FOREVER}, {@link #NO_WAIT}, or how long to wait at most
   * @return how the performed case ended (a received value decoded in this JVM), or null if none
   *     was ready ({@link #NO_WAIT}) or the timeout passed
   * @throws InterruptedException if interrupted before a case was performed
   * @throws IllegalStateException if the channel cannot be reached (the task has ended, the
   *     engine is gone, the channel is unknown there); the message says which
   */
  ChannelOutcome select(ChannelCase[] cases, int start, long timeoutNanos) throws InterruptedException;

  /** {@link dev.gearbox.Channel#close()} on the owning JVM's buffer. */
  void close(String channelId, String channelName);

  /** {@link dev.gearbox.Channel#poison} on the owning JVM's buffer. */
  void poison(String channelId, String channelName, Throwable cause);

  /** {@link dev.gearbox.Channel#isClosed()} of the owning JVM's buffer. */
  boolean isClosed(String channelId, String channelName);
}
