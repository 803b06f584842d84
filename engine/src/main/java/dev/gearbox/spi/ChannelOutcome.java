package dev.gearbox.spi;

import dev.gearbox.Channel;
import dev.gearbox.ChannelClosedException;
import dev.gearbox.ChannelPoisonedException;

/**
 * How one case of a channel operation ended, decided under the channel's lock (in the JVM that
 * owns the channel), and reported to the party that performed it, in that JVM or, through a
 * {@link ChannelRoute}, in a worker's. The exceptions a
 * failed case reports are made by {@link #failure} in the thread that reports them, so that their
 * stack traces show the caller's code rather than the thread that closed or poisoned the channel.
 *
 * @param index  the case that ended: its position among the operation's cases
 * @param kind   what happened
 * @param value  the element received, for {@link Kind#RECEIVED}
 * @param poison the cause given to {@link Channel#poison}, for {@link Kind#POISONED}
 */
public record ChannelOutcome(int index, Kind kind, Object value, Throwable poison) {

  /** What happened to the case. */
  public enum Kind {
    /** A receive took {@link #value()}. */
    RECEIVED,
    /** A send handed its element to a receiver or to the buffer. */
    SENT,
    /** A receive found the channel closed and drained. */
    ENDED,
    /** A send found the channel closed. */
    SEND_REFUSED,
    /** The channel was poisoned. */
    POISONED
  }

  public static ChannelOutcome received(int index, Object value) {
    return new ChannelOutcome(index, Kind.RECEIVED, value, null);
  }

  public static ChannelOutcome sent(int index) {
    return new ChannelOutcome(index, Kind.SENT, null, null);
  }

  public static ChannelOutcome ended(int index) {
    return new ChannelOutcome(index, Kind.ENDED, null, null);
  }

  public static ChannelOutcome sendRefused(int index) {
    return new ChannelOutcome(index, Kind.SEND_REFUSED, null, null);
  }

  public static ChannelOutcome poisoned(int index, Throwable cause) {
    return new ChannelOutcome(index, Kind.POISONED, null, cause);
  }

  /** The exception a failed case throws: {@link ChannelClosedException} or {@link ChannelPoisonedException}. */
  public RuntimeException failure(String channel) {
    return switch (kind) {
      case ENDED -> new ChannelClosedException("channel '" + channel + "' is closed and drained: nothing more to receive");
      case SEND_REFUSED -> new ChannelClosedException("channel '" + channel + "' is closed: send refused");
      case POISONED -> new ChannelPoisonedException(channel, poison);
      case RECEIVED, SENT -> throw new IllegalStateException("outcome " + kind + " of channel '" + channel + "' is not a failure");
    };
  }
}
