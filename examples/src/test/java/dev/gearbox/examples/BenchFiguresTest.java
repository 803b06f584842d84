package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How the bench reports its CPU figures: each round's baseline (its fastest CPU), capacity and
 * bound; per-round speedups, their median and range; faults; and how Python's per-round times are
 * read into the same arithmetic.
 */
class BenchFiguresTest {
  private static final List<String> CPUS = List.of("CPU 0", "CPU 1");
  /** CPU 0 fast (0.40 s) and CPU 1 slow (0.52 s) in each of three rounds. */
  private static final Baseline STEADY = Baseline.pinned(CPUS, new double[][] {{0.40, 0.39, 0.41}, {0.52, 0.51, 0.53}});
  /**
   * The slow CPU switches: CPU 1 is the slow one in round 1, CPU 0 in rounds 2 and 3. A median per
   * CPU (0.64 s and 0.41 s) would call CPU 1 the fastest in every round, take 0.64 s as its baseline
   * in round 1 and give one capacity of 1.64 for all three.
   */
  private static final Baseline SWITCHING = Baseline.pinned(CPUS, new double[][] {{0.40, 0.70, 0.64}, {0.64, 0.40, 0.41}});
  private static final Baseline UNPINNED = Baseline.unpinned(new double[] {0.45, 0.40, 0.52}, "no Linux /proc/thread-self");

  @Test
  void eachRoundsBaseline_isThatRoundsFastestCpu_evenWhenTheSlowCpuSwitches() {
    assertThat(SWITCHING.perRound()).containsExactly(0.40, 0.40, 0.41);
    assertThat(SWITCHING.fastest(0)).isZero();
    assertThat(SWITCHING.fastest(1)).isEqualTo(1);
    assertThat(SWITCHING.fastest(2)).isEqualTo(1);
    assertThat(SWITCHING.fastestText()).isEqualTo("CPU 0 in 1 round, CPU 1 in 2");
    assertThat(SWITCHING.whereText()).isEqualTo("the fastest CPU of each round");
    assertThat(STEADY.perRound()).containsExactly(0.40, 0.39, 0.41);
    assertThat(STEADY.fastestText()).isEqualTo("CPU 0 in 3 rounds");
    // Equal times: the first CPU.
    assertThat(Baseline.pinned(CPUS, new double[][] {{0.5}, {0.5}}).fastest(0)).isZero();
  }

  @Test
  void eachRoundsCapacity_isTheSumOverCpusOfThatRoundsFastestTimeOverEachCpusTime() {
    assertThat(SWITCHING.capacities()).containsExactly(new double[] {1 + 0.40 / 0.64, 1 + 0.40 / 0.70, 1 + 0.41 / 0.64},
        within(1e-12));
    assertThat(STEADY.capacities()).containsExactly(new double[] {1 + 0.40 / 0.52, 1 + 0.39 / 0.51, 1 + 0.41 / 0.53},
        within(1e-12));
    assertThat(Baseline.capacity(new double[] {0.40, 0.52})).isCloseTo(1 + 0.40 / 0.52, within(1e-12));
    assertThat(Baseline.capacity(new double[] {0.52, 0.40})).isCloseTo(1 + 0.40 / 0.52, within(1e-12));
    assertThat(Baseline.capacity(new double[] {0.5, 0.5})).isEqualTo(2.0);
    assertThat(Baseline.capacity(new double[] {0.3, 0.6, 0.3, 0.9})).isCloseTo(1 + 0.5 + 1 + 1.0 / 3, within(1e-12));
    assertThatThrownBy(() -> Baseline.capacity(new double[] {0.4, 0})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> Baseline.capacity(new double[0])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLevelsSpeedupInARound_isOverThatRoundsBaseline() {
    double[] level = {0.25, 0.25, 0.25};
    double[] s = SWITCHING.speedups(level);
    assertThat(s).containsExactly(new double[] {0.40 / 0.25, 0.40 / 0.25, 0.41 / 0.25}, within(1e-12));
    BenchCommand.Row row = new BenchCommand.Row("Python ProcessPoolExecutor(2)", 0.25, s, 1, 2, SWITCHING);
    assertThat(row.cpuSpeedup()).isCloseTo(1.60, within(1e-12));
    assertThat(row.cpuLow()).isCloseTo(1.60, within(1e-12));
    assertThat(row.cpuHigh()).isCloseTo(1.64, within(1e-12));
    assertThat(row.cpuFault()).isFalse();
    assertThat(BenchCommand.cpuCell(row)).isEqualTo("1.60x [1.60-1.64]");
    // Over the per-CPU medians instead, round 1's baseline would be CPU 1's 0.64 s: 2.56x, above any bound.
    assertThat(0.64 / level[0]).isGreaterThan(SWITCHING.bounds()[0]);
  }

  @Test
  void aSpeedupIsAFault_whenItExceedsItsOwnRoundsBound_notAnotherRounds() {
    // Round 1: capacity 1.625, bound 1.71; round 2: 1.571, bound 1.65; round 3: 1.641, bound 1.72.
    assertThat(SWITCHING.bounds()).containsExactly(new double[] {1.625 * 1.05, (1 + 0.4 / 0.7) * 1.05,
        (1 + 0.41 / 0.64) * 1.05}, within(1e-12));
    // 1.70 in round 1 is within its bound (1.71) though above round 2's (1.65); 1.64 in round 2 is within 1.65.
    double[] within = SWITCHING.speedups(new double[] {0.40 / 1.70, 0.40 / 1.64, 0.41 / 1.60});
    assertThat(SWITCHING.faultRound(within)).isEqualTo(-1);
    assertThat(new BenchCommand.Row("gearbox thread", 0.24, within, 1, 2, SWITCHING).cpuFault()).isFalse();
    // The same 1.70 in round 2 is a fault: that round's capacity is lower.
    double[] fault = SWITCHING.speedups(new double[] {0.40 / 1.60, 0.40 / 1.70, 0.41 / 1.60});
    assertThat(SWITCHING.faultRound(fault)).isEqualTo(1);
    BenchCommand.Row row = new BenchCommand.Row("gearbox thread", 0.24, fault, 1, 2, SWITCHING);
    assertThat(row.cpuFault()).isTrue();
    assertThat(BenchCommand.cpuCell(row)).isEqualTo("fault: 1.70x > 1.65 in round 2 (capacity +5%)");
    // With two faulty rounds, the cell names the one furthest above its bound.
    double[] twoFaults = SWITCHING.speedups(new double[] {0.40 / 1.75, 0.40 / 1.70, 0.41 / 1.60});
    assertThat(SWITCHING.faultRound(twoFaults)).isEqualTo(1);
    // The range alone would not tell: a round above the lowest bound may be fine in its own round.
    assertThat(BenchCommand.cpuCell(new BenchCommand.Row("gearbox async", 0.24, within, 1, 2, SWITCHING)))
        .isEqualTo("1.64x [1.60-1.70]");
  }

  @Test
  void twoEqualCpus_neverLetASpeedupAboveOnePerCpuPass() {
    Baseline equal = Baseline.pinned(CPUS, new double[][] {{0.4, 0.5}, {0.4, 0.5}});
    assertThat(equal.capacities()).containsExactly(2.0, 2.0);
    assertThat(equal.bounds()).containsExactly(2.0, 2.0);
    double[] s = equal.speedups(new double[] {0.2, 0.5 / 2.04});
    assertThat(equal.faultRound(s)).isEqualTo(1);
    assertThat(BenchCommand.cpuCell(new BenchCommand.Row("gearbox async", 0.2, s, 1, 2, equal)))
        .isEqualTo("fault: 2.04x > 2.00 in round 2 (one per CPU)");
  }

  @Test
  void aBaseline_needsATimeOnEachCpuInEachRound() {
    assertThatThrownBy(() -> Baseline.pinned(List.of("CPU 0"), new double[][] {{0.4}})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least two");
    assertThatThrownBy(() -> Baseline.pinned(CPUS, new double[][] {{0.4, 0.4}, {0.5}})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CPU 1 has 1");
    assertThatThrownBy(() -> Baseline.pinned(CPUS, new double[][] {{0.4}, {Double.NaN}})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> STEADY.speedups(new double[] {0.2, 0.2})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 rounds");
  }

  @Test
  void anUnpinnedBaseline_fallsBackToTheCoreCount_andSaysWhy() {
    assertThat(UNPINNED.isPinned()).isFalse();
    assertThat(UNPINNED.perRound()).containsExactly(0.45, 0.40, 0.52);
    assertThat(UNPINNED.capacities()).containsOnly(BenchCommand.CORES);
    assertThat(UNPINNED.bounds()).containsOnly(BenchCommand.CORES);
    assertThat(UNPINNED.boundText(0)).isEqualTo(BenchCommand.CORES + " cores");
    assertThat(UNPINNED.whereText()).isEqualTo("unpinned");
    double tooMuch = BenchCommand.CORES + 0.39;
    BenchCommand.Row faulty = new BenchCommand.Row("Python ProcessPoolExecutor(2)", 0.2,
        UNPINNED.speedups(new double[] {0.45 / tooMuch, 0.40 / 1.8, 0.52 / 1.9}), 1, 2, UNPINNED);
    assertThat(faulty.cpuFault()).isTrue();
    assertThat(BenchCommand.cpuCell(faulty)).startsWith("fault: ").endsWith("> " + BenchCommand.CORES + " cores");
    String table = BenchCommand.baselineTable(Map.of("Java", UNPINNED));
    assertThat(cells(table, "Java")).containsExactly("Java", "0.450 s [0.400-0.520]", "-", "-", BenchCommand.CORES + " cores");
    assertThat(table).contains("| unpinned").contains("Java's one thread ran unpinned (no Linux /proc/thread-self)")
        .doesNotContain("timed pinned");
  }

  @Test
  void theBaselineTable_statesEachCpusTimes_whichWasFastest_andThePerRoundCapacity_perLanguage() {
    String table = BenchCommand.baselineTable(withPython(SWITCHING, UNPINNED));
    assertThat(table).contains("| one thread").contains("| CPU 0").contains("| CPU 1").contains("| unpinned")
        .contains("| fastest").contains("| capacity").contains("| fault above").contains("Python's one thread ran unpinned")
        .contains("Which CPU is slow can change from one round to the next")
        .contains("above its round's capacity by more than 5%, or above one per CPU, is a measurement fault");
    // Each side's row has its own times in its own columns, "-" where it has none.
    assertThat(cells(table, "Java")).containsExactly("Java", "0.640 s [0.400-0.700]", "0.410 s [0.400-0.640]", "-",
        "CPU 0 in 1 round, CPU 1 in 2", "1.63 [1.57-1.64]", "1.71 [1.65-1.72]");
    assertThat(cells(table, "Python")).containsExactly("Python", "-", "-", "0.450 s [0.400-0.520]", "-", "-",
        BenchCommand.CORES + " cores");
  }

  @Test
  void pythonsPerRoundTimes_areReadIntoTheSameArithmetic() {
    String printed = String.join("\n",
        "version\tpython\t3.11.7",
        "pin\tpinned\t-",
        "base\tCPU 0\t0.400000,0.700000,0.640000",
        "base\tCPU 1\t0.640000,0.400000,0.410000",
        "cpu\tThreadPoolExecutor(6)\t0.420000,0.410000,0.430000",
        "cpu\tProcessPoolExecutor(2)\t0.250000,0.235294,0.256250",
        "io\tone thread\t2.000000",
        "io\tThreadPoolExecutor(6)\t0.400000",
        "io\tProcessPoolExecutor(2)\t1.000000",
        "io\tasyncio\t0.020000",
        "something else entirely") + "\n";
    StringWriter ignored = new StringWriter();
    BenchCommand.PythonFigures p = BenchCommand.readPython(printed, new PrintWriter(ignored, true));
    assertThat(ignored.toString()).contains("ignored: something else entirely");
    assertThat(p.version()).isEqualTo("3.11.7");
    assertThat(p.baseline().isPinned()).isTrue();
    assertThat(p.baseline().perRound()).containsExactly(0.40, 0.40, 0.41);
    assertThat(p.rows()).extracting(BenchCommand.Row::level).containsExactly("Python one thread (the fastest CPU of each round)",
        "Python ThreadPoolExecutor(6)", "Python ProcessPoolExecutor(2)", "Python asyncio");
    BenchCommand.Row one = p.rows().get(0);
    assertThat(one.cpuSeconds()).isEqualTo(0.40);
    assertThat(one.cpuSpeedups()).containsExactly(1.0, 1.0, 1.0);
    assertThat(one.ioSpeedup()).isEqualTo(1.0);
    BenchCommand.Row pool = p.rows().get(2);
    assertThat(pool.cpuSpeedups()).containsExactly(new double[] {1.60, 0.40 / 0.235294, 0.41 / 0.25625}, within(1e-9));
    assertThat(pool.cpuFault()).as("1.70 in round 2 is above that round's 1.65").isTrue();
    assertThat(BenchCommand.cpuCell(pool)).isEqualTo("fault: 1.70x > 1.65 in round 2 (capacity +5%)");
    assertThat(pool.ioSpeedup()).isEqualTo(2.0);
    BenchCommand.Row asyncio = p.rows().get(3);
    assertThat(asyncio.cpuSpeedups()).isEmpty();
    assertThat(BenchCommand.cpuCell(asyncio)).isEqualTo("-");
    assertThat(asyncio.ioSpeedup()).isCloseTo(100.0, within(1e-9));
    // Unpinned: one series, bounded by the cores.
    BenchCommand.PythonFigures unpinned = BenchCommand.readPython("pin\tunpinned\t--no-pin\nbase\tunpinned\t0.4,0.5\n"
        + "cpu\tProcessPoolExecutor(2)\t0.2,0.25\n", new PrintWriter(new StringWriter()));
    assertThat(unpinned.baseline().unpinnedWhy()).isEqualTo("--no-pin");
    assertThat(unpinned.rows().get(1).cpuSpeedups()).containsExactly(2.0, 2.0);
    // Nothing to go on, or rounds that do not match up: the bench says so instead of a figure.
    assertThatThrownBy(() -> BenchCommand.readPython("io\tasyncio\t0.02\n", new PrintWriter(new StringWriter())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no one-thread baseline");
    assertThatThrownBy(() -> BenchCommand.readPython("pin\tpinned\t-\nbase\tCPU 0\t0.4,0.4\nbase\tCPU 1\t0.4,0.4\n"
        + "cpu\tProcessPoolExecutor(2)\t0.2\n", new PrintWriter(new StringWriter())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 rounds");
  }

  @Test
  void aMalformedOrRepeatedPythonMeasurement_makesTheFiguresUnusable_insteadOfBeingSkipped() {
    String pinned = "pin\tpinned\t-\nbase\tCPU 0\t0.4,0.4\nbase\tCPU 1\t0.5,0.5\n";
    java.util.Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put(pinned + "cpu\tProcessPoolExecutor(2)\t,\n", "not a time");
    bad.put(pinned + "cpu\tProcessPoolExecutor(2)\t0.2,\n", "not a time");
    bad.put(pinned + "base\tCPU 1\t0.5,0.5\n", "two baselines for CPU 1");
    bad.put(pinned + "cpu\tX\t0.2,0.2\ncpu\tX\t0.3,0.3\n", "two CPU figures for X");
    bad.put(pinned + "io\tone thread\t0\n", "not a time");
    bad.put(pinned + "io\tone thread\t-1\n", "not a time");
    bad.put(pinned + "base\tCPU 2\n", "three tab-separated fields");
    bad.put("base\tCPU 0\t0.4,0.4\nbase\tCPU 1\t0.5,0.5\n", "did not say where");
    bad.put("pin\tunpinned\t--no-pin\nbase\tCPU 0\t0.4,0.4\nbase\tCPU 1\t0.5,0.5\n", "labelled 'unpinned'");
    bad.forEach((printed, why) -> assertThatThrownBy(() -> BenchCommand.readPython(printed, new PrintWriter(new StringWriter())))
        .as(printed).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(why));
  }

  @Test
  void aRangeIsPrintedOnlyWhereTheValuesDiffer() {
    assertThat(BenchCommand.medianAndRange(new double[] {1.0, 1.5, 0.9}, "%.2f", "x")).isEqualTo("1.00x [0.90-1.50]");
    assertThat(BenchCommand.medianAndRange(new double[] {2.0, 2.0}, "%.2f", "")).isEqualTo("2.00");
    assertThat(BenchCommand.medianAndRange(new double[] {0.5, 0.4, 0.6, 0.7}, "%.3f", " s")).isEqualTo("0.550 s [0.400-0.700]");
  }

  private static Map<String, Baseline> withPython(Baseline java, Baseline python) {
    Map<String, Baseline> sides = new LinkedHashMap<>();
    sides.put("Java", java);
    sides.put("Python", python);
    return sides;
  }

  private static List<String> cells(String table, String side) {
    String line = table.lines().filter(l -> l.startsWith("| " + side + " ")).findFirst().orElseThrow();
    return java.util.Arrays.stream(line.split("\\|")).map(String::strip).filter(c -> !c.isEmpty()).toList();
  }
}
