package dev.gearbox.cluster;

import java.io.IOException;

/**
 * A {@link WorkerMember} for tests, which ends with the test JVM that started it however that
 * JVM ends (a surefire JVM killed on a timeout included): it halts when its stdin, a pipe held by
 * the test JVM, reaches end of file, and when its parent process exits. The stdin watch is the
 * reliable one: a SIGKILLed parent may linger as a zombie whose {@code isAlive()} stays true, but
 * the kernel closes its end of the pipe at once.
 *
 * <p>{@link MemberJvm} starts members through this class, also on classpaths without the test
 * classes (it copies this class alone into a directory of its own).
 */
public final class TestMemberMain {
  /** The exit status of a member whose test JVM went away. */
  static final int ORPHANED_EXIT_CODE = 86;

  private TestMemberMain() {}

  public static void main(String[] args) {
    System.setProperty(MemberSideTasks.MEMBER_PROPERTY, "true");
    Thread stdinWatch = new Thread(TestMemberMain::haltAtEndOfInput, "gearbox-test-member-stdin-watch");
    stdinWatch.setDaemon(true);
    stdinWatch.start();
    ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(ORPHANED_EXIT_CODE)));
    WorkerMember.main(args);
  }

  private static void haltAtEndOfInput() {
    try {
      while (System.in.read() >= 0) {
        // the test JVM never writes; anything it did write is ignored
      }
    } catch (IOException e) {
      // a broken pipe means the same as end of file
    }
    Runtime.getRuntime().halt(ORPHANED_EXIT_CODE);
  }
}
