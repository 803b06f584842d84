package dev.gearbox.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Pins the calling platform thread to one CPU for a while, so that the bench can time its
 * one-thread baseline on each CPU of a machine whose CPUs do not all run at the same speed.
 *
 * <p>Linux only, with util-linux's {@code taskset}: the JDK has no call for a thread's affinity,
 * so the thread finds its kernel thread id through {@code /proc/thread-self} (a link to
 * {@code <pid>/task/<tid>}) and asks {@code taskset -p -c} to pin that one thread. Every change is
 * checked against the kernel's own record ({@code Cpus_allowed_list} in the thread's status) and
 * undone when the {@link Pinned} is closed. Elsewhere, or when a step fails, {@link #probe()}
 * returns an instance that is not {@link #available()} and says why, and the bench falls back to an
 * unpinned baseline.
 *
 * <p>Only the thread that calls {@link #pin} is pinned, never the process. Threads it starts while
 * pinned inherit its affinity, so nothing but the one-thread baseline should run inside a pin.
 * Thread-safe: an instance holds no state of its own beyond where it looks.
 */
final class CpuPinning {
  /** A {@code taskset} call that takes longer than this has failed. */
  private static final long TASKSET_SECONDS = 10;

  private final Path threadSelf;
  private final String taskset;
  private final List<Integer> cpus;
  private final String unavailable;

  private CpuPinning(Path threadSelf, String taskset, List<Integer> cpus, String unavailable) {
    this.threadSelf = threadSelf;
    this.taskset = taskset;
    this.cpus = cpus;
    this.unavailable = unavailable;
  }

  /** Whether this machine lets the calling thread be pinned; found by pinning it once and undoing it. */
  static CpuPinning probe() {
    return probe(Path.of("/proc/thread-self"), "taskset");
  }

  /**
   * As {@link #probe()}, with {@code threadSelf} standing for {@code /proc/thread-self} and
   * {@code taskset} for the command; a test points them elsewhere to see the fallback.
   */
  static CpuPinning probe(Path threadSelf, String taskset) {
    Objects.requireNonNull(threadSelf, "threadSelf");
    Objects.requireNonNull(taskset, "taskset");
    if (Thread.currentThread().isVirtual()) {
      return new CpuPinning(threadSelf, taskset, List.of(), "a virtual thread cannot be pinned to a CPU");
    }
    List<Integer> allowed;
    try {
      allowed = allowedCpus(threadSelf);
    } catch (IOException | RuntimeException e) {
      return new CpuPinning(threadSelf, taskset, List.of(), "no Linux " + threadSelf + " to read the thread's CPUs from (" + e + ")");
    }
    if (allowed.size() < 2) {
      return new CpuPinning(threadSelf, taskset, allowed, "this thread may run on one CPU only (" + allowed + ")");
    }
    CpuPinning pinning = new CpuPinning(threadSelf, taskset, List.copyOf(allowed), null);
    try {
      pinning.pin(allowed.getFirst()).close();
      return pinning;
    } catch (IOException | RuntimeException e) {
      return new CpuPinning(threadSelf, taskset, allowed, "the thread could not be pinned: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new CpuPinning(threadSelf, taskset, allowed, "interrupted while pinning the thread");
    }
  }

  /** Whether {@link #pin} works here. */
  boolean available() {
    return unavailable == null;
  }

  /** Why {@link #pin} does not work here; empty when it does. */
  String whyUnavailable() {
    return unavailable == null ? "" : unavailable;
  }

  /** The CPUs the probing thread was allowed to run on, in order; empty if unknown. */
  List<Integer> cpus() {
    return cpus;
  }

  /** Undoes a {@link #pin}: the thread may run where it could before. */
  interface Pinned extends AutoCloseable {
    /**
     * Restores the CPUs the thread could run on before the pin; must be called by that thread.
     *
     * @throws IOException if taskset fails, or the wait for it is interrupted (the interrupt is kept)
     */
    @Override
    void close() throws IOException;
  }

  /**
   * Pins the calling thread to {@code cpu} until the returned {@link Pinned} is closed, which
   * restores the CPUs it was allowed before.
   *
   * @throws IllegalStateException if not {@link #available()}
   * @throws IllegalArgumentException if {@code cpu} is not one of {@link #cpus()}
   * @throws IOException if {@code taskset} fails or the kernel does not show the change; the
   *     thread's affinity is then restored (or the restore's failure added as suppressed)
   */
  Pinned pin(int cpu) throws IOException, InterruptedException {
    if (unavailable != null) {
      throw new IllegalStateException("cannot pin a thread here: " + unavailable);
    }
    if (!cpus.contains(cpu)) {
      throw new IllegalArgumentException("cpu " + cpu + " is not one this thread may run on " + cpus);
    }
    long tid = threadId(threadSelf);
    String before = list(allowedCpus(threadSelf));
    try {
      set(tid, String.valueOf(cpu));
    } catch (IOException | RuntimeException e) {
      try {
        set(tid, before);
      } catch (IOException | RuntimeException restore) {
        e.addSuppressed(restore);
      }
      throw e;
    }
    return () -> {
      if (threadId(threadSelf) != tid) {
        throw new IllegalStateException("a pin must be undone by the thread that made it (tid " + tid + ")");
      }
      try {
        set(tid, before);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while restoring thread " + tid + " to CPUs " + before, e);
      }
    };
  }

  /** Sets the thread's CPUs to {@code cpuList} ("1" or "0-1") and checks the kernel's record says so. */
  private void set(long tid, String cpuList) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(taskset, "-p", "-c", cpuList, String.valueOf(tid)).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("no " + taskset + " command (util-linux) to pin a thread with: " + e.getMessage(), e);
    }
    String output;
    try {
      p.getOutputStream().close();
      // taskset prints two short lines: they fit in the pipe, so it ends before they are read.
      if (!p.waitFor(TASKSET_SECONDS, TimeUnit.SECONDS)) {
        throw new IOException(taskset + " -p -c " + cpuList + " " + tid + " did not finish within " + TASKSET_SECONDS + " s");
      }
      output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    } finally {
      p.destroyForcibly();
    }
    if (p.exitValue() != 0) {
      throw new IOException(taskset + " -p -c " + cpuList + " " + tid + " failed (exit " + p.exitValue() + "): " + output);
    }
    List<Integer> now = allowedCpus(threadSelf);
    if (!now.equals(parseList(cpuList))) {
      throw new IOException(taskset + " -p -c " + cpuList + " " + tid + " left the thread on CPUs " + list(now));
    }
  }

  /** The kernel thread id of the calling thread: {@code /proc/thread-self} links to {@code <pid>/task/<tid>}. */
  static long threadId(Path threadSelf) throws IOException {
    Path link = Files.readSymbolicLink(threadSelf);
    return Long.parseLong(link.getFileName().toString());
  }

  /** The CPUs the calling thread may run on, from the {@code Cpus_allowed_list} line of its status. */
  static List<Integer> allowedCpus(Path threadSelf) throws IOException {
    for (String line : Files.readAllLines(threadSelf.resolve("status"), StandardCharsets.UTF_8)) {
      if (line.startsWith("Cpus_allowed_list:")) {
        return parseList(line.substring("Cpus_allowed_list:".length()).strip());
      }
    }
    throw new IOException(threadSelf.resolve("status") + " has no Cpus_allowed_list line");
  }

  /** A CPU list as the kernel and taskset write it ("0-3,5"), in order. */
  static List<Integer> parseList(String list) {
    TreeSet<Integer> cpus = new TreeSet<>();
    for (String part : list.strip().split(",")) {
      String[] range = part.strip().split("-");
      if (range.length == 1) {
        cpus.add(Integer.parseInt(range[0]));
      } else if (range.length == 2) {
        for (int c = Integer.parseInt(range[0]); c <= Integer.parseInt(range[1]); c++) {
          cpus.add(c);
        }
      } else {
        throw new IllegalArgumentException("not a CPU list: " + list);
      }
    }
    return new ArrayList<>(cpus);
  }

  private static String list(List<Integer> cpus) {
    StringBuilder s = new StringBuilder();
    for (int c : cpus) {
      s.append(s.isEmpty() ? "" : ",").append(c);
    }
    return s.toString();
  }
}
