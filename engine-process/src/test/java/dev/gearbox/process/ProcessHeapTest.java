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
    // Fresh workers: a warm one of another test would have been started with other flags' outcome in mind.
    EngineConfig.Builder b = EngineConfig.newBuilder().backend("process").workers(1).name("heap-" + System.nanoTime())
        .option("gearbox.process.keep-warm", "0");
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
  void aSmallXmxInJvmOptions_dropsTheDefaultXms_soTheWorkerStarts() throws Exception {
    try (Engine e = open("gearbox.process.jvm-options", "-Xmx12m")) {
      assertThat(e.submit(maxMemory()).get(60, TimeUnit.SECONDS)).isLessThanOrEqualTo(12 * MB);
    }
  }

  @Test
  void aSmallXmxInJavaToolOptions_dropsTheDefaultXms_soTheWorkerStarts() throws Exception {
    try (Engine e = open("gearbox.process.environment", "JAVA_TOOL_OPTIONS=-Xmx12m")) {
      assertThat(e.submit(maxMemory()).get(60, TimeUnit.SECONDS)).isLessThanOrEqualTo(12 * MB);
    }
  }

  @Test
  void heapSizingFlags_areRecognized() {
    for (String f : new String[] {"-Xmx1g", "-Xms64m", "-XX:MaxHeapSize=1g", "-XX:InitialHeapSize=64m",
        "-XX:MaxRAMPercentage=50", "-XX:InitialRAMPercentage=5", "-XX:MaxRAM=2g", "-XX:MinRAMPercentage=50"}) {
      assertThat(ProcessConfig.setsHeap(java.util.List.of("-Dx=y", f))).as(f).isTrue();
    }
    assertThat(ProcessConfig.setsHeap(java.util.List.of("-Dx=y", "-XX:+UseG1GC"))).isFalse();
    for (String f : new String[] {"-Xms64m", "-XX:InitialHeapSize=64m", "-XX:InitialRAMPercentage=5", "-Xmx12m",
        "-XX:MaxHeapSize=8m", "-Xmx4096k"}) {
      assertThat(ProcessConfig.setsInitialHeap(java.util.List.of(f))).as(f).isTrue();
    }
    for (String f : new String[] {"-Xmx16m", "-Xmx1g", "-XX:MaxRAMPercentage=50", "-XX:MaxHeapSize=64m"}) {
      assertThat(ProcessConfig.setsInitialHeap(java.util.List.of(f))).as(f).isFalse();
    }
    assertThat(ProcessConfig.userFlags(java.util.List.of("-Da=b"), java.util.Map.of("JAVA_TOOL_OPTIONS", " -Xmx1g  -Dc=d",
        "JDK_JAVA_OPTIONS", "-Xms8m"))).containsExactly("-Da=b", "-Xmx1g", "-Dc=d", "-Xms8m");
  }

  @Test
  void unset_withAHeapFlagInJvmOptions_noDefaultXmxIsAdded() throws Exception {
    // -XX:MaxRAM caps the ergonomic heap (a quarter of it); a default -Xmx384m beside it would win.
    try (Engine e = open("gearbox.process.jvm-options", "-XX:MaxRAM=256m")) {
      assertThat(e.submit(maxMemory()).get(60, TimeUnit.SECONDS)).isLessThanOrEqualTo(128 * MB);
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
