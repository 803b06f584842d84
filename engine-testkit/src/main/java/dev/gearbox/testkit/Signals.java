package dev.gearbox.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Cross-process signals for contract tasks: files in a directory both the test and the task can
 * see. A task in a worker JVM cannot count down the test's latch, but it can create a file, and
 * the test awaits the file with Awaitility. Paths travel as strings (a {@link Path} is not
 * serializable).
 */
public final class Signals {
  /** How often a task polls for a file it waits on. */
  static final long TASK_POLL_MILLIS = 2;

  private Signals() {}

  /** Creates the signal file {@code name} (idempotent). */
  public static void raise(String dir, String name) {
    try {
      Files.writeString(Path.of(dir, name), "", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static boolean isRaised(String dir, String name) {
    return Files.exists(Path.of(dir, name));
  }

  /**
   * Waits inside a task until {@code name} is raised; interruptible, so a cancelled or
   * timed-out task leaves the wait with {@link InterruptedException}.
   */
  public static void awaitInTask(String dir, String name) throws InterruptedException {
    while (!isRaised(dir, name)) {
      Thread.sleep(TASK_POLL_MILLIS);
    }
  }

  /** Like {@link #awaitInTask} but deaf to interrupts: the task a timeout cannot stop. */
  public static void awaitIgnoringInterrupts(String dir, String name) {
    boolean interrupted = false;
    while (!isRaised(dir, name)) {
      try {
        Thread.sleep(TASK_POLL_MILLIS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Appends a line to {@code name}: a log of events from many tasks, in order of appending. */
  public static synchronized void append(String dir, String name, String line) {
    try {
      Files.writeString(Path.of(dir, name), line + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<String> lines(String dir, String name) {
    try {
      Path p = Path.of(dir, name);
      return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
