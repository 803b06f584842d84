package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.Task;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The workers' heap: bounded by default, from {@code max-payload}, and big enough to carry a payload at that limit. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessHeapTest {
  private static final long MB = 1L << 20;

  private static Engine open(String... options) {
    EngineConfig.Builder b = EngineConfig.newBuilder().backend("process").workers(1).name("heap-" + System.nanoTime());
    for (int i = 0; i < options.length; i += 2) {
      b.option(options[i], options[i + 1]);
    }
    return Engine.open(b.build());
  }

  private static Task<Long> maxMemory() {
    return () -> Runtime.getRuntime().maxMemory();
  }

  private static Task<byte[]> bytes(int n) {
    return () -> new byte[n];
  }

  private static Task<Integer> lengthOf(byte[] data) {
    return () -> data.length;
  }

  @Test
  void theDefaultHeap_isSixTimesMaxPayload_atLeast256m() {
    assertThat(ProcessConfig.defaultHeap(64 << 20)).isEqualTo(384 * MB);
    assertThat(ProcessConfig.defaultHeap(1 << 20)).isEqualTo(256 * MB);
    assertThat(ProcessConfig.defaultHeap(2047 << 20)).isEqualTo(6 * 2047 * MB);
  }

  @Test
  void unset_workersGetTheDefaultHeap() throws Exception {
    try (Engine e = open()) {
      // The JVM reports -Xmx less one survivor space.
      assertThat(e.submit(maxMemory()).get(60, TimeUnit.SECONDS)).isBetween(300 * MB, 384 * MB);
    }
  }

  @Test
  void unset_theDefaultFollowsMaxPayload() throws Exception {
    try (Engine e = open("gearbox.process.max-payload", "128m")) {
      assertThat(e.submit(maxMemory()).get(60, TimeUnit.SECONDS)).isBetween(600 * MB, 768 * MB);
    }
  }

  @Test
  void set_workersGetThatHeap() throws Exception {
    try (Engine e = open("gearbox.process.heap", "96m")) {
      assertThat(e.submit(maxMemory()).get(60, TimeUnit.SECONDS)).isBetween(70 * MB, 96 * MB);
    }
  }

  @Test
  void underTheDefaultHeap_aResultAndATaskOfMaxPayload_travel() throws Exception {
    int n = (64 << 20) - 4096; // the serialized array's header and the lambda fit in the rest
    try (Engine e = open()) {
      assertThat(e.submit(bytes(n)).get(60, TimeUnit.SECONDS)).hasSize(n);
      assertThat(e.submit(lengthOf(new byte[n])).get(60, TimeUnit.SECONDS)).isEqualTo(n);
    }
  }

  @Test
  void aHeapBelow16m_failsAtOpen_namingTheKey() {
    for (String bad : new String[] {"8m", "512", "lots"}) {
      assertThatThrownBy(() -> open("gearbox.process.heap", bad))
          .isInstanceOf(EngineConfigException.class)
          .hasMessageContaining("gearbox.process.heap=" + bad);
    }
  }
}
