package dev.gearbox;

import static java.util.Objects.requireNonNull;

/**
 * Every operation on a poisoned {@link Channel} fails with this exception, whose
 * {@linkplain #getCause() cause} is the {@code Throwable} given to {@link Channel#poison}: the
 * parties blocked on the channel when it was poisoned and every later one alike. Each party gets
 * its own instance, made in its own thread.
 */
public final class ChannelPoisonedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String channel;

  /** Made by the channel for each party that meets the poison. */
  public ChannelPoisonedException(String channel, Throwable cause) {
    super("channel '" + channel + "' was poisoned: " + requireNonNull(cause, "cause"), cause);
    this.channel = channel;
  }

  /** The poisoned channel's name. */
  public String channel() {
    return channel;
  }
}
