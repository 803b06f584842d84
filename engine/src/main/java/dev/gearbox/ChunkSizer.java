package dev.gearbox;

/**
 * Chooses how many map inputs go into one job. Fixed when the user or configuration says so;
 * otherwise adaptive (in the spirit of joblib's auto batching): start with one input per job,
 * measure the run time per input from completed jobs (a moving average), and aim each job at
 * the target run time, so per-job overhead is amortised without starving workers of jobs.
 * Growth is at most 2x per observation, so one fast outlier cannot produce a huge batch;
 * shrinking is immediate. Used by one consumer thread only.
 */
final class ChunkSizer {
  static final int MAX_CHUNK = 10_000;

  private final boolean adaptive;
  private final long targetNanos;
  private int size;
  private double perInputNanos = -1;

  private ChunkSizer(boolean adaptive, int size, long targetNanos) {
    this.adaptive = adaptive;
    this.size = size;
    this.targetNanos = targetNanos;
  }

  static ChunkSizer fixed(int size) {
    return new ChunkSizer(false, size, 0);
  }

  static ChunkSizer adaptive(long targetNanos) {
    return new ChunkSizer(true, 1, targetNanos);
  }

  boolean isAdaptive() {
    return adaptive;
  }

  int next() {
    return size;
  }

  /** A job of {@code inputs} inputs ran for {@code runNanos}. */
  void record(int inputs, long runNanos) {
    if (!adaptive || inputs <= 0 || runNanos <= 0) {
      return;
    }
    double observed = (double) runNanos / inputs;
    perInputNanos = perInputNanos < 0 ? observed : 0.7 * perInputNanos + 0.3 * observed;
    long ideal = (long) (targetNanos / Math.max(perInputNanos, 1.0));
    size = (int) Math.max(1, Math.min(MAX_CHUNK, Math.min(ideal, 2L * size)));
  }
}
