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
}
