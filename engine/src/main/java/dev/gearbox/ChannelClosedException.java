package dev.gearbox;

/**
 * A send on a closed {@link Channel}, or a receive from a closed channel that has nothing left to
 * deliver. The message names the channel. Unchecked, like {@link IllegalStateException} (which it
 * is): for a receiver it marks the normal end of the stream, which iteration turns into the end
 * of the loop.
 */
public final class ChannelClosedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** Made by the channel; the message names the channel and what was refused. */
  public ChannelClosedException(String message) {
    super(message);
  }
}
