package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.core.Hazelcast;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.testkit.ContractTasks;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code gearbox.cluster.max-payload} is read like every remote backend's {@code max-payload}: a
 * value out of range fails at open with the key named, before any Hazelcast instance starts,
 * instead of being clamped to something else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MaxPayloadConfigTest {
  private static final String KEY = "gearbox.cluster.max-payload";

  private static EngineConfig.Builder cluster() {
    return EngineConfig.newBuilder().backend("cluster").workers(1);
  }

  /** 3g and 2047m are above the largest payload a Java array and its envelope can hold; 512 is below 1k. */
  @ParameterizedTest
  @ValueSource(strings = {"3g", "2047m", "512", "1023"})
  void outOfRange_failsAtOpenNamingTheKey_andStartsNothing(String value) {
    int instances = Hazelcast.getAllHazelcastInstances().size();
    assertThatThrownBy(() -> Engine.open(cluster().option(KEY, value).build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining(KEY + "=" + value)
        .hasMessageContaining("from 1k to 2046m")
        .satisfies(e -> assertThat(((EngineConfigException) e).key()).isEqualTo(KEY));
    assertThat(Hazelcast.getAllHazelcastInstances()).hasSize(instances);
  }

  @Test
  void outOfRange_failsAWorkerMemberTooNamingTheKey() {
    assertThatThrownBy(() -> WorkerMember.start("--max-payload=3g"))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining(KEY + "=3g")
        .satisfies(e -> assertThat(((EngineConfigException) e).key()).isEqualTo(KEY));
  }

  @Test
  void theLargestValue_opensAndRunsTasks() throws Exception {
    try (Engine engine = Engine.open(cluster().option(KEY, "2046m").build())) {
      assertThat(engine.submit(ContractTasks.value(7)).get(20, TimeUnit.SECONDS)).isEqualTo(7);
    }
  }
}
