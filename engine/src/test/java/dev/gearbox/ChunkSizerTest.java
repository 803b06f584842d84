package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChunkSizerTest {
  private static final long TARGET = 200_000_000L; // 200 ms

  @Test
  void adaptive_growsAtMostTwofoldPerObservationTowardsTheTarget() {
    ChunkSizer s = ChunkSizer.adaptive(TARGET);
    assertThat(s.next()).isEqualTo(1);
    s.record(1, 1_000_000L); // 1 ms per input: ideal is 200
    assertThat(s.next()).isEqualTo(2);
    for (int i = 0; i < 20; i++) {
      s.record(s.next(), s.next() * 1_000_000L);
    }
    assertThat(s.next()).isEqualTo(200);
  }

  @Test
  void adaptive_shrinksAtOnceWhenInputsGetSlower() {
    ChunkSizer s = ChunkSizer.adaptive(TARGET);
    for (int i = 0; i < 30; i++) {
      s.record(s.next(), s.next() * 10_000L); // 10 us per input
    }
    assertThat(s.next()).isEqualTo(ChunkSizer.MAX_CHUNK);
    s.record(s.next(), s.next() * 100_000_000L); // suddenly 100 ms per input
    assertThat(s.next()).isLessThan(10);
  }

  @Test
  void fixed_neverChanges() {
    ChunkSizer s = ChunkSizer.fixed(7);
    s.record(7, 1);
    assertThat(s.next()).isEqualTo(7);
  }
}
