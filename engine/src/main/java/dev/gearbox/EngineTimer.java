package dev.gearbox;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Timer;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A Dropwizard {@link Timer} that the engine updates once or twice per task at a cost of a few
 * nanoseconds: the count is exact (every duration counts), the rates catch up with the count
 * when read or when a sample is taken, and the distribution ({@link #getSnapshot()}) takes at
 * most one duration per {@link #SAMPLE_GAP_NANOS} on the engine's hot path ({@link #record}).
 *
 * <p>Why: a plain {@code Timer.update} marks a meter (four adders and a clock read) and updates
 * an exponentially decaying reservoir (a clock read, an exponential and a sorted-map insertion),
 * together about 0.1 µs uncontended (more when threads update one reservoir at once), which a
 * trivial task pays twice. The snapshot was a sample already (the
 * reservoir keeps 1,028 durations, weighted to the last five minutes); a duration goes into it
 * unless another was taken less than 100 µs before, so durations that end further apart all go
 * in, and those of a faster stream are taken at most one per 100 µs, spread evenly in time. Every duration given through the {@code Timer} API ({@link #update}, {@link #time()})
 * goes into the distribution.
 *
 * <p>Thread-safety: thread-safe. The count is a {@link LongAdder}; the meter is caught up under
 * this object's monitor; {@code lastSampleNanos} is a racy hint (two threads may both sample).
 */
final class EngineTimer extends Timer {
  /**
   * The least time between two durations sampled on the hot path: at most 10,000 samples a second
   * (a sample, contended by two threads, cost about 0.5 µs; at 10 µs apart, trivial tasks on two threads spent a tenth of
   * their time sampling).
   */
  static final long SAMPLE_GAP_NANOS = 100_000L;

  private final Meter meter;
  private final Histogram histogram;
  private final LongAdder count = new LongAdder();
  /** Of {@link #count}, how many the meter has been marked with. Guarded by this. */
  private long marked;
  /** When the last hot-path sample was taken ({@link System#nanoTime()}); racy by design. */
  private volatile long lastSampleNanos;

  EngineTimer() {
    this(new Meter(), new Histogram(LockFreeExponentiallyDecayingReservoir.builder().build()));
  }

  private EngineTimer(Meter meter, Histogram histogram) {
    super(meter, histogram, com.codahale.metrics.Clock.defaultClock());
    this.meter = meter;
    this.histogram = histogram;
    this.lastSampleNanos = System.nanoTime() - SAMPLE_GAP_NANOS;
  }

  /**
   * The engine's update: counts {@code nanos}, and samples it unless another duration was
   * sampled less than {@link #SAMPLE_GAP_NANOS} before {@code now}.
   *
   * @param nanos the duration
   * @param now {@link System#nanoTime()} as the duration ended, which the caller read anyway
   */
  void record(long nanos, long now) {
    count.increment();
    if (now - lastSampleNanos >= SAMPLE_GAP_NANOS) {
      lastSampleNanos = now;
      histogram.update(Math.max(0L, nanos));
      catchUp();
    }
  }

  /** Marks the meter with what was counted since it was last marked. */
  private synchronized void catchUp() {
    long n = count.sum() - marked;
    if (n > 0) {
      marked += n;
      meter.mark(n);
    }
  }

  @Override
  public void update(long duration, TimeUnit unit) {
    if (duration >= 0) {
      count.increment();
      histogram.update(unit.toNanos(duration));
      catchUp();
    }
  }

  @Override
  public void update(Duration duration) {
    update(duration.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public <T> T time(Callable<T> event) throws Exception {
    long start = System.nanoTime();
    try {
      return event.call();
    } finally {
      update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public <T> T timeSupplier(Supplier<T> event) {
    long start = System.nanoTime();
    try {
      return event.get();
    } finally {
      update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void time(Runnable event) {
    long start = System.nanoTime();
    try {
      event.run();
    } finally {
      update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public long getCount() {
    return count.sum();
  }

  @Override
  public double getFifteenMinuteRate() {
    catchUp();
    return super.getFifteenMinuteRate();
  }

  @Override
  public double getFiveMinuteRate() {
    catchUp();
    return super.getFiveMinuteRate();
  }

  @Override
  public double getMeanRate() {
    catchUp();
    return super.getMeanRate();
  }

  @Override
  public double getOneMinuteRate() {
    catchUp();
    return super.getOneMinuteRate();
  }
}
