package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envelopes refused for failing authentication, for being replayed or too old: counted, and
 * logged at WARN, but only the 1st, 2nd, 4th, 8th... of them, so that a peer sending forgeries
 * in a loop cannot flood the log. The count is a metric on the engine
 * ({@code cluster.envelopes-refused}); a member keeps its own.
 *
 * <p>Thread-safe.
 */
final class Refusals {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);

  private final Counter count;

  Refusals(Counter count) {
    this.count = count;
  }

  /** Counts a refusal and logs {@code why} if its number is a power of two. */
  void refused(String why) {
    count.inc();
    long n = count.getCount();
    if (Long.bitCount(n) == 1) {
      log.warn("Gearbox: {} ({} refused so far; the next ones are logged at powers of two)", why, n);
    }
  }

  /**
   * Text from an unauthenticated peer as messages may show it: control characters replaced, at
   * most 500 characters, so it can neither fake log lines nor flood them.
   */
  static String clean(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), 501));
    for (int i = 0; i < s.length() && b.length() < 500; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return s.length() > 500 ? b + "..." : b.toString();
  }

  long count() {
    return count.getCount();
  }
}
