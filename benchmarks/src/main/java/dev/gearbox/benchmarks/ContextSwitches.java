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
    long voluntary = 0;
    long involuntary = 0;
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              voluntary += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              involuntary += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
          }
        } catch (IOException | RuntimeException threadGone) {
          // ended meanwhile
        }
      }
    } catch (IOException noProc) {
      return new long[0];
    }
    return new long[] {voluntary, involuntary};
  }

  /**
   * The voluntary switches of the live threads of process {@code pid} so far, summed by thread name
   * ({@code /proc/PID/task/TID/comm}, which the JVM sets to the first 15 characters of a Java
   * thread's name): where a count per round trip comes from. Empty where {@code /proc} is not there.
   */
  static java.util.Map<String, Long> byThread(long pid) {
    java.util.Map<String, Long> byName = new java.util.TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              byName.merge(name, Long.parseLong(line.substring(line.indexOf(':') + 1).strip()), Long::sum);
            }
          }
        } catch (IOException | RuntimeException threadGone) {
          // ended meanwhile
        }
      }
    } catch (IOException noProc) {
      return java.util.Map.of();
    }
    return byName;
  }
}
