package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import org.junit.jupiter.api.Test;

/**
 * Configuration errors: an unknown key in the backend's namespace fails at open naming the key,
 * and an unknown backend fails listing the available ones.
 */
public interface ConfigurationContract extends ContractFixture {

  @Test
  default void config_unknownKeyInTheBackendsNamespace_failsAtOpenNamingIt() {
    Engine probe = open();
    String key = "gearbox." + probe.backendName() + ".no-such-setting";
    assertThatThrownBy(() -> open(b -> b.option(key, "1")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining(key)
        .hasMessageContaining("Known keys");
  }

  @Test
  default void config_unknownBackend_failsListingTheAvailableOnes() {
    Engine probe = open();
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("warp-drive").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("warp-drive")
        .hasMessageContaining(probe.backendName())
        .hasMessageContaining("direct");
  }
}
