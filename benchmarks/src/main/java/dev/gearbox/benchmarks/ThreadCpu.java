package dev.gearbox.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The CPU time of every thread of a process, from {@code /proc/PID/task/TID/stat} (user + system,
 * in clock ticks of 10 ms), and its sum by thread group: {@code compiler} (C1/C2 compiler threads),
 * {@code gc} (GC and VM threads), {@code tasks} (the threads that ran the job's tasks),
 * {@code gearbox} (the engine's other threads), {@code main} (the submitting, waiting thread) and
 * {@code other}. Empty where {@code /proc} is not there. Not thread-safe; a snapshot is immutable.
 *
 * @param ticks per thread id: its CPU ticks so far
 * @param names per thread id: its name as the kernel has it (at most 15 characters)
 */
record ThreadCpu(Map<Long, Long> ticks, Map<Long, String> names) {
  static final ThreadCpu NONE = new ThreadCpu(Map.of(), Map.of());
  /** The length of a clock tick, the unit of {@code /proc}'s CPU times (USER_HZ 100). */
  static final int MILLIS_PER_TICK = 10;
  private static final double MICROS_PER_TICK = MILLIS_PER_TICK * 1_000;
  static final String[] GROUPS = {"compiler", "gearbox", "tasks", "main", "gc", "other"};

  /** Every thread of {@code pid} now; threads that end while this reads are left out. */
  static ThreadCpu of(long pid) {
    Map<Long, Long> ticks = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          long tid = Long.parseLong(task.getFileName().toString());
          names.put(tid, stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
          ticks.put(tid, cpuTicks(stat));
        } catch (IOException | RuntimeException threadGone) {
          // ended meanwhile: its time is no longer counted anywhere
        }
      }
    } catch (IOException noProc) {
      return NONE;
    }
    return new ThreadCpu(ticks, names);
  }

  /** Every thread's ticks, summed. */
  long total() {
    return ticks.values().stream().mapToLong(Long::longValue).sum();
  }

  /** utime + stime of one {@code stat} line (fields 14 and 15; the name in parentheses may hold spaces). */
  static long cpuTicks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** Which group a thread belongs to, by its kernel name, or {@code tasks} when it ran tasks. */
  static String group(String name, boolean ranTasks) {
    if (ranTasks) {
      return "tasks";
    }
    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
      return "compiler";
    }
    if (name.startsWith("gearbox")) {
      return "gearbox";
    }
    if (name.equals("java") || name.equals("main")) {
      return "main";
    }
    if (name.startsWith("GC ") || name.startsWith("G1 ") || name.equals("VM Thread")) {
      return "gc";
    }
    return "other";
  }

  /**
   * The CPU spent since {@code before} (a thread born since counts from zero), by group, in µs per
   * task; {@code taskThreads} are the kernel thread ids that ran tasks.
   */
  Map<String, Double> since(ThreadCpu before, Set<Long> taskThreads, int tasks) {
    Map<String, Double> out = new TreeMap<>();
    for (Map.Entry<Long, Long> t : ticks.entrySet()) {
      long d = t.getValue() - before.ticks.getOrDefault(t.getKey(), 0L);
      if (d > 0) {
        out.merge(group(names.get(t.getKey()), taskThreads.contains(t.getKey())), d * MICROS_PER_TICK / tasks, Double::sum);
      }
    }
    return out;
  }

  /** The sum of several processes' groups. */
  static Map<String, Double> add(Collection<Map<String, Double>> parts) {
    Map<String, Double> out = new TreeMap<>();
    parts.forEach(p -> p.forEach((k, v) -> out.merge(k, v, Double::sum)));
    return out;
  }
}
