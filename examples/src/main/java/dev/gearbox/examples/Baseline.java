package dev.gearbox.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One language's one-thread CPU baseline in the bench, round by round, and the bound a real speedup
 * over it stays within in each round.
 *
 * <p>The CPUs of a machine need not run at the same speed, and on the virtual machines this was
 * built on, which one is slow is not fixed either: Python's one-thread loop ran up to 1.76x slower
 * on one vCPU than on the other, on CPU 0 in some runs and on CPU 1 in others, for seconds to
 * minutes at a time. A baseline timed wherever the scheduler puts it measures the CPU it landed on
 * (on the slow one a two-CPU speedup reads up to 2.3x, on the fast one it is capped near 1.8x); a
 * median per CPU over the rounds mixes the states the CPUs went through. So, where the thread can
 * be pinned, the bench times one thread on each CPU in every round and takes each round on its own:
 * the round's baseline is its fastest CPU's time, the round's capacity (the most that all the CPUs
 * together can do in units of that fastest one) is the sum over CPUs of (the round's fastest time /
 * that CPU's time in the round), e.g. 1 + 0.40 / 0.52 = 1.77 rather than 2, and a level's speedup
 * in the round is the round's baseline over the level's time in it. Where the thread cannot be
 * pinned, the baseline of a round is its one unpinned time and the bound is the core count, as the
 * bench had it before.
 *
 * <p>Immutable; the arrays it takes and returns are copies.
 */
final class Baseline {
  /**
   * How far above a round's capacity a speedup in that round may read before it is a fault. A
   * round's speedup divides the round's baseline time by the level's, and the pinned one-thread
   * time of one CPU spreads by about ±3% from round to round while the CPU keeps its speed
   * (0.390–0.411 s on a fast vCPU, 0.507–0.532 s on a slow one); 5% is above that noise and well
   * below the 0.2–0.5x that a baseline on the slow CPU added.
   */
  static final double TOLERANCE = 0.05;

  private final List<String> where;
  private final double[][] seconds;
  private final String unpinnedWhy;

  private Baseline(List<String> where, double[][] seconds, String unpinnedWhy) {
    this.where = List.copyOf(where);
    this.unpinnedWhy = unpinnedWhy;
    if (where.size() != seconds.length || seconds.length == 0) {
      throw new IllegalArgumentException("a baseline needs a time per round for each of " + where + ", got "
          + seconds.length + " series");
    }
    if (unpinnedWhy == null && where.size() < 2) {
      throw new IllegalArgumentException("a pinned baseline needs times on each CPU, at least two: " + where);
    }
    if (unpinnedWhy != null && where.size() != 1) {
      throw new IllegalArgumentException("an unpinned baseline has one series of times: " + where);
    }
    this.seconds = new double[seconds.length][];
    for (int i = 0; i < seconds.length; i++) {
      this.seconds[i] = seconds[i].clone();
      if (seconds[i].length == 0 || seconds[i].length != seconds[0].length) {
        throw new IllegalArgumentException("every CPU needs a time in each round, and at least one round: "
            + where.get(i) + " has " + seconds[i].length + ", " + where.getFirst() + " " + seconds[0].length);
      }
      for (double t : seconds[i]) {
        checkTime(t);
      }
    }
  }

  /**
   * A baseline timed on each CPU in every round.
   *
   * @param cpus "CPU 0", "CPU 1"... in order
   * @param secondsPerCpu {@code secondsPerCpu[i][r]}: the one-thread time on {@code cpus.get(i)} in round r
   * @throws IllegalArgumentException if fewer than two CPUs, the rounds differ between CPUs, or a
   *     time is not positive and finite
   */
  static Baseline pinned(List<String> cpus, double[][] secondsPerCpu) {
    return new Baseline(cpus, secondsPerCpu, null);
  }

  /** A baseline timed unpinned, once a round, because of {@code why}. */
  static Baseline unpinned(double[] secondsPerRound, String why) {
    return new Baseline(List.of("unpinned"), new double[][] {secondsPerRound}, Objects.requireNonNull(why, "why"));
  }

  /** {@link #pinned}, or, with {@code unpinnedWhy}, {@link #unpinned} on the one series of times. */
  static Baseline of(List<String> where, double[][] seconds, String unpinnedWhy) {
    return unpinnedWhy == null ? pinned(where, seconds) : unpinned(seconds[0], unpinnedWhy);
  }

  boolean isPinned() {
    return unpinnedWhy == null;
  }

  /** Why the baseline is unpinned; null when it is pinned. */
  String unpinnedWhy() {
    return unpinnedWhy;
  }

  /** Where each series of times ran: "CPU 0", "CPU 1"... or "unpinned". */
  List<String> where() {
    return where;
  }

  int rounds() {
    return seconds[0].length;
  }

  /** The one-thread times of {@code where().get(i)}, one per round. */
  double[] seconds(int i) {
    return seconds[i].clone();
  }

  /** Each round's baseline: its fastest CPU's time (unpinned: its one time). */
  double[] perRound() {
    double[] b = new double[rounds()];
    for (int r = 0; r < b.length; r++) {
      b[r] = seconds[fastest(r)][r];
    }
    return b;
  }

  /** Which CPU (index into {@link #where()}) was the fastest in round r: the lowest time, the first of equals. */
  int fastest(int r) {
    int f = 0;
    for (int i = 1; i < seconds.length; i++) {
      if (seconds[i][r] < seconds[f][r]) {
        f = i;
      }
    }
    return f;
  }

  /** Each round's capacity in units of its fastest CPU; the core count in every round when unpinned. */
  double[] capacities() {
    double[] c = new double[rounds()];
    for (int r = 0; r < c.length; r++) {
      if (isPinned()) {
        double[] round = new double[seconds.length];
        for (int i = 0; i < round.length; i++) {
          round[i] = seconds[i][r];
        }
        c[r] = capacity(round);
      } else {
        c[r] = BenchCommand.CORES;
      }
    }
    return c;
  }

  /** One round's capacity: the sum over CPUs of (fastest time / that CPU's time), 2 for two equal CPUs, 1.77 for 0.40 s and 0.52 s. */
  static double capacity(double[] perCpuSeconds) {
    if (perCpuSeconds.length == 0) {
      throw new IllegalArgumentException("no CPU times");
    }
    double fastest = Double.POSITIVE_INFINITY;
    for (double t : perCpuSeconds) {
      checkTime(t);
      fastest = Math.min(fastest, t);
    }
    double sum = 0;
    for (double t : perCpuSeconds) {
      sum += fastest / t;
    }
    return sum;
  }

  /**
   * Each round's bound: a speedup in the round above it is a measurement fault. Pinned, the round's
   * capacity with {@link #TOLERANCE}, never more than one per CPU; unpinned, the core count.
   */
  double[] bounds() {
    double[] b = capacities();
    for (int r = 0; r < b.length; r++) {
      b[r] = isPinned() ? Math.min(where.size(), b[r] * (1 + TOLERANCE)) : BenchCommand.CORES;
    }
    return b;
  }

  /**
   * A level's speedup in each round: the round's baseline time over the level's.
   *
   * @throws IllegalArgumentException if {@code levelSeconds} has not one positive time per round
   */
  double[] speedups(double[] levelSeconds) {
    if (levelSeconds.length != rounds()) {
      throw new IllegalArgumentException("a level needs a time in each of the " + rounds() + " rounds, got "
          + levelSeconds.length);
    }
    double[] base = perRound();
    double[] s = new double[base.length];
    for (int r = 0; r < s.length; r++) {
      checkTime(levelSeconds[r]);
      s[r] = base[r] / levelSeconds[r];
    }
    return s;
  }

  /**
   * The round whose speedup lies furthest above that round's bound (by ratio), or -1 if every
   * round's speedup is within its bound.
   */
  int faultRound(double[] speedups) {
    double[] bound = bounds();
    int worst = -1;
    for (int r = 0; r < Math.min(bound.length, speedups.length); r++) {
      if (speedups[r] > bound[r] && (worst < 0 || speedups[r] / bound[r] > speedups[worst] / bound[worst])) {
        worst = r;
      }
    }
    return worst;
  }

  /**
   * Round r's bound and where it comes from, for a fault's cell: "1.86 in round 2 (capacity +5%)",
   * "2.00 in round 2 (one per CPU)" where that is lower, or "2 cores" where unpinned.
   */
  String boundText(int r) {
    if (!isPinned()) {
      return BenchCommand.CORES + " cores";
    }
    double withTolerance = capacities()[r] * (1 + TOLERANCE);
    return withTolerance <= where.size()
        ? String.format(Locale.ROOT, "%.2f in round %d (capacity +%.0f%%)", withTolerance, r + 1, TOLERANCE * 100)
        : String.format(Locale.ROOT, "%.2f in round %d (one per CPU)", (double) where.size(), r + 1);
  }

  /** Where the baseline ran, for its row's label: "the fastest CPU of each round" or "unpinned". */
  String whereText() {
    return isPinned() ? "the fastest CPU of each round" : "unpinned";
  }

  /** How often each CPU was a round's fastest, for the baseline table: "CPU 0 in 2 rounds, CPU 1 in 3"; "-" unpinned. */
  String fastestText() {
    if (!isPinned()) {
      return "-";
    }
    int[] count = new int[where.size()];
    for (int r = 0; r < rounds(); r++) {
      count[fastest(r)]++;
    }
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < count.length; i++) {
      if (count[i] > 0) {
        parts.add(where.get(i) + (parts.isEmpty() ? " in " + count[i] + (count[i] == 1 ? " round" : " rounds") : " in " + count[i]));
      }
    }
    return String.join(", ", parts);
  }

  private static void checkTime(double t) {
    if (!(t > 0) || Double.isInfinite(t)) {
      throw new IllegalArgumentException("a time must be positive and finite: " + t);
    }
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(isPinned() ? "pinned" : "unpinned (" + unpinnedWhy + ")");
    for (int i = 0; i < where.size(); i++) {
      s.append(' ').append(where.get(i)).append(Arrays.toString(seconds[i]));
    }
    return s.toString();
  }
}
