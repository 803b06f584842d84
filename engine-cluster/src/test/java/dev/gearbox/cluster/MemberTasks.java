package dev.gearbox.cluster;

import dev.gearbox.Task;
import dev.gearbox.testkit.Signals;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Tasks for the multi-JVM tests; serializable lambdas capturing only numbers. */
final class MemberTasks {
  private MemberTasks() {}

  /** Works for about {@code micros} µs (a stand-in for real work), then says where it ran: {@code i:pid}. */
  static Task<String> whereAmI(int i, long micros) {
    return () -> {
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(micros));
      return i + ":" + ProcessHandle.current().pid();
    };
  }

  /** Takes down the member that runs it, as a task calling System.exit would. */
  static Task<String> haltTheMember() {
    return () -> {
      Runtime.getRuntime().halt(3);
      return "unreachable";
    };
  }

  /** Raises {@code started-<k>} with its JVM's pid as {@code pid-<k>}, then ignores interrupts until {@code release}; raises {@code finished-<k>}. */
  static Task<Object> ignoreInterruptsSayingWhere(String dir, int k) {
    return () -> {
      Signals.append(dir, "pid-" + k, Long.toString(ProcessHandle.current().pid()));
      Signals.raise(dir, "started-" + k);
      Signals.awaitIgnoringInterrupts(dir, "release");
      Signals.raise(dir, "finished-" + k);
      return null;
    };
  }
}
