package dev.gearbox.spi;

import java.io.IOException;

/** A payload over a {@link Codec}'s limit; the message names the configuration key that sets the limit. */
public final class PayloadTooLargeException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * @param size the payload's size in bytes
   * @param max the limit in bytes
   * @param key the configuration key that sets {@code max}
   */
  public PayloadTooLargeException(long size, long max, String key) {
    super("payload of " + size + " bytes exceeds " + key + " (" + max + " bytes); raise " + key
        + " or send less (a task captures everything its lambda refers to)");
  }
}
