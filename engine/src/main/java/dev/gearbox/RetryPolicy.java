package dev.gearbox;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.Predicate;

/**
 * When and how often the engine runs a failed task again. Immutable and thread-safe.
 *
 * <p>An attempt that fails with an exception accepted by {@link #shouldRetry(Throwable)} is run
 * again after {@link #delayBefore(int)}, until {@link #maxAttempts()} attempts have run; the
 * future then fails with the last attempt's exception. Timeouts
 * ({@link TaskTimeoutException}) and infrastructure failures ({@link EngineException}, such as
 * a crashed worker) are retryable like any other exception unless the predicate says otherwise.
 * Cancellation and quarantined tasks ({@link PoisonTaskException}) are never retried.
 *
 * <p>The delay grows exponentially: {@code initialBackoff * multiplier^(n-1)} before the
 * (n+1)-th attempt, capped at {@code maxBackoff}.
 */
public final class RetryPolicy {

  private static final RetryPolicy NONE =
      new RetryPolicy(1, Duration.ZERO, 1.0, Duration.ZERO, t -> false);

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final double multiplier;
  private final Duration maxBackoff;
  private final Predicate<Throwable> retryable;

  private RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier,
      Duration maxBackoff, Predicate<Throwable> retryable) {
    this.maxAttempts = maxAttempts;
    this.initialBackoff = initialBackoff;
    this.multiplier = multiplier;
    this.maxBackoff = maxBackoff;
    this.retryable = retryable;
  }

  /** A policy that never retries: one attempt. */
  public static RetryPolicy none() {
    return NONE;
  }

  /**
   * Retries any failure up to {@code retries} more times with a 100 ms backoff doubling to 10 s.
   *
   * @throws IllegalArgumentException if {@code retries} is negative
   */
  public static RetryPolicy retries(int retries) {
    return newBuilder().maxAttempts(retries + 1).build();
  }

  /** A builder starting from: 3 attempts, 100 ms initial backoff, multiplier 2, cap 10 s. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Total attempts, including the first; 1 means no retry. The engine runs at most 16,777,215
   * attempts of one task, whatever this says.
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Whether an attempt that failed with {@code failure} may be retried (attempts permitting). */
  public boolean shouldRetry(Throwable failure) {
    if (failure instanceof CancellationException || failure instanceof PoisonTaskException) {
      return false;
    }
    return retryable.test(failure);
  }

  /**
   * The pause before attempt {@code attempt} (2 for the first retry).
   *
   * @throws IllegalArgumentException if {@code attempt < 2}
   */
  public Duration delayBefore(int attempt) {
    checkArgument(attempt >= 2, "attempt must be >= 2 for a retry delay, got %s", attempt);
    double nanos = initialBackoff.toNanos() * Math.pow(multiplier, attempt - 2.0);
    long capped = (long) Math.min(nanos, (double) maxBackoff.toNanos());
    return Duration.ofNanos(capped);
  }

  /** The same policy with another attempt budget (used when a batched map input is retried alone). */
  RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(attempts, initialBackoff, multiplier, maxBackoff, retryable);
  }

  @Override
  public String toString() {
    return maxAttempts == 1
        ? "RetryPolicy[none]"
        : "RetryPolicy[maxAttempts=" + maxAttempts + ", backoff=" + initialBackoff + " x"
            + multiplier + " up to " + maxBackoff + "]";
  }

  /** Builds a {@link RetryPolicy}; each setter validates its argument at once. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration initialBackoff = Duration.ofMillis(100);
    private double multiplier = 2.0;
    private Duration maxBackoff = Duration.ofSeconds(10);
    private Predicate<Throwable> retryable = t -> true;

    private Builder() {}

    /**
     * Total attempts including the first; at least 1. The engine runs at most 16,777,215 attempts
     * of one task, so a larger value (a policy meant to retry for ever) stops there.
     */
    public Builder maxAttempts(int maxAttempts) {
      checkArgument(maxAttempts >= 1, "maxAttempts must be >= 1, got %s", maxAttempts);
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Exponential backoff: the first retry waits {@code initial}, each later one
     * {@code multiplier} times longer, never more than {@code max}.
     */
    public Builder backoff(Duration initial, double multiplier, Duration max) {
      requireNonNull(initial, "initial");
      requireNonNull(max, "max");
      checkArgument(!initial.isNegative(), "initial backoff must not be negative, got %s", initial);
      checkArgument(multiplier >= 1.0, "backoff multiplier must be >= 1.0, got %s", multiplier);
      checkArgument(max.compareTo(initial) >= 0, "max backoff %s is below initial backoff %s", max, initial);
      this.initialBackoff = initial;
      this.multiplier = multiplier;
      this.maxBackoff = max;
      return this;
    }

    /** Retries only failures that are instances of one of {@code types}. */
    @SafeVarargs
    public final Builder retryOn(Class<? extends Throwable>... types) {
      List<Class<? extends Throwable>> list = new java.util.ArrayList<>();
      for (Class<? extends Throwable> type : types) {
        list.add(requireNonNull(type, "a type in types"));
      }
      checkArgument(!list.isEmpty(), "retryOn needs at least one exception type");
      this.retryable = t -> list.stream().anyMatch(c -> c.isInstance(t));
      return this;
    }

    /** Retries only failures accepted by {@code predicate} (runs in the caller's JVM). */
    public Builder retryIf(Predicate<Throwable> predicate) {
      this.retryable = requireNonNull(predicate, "predicate");
      return this;
    }

    public RetryPolicy build() {
      return new RetryPolicy(maxAttempts, initialBackoff, multiplier, maxBackoff, retryable);
    }
  }
}
