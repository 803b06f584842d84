package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  @Test
  void aDrawnBar_showsDoneTotalRateAndEta_andEndsItsLineOnce() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar("job", new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
    bar.update(5, 10);
    bar.onProgress(new MapProgress(10, 10, Duration.ofSeconds(1), 10, true));
    bar.finish();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("job").contains("5/10").contains("10/10").contains("#".repeat(30));
    assertThat(out.chars().filter(c -> c == '\n').count()).as("lines ended").isEqualTo(1);
    assertThat(out).endsWith(System.lineSeparator());
  }

  @Test
  void anUnknownTotal_showsTheCountAlone() {
    ProgressBar bar = new ProgressBar("job", System.err, false);
    bar.update(7, -1);
    assertThat(bar.line(System.nanoTime())).contains(" 7 ").doesNotContain("eta").doesNotContain("/-1");
  }

  @Test
  void withoutATerminal_nothingIsPrinted() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar("job", new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
    bar.update(1, 2);
    bar.finish();
    assertThat(bytes.size()).isZero();
    assertThat(ProgressBar.terminal("under a test runner").isDrawn()).isFalse();
  }

  @Test
  void theEta_isTheRestAtTheRateSoFar() {
    MapProgress p = new MapProgress(25, 100, Duration.ofSeconds(5), 5.0, false);
    assertThat(p.eta()).contains(Duration.ofSeconds(15));
    assertThat(p.fraction()).contains(0.25);
    assertThat(new MapProgress(3, -1, Duration.ofSeconds(1), 3, false).eta()).isEmpty();
  }
}
