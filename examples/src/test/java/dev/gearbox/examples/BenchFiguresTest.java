package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the bench reports its CPU figures: per-round speedups, their median and range, the baseline's bound, and faults. */
class BenchFiguresTest {
  private static final Baseline TWO_CPUS = Baseline.pinned(List.of(new Baseline.CpuTime("CPU 0", 0.40, 0.39, 0.41),
      new Baseline.CpuTime("CPU 1", 0.52, 0.51, 0.53)));
  private static final Baseline UNPINNED = Baseline.unpinned(new Baseline.CpuTime("unpinned", 0.45, 0.40, 0.52),
      "no Linux /proc/thread-self");

  @Test
  void aSpeedupIsTheMedianOfThePerRoundRatios_withTheirRange() {
    double[] baseline = {1.0, 1.5, 0.9};
    double[] level = {0.5, 1.0, 0.5};
    double[] s = BenchCommand.speedups(baseline, level);
    assertThat(s).containsExactly(2.0, 1.5, 1.8);
    assertThat(BenchCommand.median(s)).isEqualTo(1.8);
    assertThat(BenchCommand.min(s)).isEqualTo(1.5);
    assertThat(BenchCommand.max(s)).isEqualTo(2.0);
  }

  @Test
  void capacity_isTheSumOverCpusOfTheFastestTimeOverEachCpusTime() {
    assertThat(Baseline.capacity(new double[] {0.40, 0.52})).isCloseTo(1 + 0.40 / 0.52, within(1e-12));
    assertThat(Baseline.capacity(new double[] {0.52, 0.40})).isCloseTo(1 + 0.40 / 0.52, within(1e-12));
    assertThat(Baseline.capacity(new double[] {0.5, 0.5})).isEqualTo(2.0);
    assertThat(Baseline.capacity(new double[] {0.3, 0.6, 0.3, 0.9})).isCloseTo(1 + 0.5 + 1 + 1.0 / 3, within(1e-12));
    assertThatThrownBy(() -> Baseline.capacity(new double[] {0.4, 0})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> Baseline.capacity(new double[0])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPinnedBaseline_isTheFastestCpu_andBoundsSpeedupsByTheCapacityWithItsTolerance() {
    assertThat(TWO_CPUS.isPinned()).isTrue();
    assertThat(TWO_CPUS.fastest()).isZero();
    assertThat(TWO_CPUS.whereText()).isEqualTo("CPU 0, the fastest");
    assertThat(TWO_CPUS.capacity()).isCloseTo(1.769, within(0.001));
    assertThat(TWO_CPUS.faultBound()).isCloseTo(1.769 * (1 + Baseline.TOLERANCE), within(0.001));
    assertThat(TWO_CPUS.boundText()).isEqualTo("1.86 (capacity +5%)");
    Baseline slowFirst = Baseline.pinned(List.of(new Baseline.CpuTime("CPU 0", 0.52, 0.51, 0.53),
        new Baseline.CpuTime("CPU 1", 0.40, 0.39, 0.41)));
    assertThat(slowFirst.fastest()).isEqualTo(1);
    assertThat(slowFirst.whereText()).isEqualTo("CPU 1, the fastest");
    // Two equal CPUs: the tolerance never lets a speedup above one per CPU pass.
    Baseline equal = Baseline.pinned(List.of(new Baseline.CpuTime("CPU 0", 0.4, 0.4, 0.4), new Baseline.CpuTime("CPU 1", 0.4,
        0.4, 0.4)));
    assertThat(equal.faultBound()).isEqualTo(2.0);
    assertThat(equal.boundText()).isEqualTo("2.00 (one per CPU)");
    assertThatThrownBy(() -> Baseline.pinned(List.of(new Baseline.CpuTime("CPU 0", 0.4, 0.4, 0.4))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least two");
  }

  @Test
  void anUnpinnedBaseline_fallsBackToTheCoreCount_andSaysWhy() {
    assertThat(UNPINNED.isPinned()).isFalse();
    assertThat(UNPINNED.capacity()).isEqualTo(BenchCommand.CORES);
    assertThat(UNPINNED.faultBound()).isEqualTo(BenchCommand.CORES);
    assertThat(UNPINNED.boundText()).isEqualTo(BenchCommand.CORES + " cores");
    assertThat(UNPINNED.whereText()).isEqualTo("unpinned");
    String table = BenchCommand.baselineTable(Map.of("Java", UNPINNED));
    assertThat(cells(table, "Java")).containsExactly("Java", "0.450 s [0.400-0.520]", "-", BenchCommand.CORES + " cores");
    assertThat(table).contains("| unpinned").contains("Java's one thread ran unpinned (no Linux /proc/thread-self)")
        .doesNotContain("timed pinned");
  }

  @Test
  void theBaselineTable_statesEachCpusTimeAndTheCapacity_perLanguage() {
    String table = BenchCommand.baselineTable(withPython(TWO_CPUS, UNPINNED));
    assertThat(table).contains("| one thread").contains("| CPU 0").contains("| CPU 1").contains("| unpinned")
        .contains("| capacity").contains("| fault above").contains("Python's one thread ran unpinned")
        .contains("by more than 5%, or above one per CPU, in any round, is a measurement fault");
    // Each side's row has its own times in its own columns, "-" where it has none.
    assertThat(cells(table, "Java")).containsExactly("Java", "0.400 s [0.390-0.410]", "0.520 s [0.510-0.530]", "-", "1.77",
        "1.86 (capacity +5%)");
    assertThat(cells(table, "Python")).containsExactly("Python", "-", "-", "0.450 s [0.400-0.520]", "-",
        BenchCommand.CORES + " cores");
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

  @Test
  void aSpeedupAboveTheCapacity_isReportedAsAFault_notAsAResult() {
    double aboveCapacity = 1.90; // > 1.77 * 1.05, < 2 cores: a fault only because CPU 1 is slower
    BenchCommand.Row faulty = new BenchCommand.Row("Python ProcessPoolExecutor(2)", 0.21, aboveCapacity, 1.85, aboveCapacity,
        1, 2, TWO_CPUS);
    assertThat(faulty.cpuFault()).isTrue();
    assertThat(BenchCommand.cpuCell(faulty)).isEqualTo("fault: 1.90x > 1.86 (capacity +5%)");
    BenchCommand.Row withinTolerance = new BenchCommand.Row("gearbox thread", 0.23, 1.80, 1.75, 1.85, 1, 2, TWO_CPUS);
    assertThat(withinTolerance.cpuFault()).isFalse();
    assertThat(BenchCommand.cpuCell(withinTolerance)).isEqualTo("1.80x [1.75-1.85]");
    BenchCommand.Row oneRoundTooMuch = new BenchCommand.Row("gearbox thread", 0.6, 1.0, 0.9, aboveCapacity, 1, 2, TWO_CPUS);
    assertThat(oneRoundTooMuch.cpuFault()).isTrue();
  }

  @Test
  void unpinned_aSpeedupAboveTheCores_isTheFault_asBefore() {
    double tooMuch = BenchCommand.CORES + 0.39;
    BenchCommand.Row faulty = new BenchCommand.Row("Python ProcessPoolExecutor(2)", 0.4, tooMuch, tooMuch, tooMuch, 1, 2,
        UNPINNED);
    assertThat(faulty.cpuFault()).isTrue();
    assertThat(BenchCommand.cpuCell(faulty)).startsWith("fault: ").endsWith("> " + BenchCommand.CORES + " cores");
    BenchCommand.Row fine = new BenchCommand.Row("gearbox thread", 0.6, 0.9 * BenchCommand.CORES, 0.8, BenchCommand.CORES, 1, 2,
        UNPINNED);
    assertThat(fine.cpuFault()).isFalse();
    assertThat(BenchCommand.cpuCell(fine)).matches("\\d+\\.\\d\\dx \\[0\\.80-\\d+\\.00\\]");
  }
}
