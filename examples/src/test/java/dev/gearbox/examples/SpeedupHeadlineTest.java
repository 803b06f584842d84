package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A speedup over one thread in an example's headline, and what it says when the figure would mean nothing. */
class SpeedupHeadlineTest {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  @Test
  void aSpeedupWithinTheCores_isPrintedAsItIs() {
    assertThat(Example.overOneThread(1.6, 2.0)).isEqualTo("0.80x over 1 thread");
    assertThat(Example.overOneThread(CORES * 1.04, 1.0)).doesNotContain("noise"); // within the bench's 5% of timing noise
  }

  @Test
  void aSpeedupAboveTheCores_saysItIsTimingNoise() {
    assertThat(Example.overOneThread(CORES * 1.1, 1.0))
        .startsWith(String.format(java.util.Locale.ROOT, "%.2fx over 1 thread", CORES * 1.1))
        .contains("more than " + CORES + " cores can do").contains("noise");
  }

  @Test
  void aRunTooShortToTime_saysSoInsteadOfARatio() {
    assertThat(Example.overOneThread(0.024, 0.1)).isEqualTo("too short to time (0.02 s of work)");
    assertThat(Example.overOneThread(Example.MIN_TIMED_SECONDS, 0.2)).endsWith("x over 1 thread");
  }
}
