package dev.gearbox.examples;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One language's one-thread CPU baseline in the bench, and the bound a real speedup over it stays
 * within.
 *
 * <p>The CPUs of a machine need not run at the same speed (on the virtual machines this was built
 * on, one vCPU takes a third longer than the other for the same work). A baseline timed wherever
 * the scheduler puts it then measures the CPU it landed on: on the slow one a two-CPU speedup reads
 * up to 2.3x, on the fast one it is capped near 1.8x. So, where the thread can be pinned, the bench
 * times one thread on each CPU: the fastest CPU's time is the baseline, and the machine's capacity,
 * the most that all its CPUs together can do in units of the fastest one, is the sum over CPUs of
 * (fastest time / that CPU's time), e.g. 1 + 0.40 / 0.52 = 1.77 rather than 2. Where it cannot, the
 * baseline is one unpinned time and the bound is the core count, as the bench had it before.
 *
 * @param times the median time and range of each CPU (or the one unpinned time), in order
 * @param unpinnedWhy null if {@code times} are per pinned CPU; else why the baseline is unpinned
 */
record Baseline(List<CpuTime> times, String unpinnedWhy) {
  /**
   * How far above the capacity a speedup may read before it is a fault. A speedup divides a round's
   * baseline time by the level's, and the pinned one-thread time of one CPU spreads by about ±3%
   * from round to round on a quiet machine (0.390–0.411 s on the fast vCPU, 0.507–0.532 s on the
   * slow one); 5% is above that noise and well below the 0.2–0.5x that a baseline on the slow CPU
   * added.
   */
  static final double TOLERANCE = 0.05;

  /**
   * One CPU's one-thread time: the median of the rounds and their range.
   *
   * @param where "CPU 0", or "unpinned"
   */
  record CpuTime(String where, double median, double low, double high) {
    CpuTime {
      Objects.requireNonNull(where, "where");
    }
  }

  Baseline {
    times = List.copyOf(times);
    if (times.isEmpty()) {
      throw new IllegalArgumentException("a baseline needs at least one time");
    }
    if (unpinnedWhy == null && times.size() < 2) {
      throw new IllegalArgumentException("a pinned baseline needs a time per CPU, at least two: " + times);
    }
  }

  static Baseline pinned(List<CpuTime> perCpu) {
    return new Baseline(perCpu, null);
  }

  static Baseline unpinned(CpuTime time, String why) {
    return new Baseline(List.of(time), Objects.requireNonNull(why, "why"));
  }

  /** {@link #pinned} on the times per CPU, or, with {@code unpinnedWhy}, {@link #unpinned} on the one unpinned time. */
  static Baseline of(List<CpuTime> perCpu, String unpinnedWhy) {
    return unpinnedWhy == null ? pinned(perCpu) : unpinned(perCpu.getFirst(), unpinnedWhy);
  }

  boolean isPinned() {
    return unpinnedWhy == null;
  }

  /** Which of {@link #times} is the baseline: the lowest median (the first of equals). */
  int fastest() {
    int f = 0;
    for (int i = 1; i < times.size(); i++) {
      if (times.get(i).median() < times.get(f).median()) {
        f = i;
      }
    }
    return f;
  }

  /** The machine's capacity in fastest-CPU units when pinned; the core count when not. */
  double capacity() {
    if (!isPinned()) {
      return BenchCommand.CORES;
    }
    return capacity(times.stream().mapToDouble(CpuTime::median).toArray());
  }

  /** The sum over CPUs of (fastest time / that CPU's time): 2 for two equal CPUs, 1.77 for 0.40 s and 0.52 s. */
  static double capacity(double[] perCpuSeconds) {
    if (perCpuSeconds.length == 0) {
      throw new IllegalArgumentException("no CPU times");
    }
    double fastest = Double.POSITIVE_INFINITY;
    for (double t : perCpuSeconds) {
      if (!(t > 0) || Double.isInfinite(t)) {
        throw new IllegalArgumentException("a CPU time must be positive and finite: " + t);
      }
      fastest = Math.min(fastest, t);
    }
    double sum = 0;
    for (double t : perCpuSeconds) {
      sum += fastest / t;
    }
    return sum;
  }

  /**
   * A speedup above this is a measurement fault: the capacity with {@link #TOLERANCE}, never more
   * than one per CPU; unpinned, the core count.
   */
  double faultBound() {
    return isPinned() ? Math.min(times.size(), capacity() * (1 + TOLERANCE)) : BenchCommand.CORES;
  }

  /**
   * The fault bound and where it comes from, for a table cell: "1.86 (capacity +5%)", "2.00 (one
   * per CPU)" where that is lower, or "2 cores" where unpinned.
   */
  String boundText() {
    if (!isPinned()) {
      return BenchCommand.CORES + " cores";
    }
    double withTolerance = capacity() * (1 + TOLERANCE);
    return withTolerance <= times.size()
        ? String.format(Locale.ROOT, "%.2f (capacity +%.0f%%)", withTolerance, TOLERANCE * 100)
        : String.format(Locale.ROOT, "%.2f (one per CPU)", (double) times.size());
  }

  /** Where the baseline ran, for its row's label: "CPU 0, the fastest" or "unpinned". */
  String whereText() {
    return isPinned() ? times.get(fastest()).where() + ", the fastest" : "unpinned";
  }
}
