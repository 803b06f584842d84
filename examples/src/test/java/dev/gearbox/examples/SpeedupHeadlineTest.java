package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A speedup over one thread in an example's headline, and what it says when the machine could not have done it. */
class SpeedupHeadlineTest {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  @Test
  void aSpeedupWithinTheCores_isPrintedAsItIs() {
    assertThat(Example.overOneThread(CORES * 0.8)).isEqualTo(String.format(java.util.Locale.ROOT, "%.2fx over 1 thread", CORES * 0.8));
    assertThat(Example.overOneThread(CORES * 1.04)).doesNotContain("noise"); // within the bench's 5% of timing noise
  }

  @Test
  void aSpeedupAboveTheCores_saysItIsTimingNoise() {
    assertThat(Example.overOneThread(CORES * 1.1))
        .startsWith(String.format(java.util.Locale.ROOT, "%.2fx over 1 thread", CORES * 1.1))
        .contains("more than " + CORES + " cores can do").contains("noise");
  }
}
