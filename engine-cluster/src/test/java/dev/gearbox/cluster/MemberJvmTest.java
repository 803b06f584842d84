package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The test harness itself: a member JVM never outlives the test JVM that started it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MemberJvmTest {
  private static final Pattern MEMBER_PID = Pattern.compile("member pid (\\d+)");

  @TempDir
  Path dir;

  @Test
  void aMemberWhoseTestJvmIsKilled_exitsByItself() throws Exception {
    assertMemberExitsWhenItsParentIsKilled();
  }

  @Test
  void aWorkerMemberWithExitWithParent_exitsWhenItsParentIsKilled() throws Exception {
    assertMemberExitsWhenItsParentIsKilled("worker-member");
    assertThat(read(dir.resolve("worker-member.log"))).contains("exited (--exit-with-parent); leaving");
  }

  private void assertMemberExitsWhenItsParentIsKilled(String... mode) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", MemberJvm.testClasspath(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dgearbox.test.member.flags=" + System.getProperty("gearbox.test.member.flags", "")));
    cmd.add(MemberParentMain.class.getName());
    cmd.add(dir.toString());
    cmd.addAll(List.of(mode));
    Path out = dir.resolve("parent.log");
    Process parent = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    long memberPid = -1;
    try {
      await().atMost(MemberJvm.STARTUP).until(() -> {
        if (!parent.isAlive()) {
          throw new IllegalStateException("the parent exited with " + parent.exitValue() + ":\n" + read(out));
        }
        return MEMBER_PID.matcher(read(out)).find();
      });
      Matcher m = MEMBER_PID.matcher(read(out));
      assertThat(m.find()).isTrue();
      memberPid = Long.parseLong(m.group(1));
      assertThat(hasExited(memberPid)).as("the member runs while its parent does").isFalse();

      parent.destroyForcibly(); // SIGKILL: no shutdown hook runs, nothing is closed
      long pid = memberPid;
      await().atMost(MemberJvm.EXIT).until(() -> hasExited(pid));
    } finally {
      parent.destroyForcibly();
      if (memberPid > 0) {
        ProcessHandle.of(memberPid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
  }

  /**
   * Whether a process that is not this JVM's child has ended. An ended process whose new parent
   * does not reap it stays a zombie, which {@link ProcessHandle#isAlive()} still calls alive.
   */
  private static boolean hasExited(long pid) throws IOException {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || !h.get().isAlive()) {
      return true;
    }
    if (!Files.isDirectory(Path.of("/proc", "self"))) {
      return false; // not Linux: isAlive() is all there is
    }
    String s;
    try {
      s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return true; // reaped in the meantime
    }
    String state = s.substring(s.lastIndexOf(')') + 2).trim();
    return state.startsWith("Z") || state.startsWith("X");
  }
}
