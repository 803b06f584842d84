package dev.gearbox.process;

import dev.gearbox.ContextTask;
import dev.gearbox.Task;
import dev.gearbox.WorkerInitializer;
import dev.gearbox.testkit.Signals;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Tasks that misbehave in the ways workers die or leak; serializable lambdas made in static methods. */
final class FaultTasks {
  private FaultTasks() {}

  /** A worker initializer that throws once {@code signal} is raised, so replacements fail to start. */
  static WorkerInitializer failingOnce(String dir, String signal) {
    return () -> {
      if (Signals.isRaised(dir, signal)) {
        throw new IllegalStateException("initializer broken on purpose");
      }
      return "ready";
    };
  }

  static Task<Long> pid() {
    return () -> ProcessHandle.current().pid();
  }

  static Task<Object> exitWith(int code) {
    return () -> {
      System.err.println("fault task: calling System.exit(" + code + ")");
      System.exit(code);
      return null;
    };
  }

  static Task<Object> halt(int code) {
    return () -> {
      System.err.println("fault task: calling Runtime.halt(" + code + ")");
      Runtime.getRuntime().halt(code);
      return null;
    };
  }

  static Task<Object> exhaustHeap() {
    return () -> {
      List<long[]> hog = new ArrayList<>();
      for (;;) {
        hog.add(new long[1 << 20]);
      }
    };
  }

  /** Writes its pid to {@code pid-<k>}, then waits until killed or released. */
  static Task<Object> reportPidAndBlock(String dir, int k) {
    return () -> {
      Files.writeString(Path.of(dir, "pid-" + k + ".tmp"), Long.toString(ProcessHandle.current().pid()));
      Files.move(Path.of(dir, "pid-" + k + ".tmp"), Path.of(dir, "pid-" + k));
      Signals.awaitInTask(dir, "release");
      return null;
    };
  }

  /**
   * Like {@link #reportPidAndBlock}, but its worker is slow to exit: a shutdown hook first writes
   * {@code exiting-<pid>} and then holds the exit for a second, so the worker stays retiring a while.
   */
  static Task<Object> slowToExitReportPidAndBlock(String dir, int k) {
    return () -> {
      long pid = ProcessHandle.current().pid();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          Files.writeString(Path.of(dir, "exiting-" + pid), "");
          Thread.sleep(1_000);
        } catch (IOException | InterruptedException e) {
          // exiting anyway
        }
      }));
      return reportPidAndBlock(dir, k).call();
    };
  }

  /** A result whose class initializes only where {@code gearbox.test.in-worker} is set: in the workers, not the engine. */
  static final class WorkerOnlyResult implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    static {
      if (System.getProperty("gearbox.test.in-worker") == null) {
        throw new IllegalStateException("WorkerOnlyResult needs gearbox.test.in-worker");
      }
    }
  }

  static Task<Object> workerOnlyResult() {
    return WorkerOnlyResult::new;
  }

  /** Raises {@code started}, then spins without ever blocking until its thread is interrupted, then raises {@code interrupted}. */
  static Task<Object> spinUntilInterrupted(String dir, String started, String interrupted) {
    return () -> {
      Signals.raise(dir, started);
      while (!Thread.currentThread().isInterrupted()) {
        Thread.onSpinWait();
      }
      Signals.raise(dir, interrupted);
      return null;
    };
  }

  /** Raises {@code signal}: a trace that it ran. */
  static Task<Object> raise(String dir, String signal) {
    return () -> {
      Signals.raise(dir, signal);
      return null;
    };
  }

  /** Waits for {@code signal}, then halts its worker. */
  static Task<Object> haltWhen(String dir, String signal) {
    return () -> {
      Signals.awaitInTask(dir, signal);
      Runtime.getRuntime().halt(9);
      return null;
    };
  }

  /** Kills its worker on the first attempt only; succeeds afterwards. */
  static ContextTask<Integer> crashOnFirstAttempt() {
    return ctx -> {
      if (ctx.attempt() == 1) {
        Runtime.getRuntime().halt(9);
      }
      return ctx.attempt();
    };
  }

  /** Prints everywhere a task can print, including raw bytes that look like a frame. */
  static Task<Integer> printEverywhere() {
    return () -> {
      System.out.println("hello from System.out");
      System.err.println("hello from System.err");
      FileOutputStream fd1 = new FileOutputStream(FileDescriptor.out);
      fd1.write(new byte[] {0x47, 0x42, 1, 12, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 4, 'o', 'o', 'p', 's', '\n'});
      fd1.write("raw write to fd 1\n".getBytes(StandardCharsets.UTF_8));
      fd1.flush();
      Process child = new ProcessBuilder("sh", "-c", "echo child on inherited stdout; printf 'GB\\001\\014garbage\\n'")
          .inheritIO().start();
      child.waitFor();
      return 42;
    };
  }

  /** Returns an object that cannot be serialized. */
  static Task<Object> unserializableResult() {
    return Thread::currentThread;
  }

  /** Throws an exception whose class cannot be serialized (it holds a Thread). */
  static Task<Object> unserializableException() {
    return () -> {
      throw new HoldsAThread("cannot travel as itself");
    };
  }

  static final class HoldsAThread extends RuntimeException {
    private static final long serialVersionUID = 1L;
    @SuppressWarnings({"serial", "unused"})
    private final Thread thread = Thread.currentThread();

    HoldsAThread(String message) {
      super(message);
    }
  }

  /** Reads the worker's System.in, which must be empty (frames travel on the real stdin). */
  static Task<Integer> readStdin() {
    return () -> System.in.read() < 0 ? 7 : -1;
  }

  /** Attempt 1 waits, interruptibly, for a release that never comes; attempt 2 returns 2. */
  static ContextTask<Integer> hangOnFirstAttempt(String dir) {
    return ctx -> {
      if (ctx.attempt() == 1) {
        Signals.awaitInTask(dir, "never");
      }
      return ctx.attempt();
    };
  }

  static Task<Integer> square(int x) {
    return () -> x * x;
  }

  /** A result of {@code n} bytes in one array. */
  static Task<byte[]> bigArray(int n) {
    return () -> new byte[n];
  }

  /** Prints {@code megabytes} MB to System.out without a newline, in 1 MB prints, then returns 42. */
  static Task<Integer> printWithoutNewline(int megabytes) {
    return () -> {
      String mb = "x".repeat(1 << 20);
      for (int i = 0; i < megabytes; i++) {
        System.out.print(mb);
      }
      return 42;
    };
  }

  /** Sets holding the same two sets at every level: a few hundred objects that take for ever to hash once read back. */
  static Task<Object> nestedHashSets(int depth) {
    return () -> {
      java.util.Set<Object> root = new java.util.HashSet<>();
      java.util.Set<Object> s1 = root;
      java.util.Set<Object> s2 = new java.util.HashSet<>();
      for (int i = 0; i < depth; i++) {
        java.util.Set<Object> t1 = new java.util.HashSet<>();
        java.util.Set<Object> t2 = new java.util.HashSet<>();
        t1.add("level " + i);
        s1.add(t1);
        s1.add(t2);
        s2.add(t1);
        s2.add(t2);
        s1 = t1;
        s2 = t2;
      }
      return root;
    };
  }

  /** One node of a linked chain, serialized one level of recursion per node. */
  record Link(int value, Link next) implements java.io.Serializable {}

  static Task<Object> linkedChain(int length) {
    return () -> {
      Link head = null;
      for (int i = 0; i < length; i++) {
        head = new Link(i, head);
      }
      return head;
    };
  }
}
