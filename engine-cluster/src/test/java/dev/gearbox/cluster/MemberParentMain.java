package dev.gearbox.cluster;

import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * Stands in for a test JVM in {@link MemberJvmTest}: starts a member with {@link MemberJvm},
 * prints its pid, and waits to be killed.
 */
public final class MemberParentMain {
  private MemberParentMain() {}

  public static void main(String[] args) throws Exception {
    int port = MemberJvm.freePort();
    MemberJvm member = MemberJvm.start(Path.of(args[0]), "orphan", port, MemberJvm.testClasspath(),
        "--cluster-name=gearbox-orphan-" + Long.toHexString(System.nanoTime()), "--members=127.0.0.1:" + port, "--slots=1");
    member.awaitReady();
    System.out.println("member pid " + member.pid());
    System.out.flush();
    while (true) {
      LockSupport.park();
    }
  }
}
