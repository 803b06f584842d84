package dev.gearbox.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The context switches of every thread of a process so far, summed from
 * {@code /proc/PID/task/TID/status} ({@code /proc/PID/status} counts only its main thread): a
 * count that does not depend on how loaded the machine is. Stateless.
 */
final class ContextSwitches {
  private ContextSwitches() {}

  /**
   * {voluntary, involuntary} switches of the live threads of process {@code pid} (a thread that
   * ended is no longer counted anywhere); an empty array where {@code /proc} is not there.
   */
  static long[] of(long pid) {
    java.util.Map<String, long[]> all = read(pid, false);
    return all == null ? new long[0] : all.getOrDefault("", new long[2]);
  }

  /**
   * The voluntary switches of the live threads of process {@code pid} so far, summed by thread name
   * ({@code /proc/PID/task/TID/comm}, which the JVM sets to the first 15 characters of a Java
   * thread's name): where a count per round trip comes from. Empty where {@code /proc} is not there.
   */
  static java.util.Map<String, Long> byThread(long pid) {
    java.util.Map<String, long[]> byName = read(pid, true);
    java.util.Map<String, Long> voluntary = new java.util.TreeMap<>();
    if (byName != null) {
      byName.forEach((name, n) -> voluntary.put(name, n[0]));
    }
    return voluntary;
  }

  /**
   * {voluntary, involuntary} switches of the live threads of {@code pid}, summed by thread name, or
   * all under {@code ""} when not {@code byName}; null where {@code /proc} is not there.
   */
  private static java.util.Map<String, long[]> read(long pid, boolean byName) {
    java.util.Map<String, long[]> sums = new java.util.HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          long[] sum = sums.computeIfAbsent(byName ? Files.readString(task.resolve("comm")).strip() : "", k -> new long[2]);
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              sum[0] += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              sum[1] += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
          }
        } catch (IOException | RuntimeException threadGone) {
          // ended meanwhile
        }
      }
    } catch (IOException noProc) {
      return null;
    }
    return sums;
  }
}
