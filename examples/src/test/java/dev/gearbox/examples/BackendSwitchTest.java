package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same program, unchanged, runs on another backend when only its configuration changes: a
 * system property, an environment variable, or {@code gearbox.properties} in the working
 * directory. Each case runs the primes example in a real child JVM, which is always reaped.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackendSwitchTest {
  @TempDir
  Path workDir;

  private record Run(int exit, String out) {}

  private Run demo(List<String> jvmArgs, Map<String, String> env) throws IOException, InterruptedException {
    return demo(jvmArgs, env, List.of());
  }

  private Run demo(List<String> jvmArgs, Map<String, String> env, List<String> flags) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.addAll(jvmArgs);
    cmd.add(Main.class.getName());
    cmd.addAll(List.of("primes", "--n", "200_000", "--chunks", "8"));
    cmd.addAll(flags);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("GEARBOX_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      // Read on another thread, so that a child that hangs cannot hang this test past its wait.
      java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
      Thread reader = Thread.ofVirtual().start(() -> {
        try (var in = p.getInputStream()) {
          in.transferTo(buf);
        } catch (IOException ignored) {
          // the child was killed; what it wrote is kept
        }
      });
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the example finished within 60 s").isTrue();
      reader.join(10_000);
      return new Run(p.exitValue(), buf.toString(StandardCharsets.UTF_8));
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void defaultConfiguration_runsOnTheThreadBackend() throws Exception {
    Run r = demo(List.of(), Map.of());
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("primes on the thread backend").containsPattern("TaskTimeoutException after \\d+ ms");
  }

  @Test
  void systemProperty_switchesTheBackend() throws Exception {
    Run r = demo(List.of("-Dgearbox.backend=direct"), Map.of());
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("primes on the direct backend");
  }

  @Test
  void environmentVariable_switchesTheBackend() throws Exception {
    Run r = demo(List.of(), Map.of("GEARBOX_BACKEND", "direct"));
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("primes on the direct backend");
  }

  @Test
  void propertiesFileInTheWorkingDirectory_switchesTheBackend() throws Exception {
    Files.writeString(workDir.resolve("gearbox.properties"), "gearbox.backend=direct\n");
    Run r = demo(List.of(), Map.of());
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("primes on the direct backend");
  }

  @Test
  void commandLineFlag_outranksEveryOtherSource() throws Exception {
    Files.writeString(workDir.resolve("gearbox.properties"), "gearbox.backend=direct\n");
    Run r = demo(List.of("-Dgearbox.backend=direct"), Map.of("GEARBOX_BACKEND", "direct"));
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("primes on the direct backend");
    List<String> flagged = new ArrayList<>(List.of("--backend", "thread"));
    Run t = demo(List.of("-Dgearbox.backend=direct"), Map.of(), flagged);
    assertThat(t.exit()).as(t.out()).isZero();
    assertThat(t.out()).contains("primes on the thread backend");
  }

  @Test
  void badConfiguration_failsWithAMessageNamingTheKeyAndItsSource() throws Exception {
    Files.writeString(workDir.resolve("gearbox.properties"), "gearbox.workers=lots\n");
    Run r = demo(List.of(), Map.of());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).contains("gearbox.workers=lots").contains("gearbox.properties");
  }
}
