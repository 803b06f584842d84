package dev.gearbox.cluster;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Stands in for a test JVM in {@link MemberJvmTest}: starts a member with {@link MemberJvm},
 * prints its pid, and waits to be killed.
 */
public final class MemberParentMain {
  private MemberParentMain() {}

  /** {@code DIR}: a member through the test harness; {@code DIR worker-member}: the product's command with {@code --exit-with-parent}. */
  public static void main(String[] args) throws Exception {
    int port = MemberJvm.freePort();
    String[] options = {"--cluster-name=gearbox-orphan-" + Long.toHexString(System.nanoTime()), "--members=127.0.0.1:" + port,
        "--port=" + port, "--slots=1", "--secret-file=" + MemberJvm.secretFile(MemberJvm.SECRET)};
    long pid;
    if (args.length > 1 && args[1].equals("worker-member")) {
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", MemberJvm.testClasspath(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", WorkerMember.class.getName(),
          "--exit-with-parent"));
      cmd.addAll(List.of(options));
      Path log = Path.of(args[0], "worker-member.log");
      // stdin from /dev/null: only the parent watch can end this member
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      await().atMost(MemberJvm.STARTUP).until(() -> {
        if (!p.isAlive()) {
          throw new IllegalStateException("worker member exited:\n" + Files.readString(log));
        }
        return Files.readString(log).contains("gearbox worker member ready");
      });
      pid = p.pid();
    } else {
      MemberJvm member = MemberJvm.start(Path.of(args[0]), "orphan", port, MemberJvm.testClasspath(), options);
      member.awaitReady();
      pid = member.pid();
    }
    System.out.println("member pid " + pid);
    System.out.flush();
    while (true) {
      LockSupport.park();
    }
  }
}
