package dev.gearbox;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How far one {@code map} or {@code mapUnordered} call has got, as its {@link MapProgressListener}
 * sees it. Immutable.
 *
 * @param done          inputs whose jobs have ended (succeeded or failed)
 * @param total         how many inputs there are, or -1 when unknown (an input that is neither a
 *                      {@code Collection} nor a sized stream, and no {@link MapOptions.Builder#total} given)
 * @param elapsed       time since the map call started
 * @param ratePerSecond inputs done per second since the start
 * @param finished      whether this is the last report (the map reached its end, failed, or was closed)
 */
public record MapProgress(long done, long total, Duration elapsed, double ratePerSecond, boolean finished) {

  /** The total, if known. */
  public OptionalLong knownTotal() {
    return total < 0 ? OptionalLong.empty() : OptionalLong.of(total);
  }

  /** The fraction done (0..1), if the total is known. */
  public Optional<Double> fraction() {
    return total < 0 ? Optional.empty() : Optional.of(total == 0 ? 1.0 : Math.min(1.0, (double) done / total));
  }

  /** The time left at the rate so far, if the total is known and anything is done yet. */
  public Optional<Duration> eta() {
    if (total < 0 || ratePerSecond <= 0) {
      return Optional.empty();
    }
    long left = Math.max(0, total - done);
    return Optional.of(Duration.ofNanos((long) (left / ratePerSecond * 1e9)));
  }
}
