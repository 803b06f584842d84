package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the bench reports its CPU figures: per-round speedups, their median and range, and faults. */
class BenchFiguresTest {
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
  void aSpeedupAboveTheCores_isReportedAsAFault_notAsAResult() {
    double tooMuch = BenchCommand.CORES + 0.39;
    BenchCommand.Row faulty = new BenchCommand.Row("Python ProcessPoolExecutor(2)", 0.4, tooMuch, tooMuch, tooMuch, 1, 2);
    assertThat(faulty.cpuFault()).isTrue();
    assertThat(BenchCommand.cpuCell(faulty)).startsWith("fault: ").contains("> " + BenchCommand.CORES + " cores");
    BenchCommand.Row oneRoundTooMuch = new BenchCommand.Row("gearbox thread", 0.6, 1.0, 0.9, tooMuch, 1, 2);
    assertThat(oneRoundTooMuch.cpuFault()).isTrue();
    BenchCommand.Row fine = new BenchCommand.Row("gearbox thread", 0.6, 0.9 * BenchCommand.CORES, 0.8, BenchCommand.CORES, 1, 2);
    assertThat(fine.cpuFault()).isFalse();
    assertThat(BenchCommand.cpuCell(fine)).matches("\\d+\\.\\d\\dx \\[0\\.80-\\d+\\.00\\]");
  }
}
