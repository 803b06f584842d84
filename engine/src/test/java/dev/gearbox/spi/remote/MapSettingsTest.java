package dev.gearbox.spi.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.EngineConfigException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MapSettingsTest {
  private final MapSettings settings = new MapSettings("member", 2, Duration.ofSeconds(1), Map.of(
      "a.size", "64k", "a.int", "10_000", "a.bool", "YES", "a.duration", "1.5s", "a.days", "2d", "a.bad", "12x"));

  @Test
  void typedGetters_parseAsAnEngineDoes_andFallBackToTheDefault() {
    assertThat(settings.getSize("a.size", 0)).isEqualTo(64 * 1024);
    assertThat(settings.getInt("a.int", 0, 0, 100_000)).isEqualTo(10_000);
    assertThat(settings.getBoolean("a.bool", false)).isTrue();
    assertThat(settings.getDuration("a.duration", Duration.ZERO)).isEqualTo(Duration.ofMillis(1500));
    assertThat(settings.getDuration("a.days", Duration.ZERO)).isEqualTo(Duration.ofDays(2));
    assertThat(settings.getSize("missing", 7)).isEqualTo(7);
    assertThat(settings.get("missing")).isEmpty();
    assertThat(settings.metricName("x")).isEqualTo("gearbox.member.x");
  }

  @Test
  void badValues_nameTheKeyTheValueAndWhatIsExpected() {
    assertThatThrownBy(() -> settings.getInt("a.int", 0, 0, 10)).isInstanceOf(EngineConfigException.class)
        .hasMessage("a.int=10_000 is not valid: expected a whole number from 0 to 10");
    assertThatThrownBy(() -> settings.getInt("a.bad", 0, 0, 10)).hasMessageContaining("a whole number from 0 to 10");
    assertThatThrownBy(() -> settings.getBoolean("a.bad", false)).hasMessageContaining("a.bad=12x").hasMessageContaining("true or false");
    assertThatThrownBy(() -> settings.getDuration("a.bad", Duration.ZERO)).hasMessageContaining("250ms");
  }

  @Test
  void sizes_takeBytesOrSuffixes_andBadOnesNameTheKey() {
    assertThat(MapSettings.parseSize("k", "512")).isEqualTo(512);
    assertThat(MapSettings.parseSize("k", " 256M ")).isEqualTo(256L * 1024 * 1024);
    assertThat(MapSettings.parseSize("k", "2g")).isEqualTo(2L * 1024 * 1024 * 1024);
    for (String bad : new String[] {"", "m", "-1k", "12x", "99999999999g"}) {
      assertThatThrownBy(() -> MapSettings.parseSize("gearbox.process.heap", bad)).as(bad)
          .isInstanceOf(EngineConfigException.class)
          .hasMessageContaining("gearbox.process.heap=" + bad).hasMessageContaining("256m");
    }
  }
}
