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

  long count() {
    return count.getCount();
  }
}
