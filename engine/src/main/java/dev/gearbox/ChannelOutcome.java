package dev.gearbox;

/**
 * How one case of a channel operation ended, decided under the channel's lock. The exceptions a
 * failed case reports are made by {@link #failure} in the thread that reports them, so that their
 * stack traces show the caller's code rather than the thread that closed or poisoned the channel.
 *
 * @param index  the case that ended ({@link ChannelOp#index()})
 * @param kind   what happened
 * @param value  the element received, for {@link Kind#RECEIVED}
 * @param poison the cause given to {@link Channel#poison}, for {@link Kind#POISONED}
 */
record ChannelOutcome(int index, Kind kind, Object value, Throwable poison) {

  enum Kind {
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

  static ChannelOutcome received(int index, Object value) {
    return new ChannelOutcome(index, Kind.RECEIVED, value, null);
  }

  static ChannelOutcome sent(int index) {
    return new ChannelOutcome(index, Kind.SENT, null, null);
  }

  static ChannelOutcome ended(int index) {
    return new ChannelOutcome(index, Kind.ENDED, null, null);
  }

  static ChannelOutcome sendRefused(int index) {
    return new ChannelOutcome(index, Kind.SEND_REFUSED, null, null);
  }

  static ChannelOutcome poisoned(int index, Throwable cause) {
    return new ChannelOutcome(index, Kind.POISONED, null, cause);
  }

  /** The exception a failed case throws: {@link ChannelClosedException} or {@link ChannelPoisonedException}. */
  RuntimeException failure(String channel) {
    return switch (kind) {
      case ENDED -> new ChannelClosedException("channel '" + channel + "' is closed and drained: nothing more to receive");
      case SEND_REFUSED -> new ChannelClosedException("channel '" + channel + "' is closed: send refused");
      case POISONED -> new ChannelPoisonedException(channel, poison);
      case RECEIVED, SENT -> throw new IllegalStateException("outcome " + kind + " of channel '" + channel + "' is not a failure");
    };
  }
}
