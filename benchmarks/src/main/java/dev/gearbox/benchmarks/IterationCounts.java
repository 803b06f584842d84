package dev.gearbox.benchmarks;

import java.lang.management.ManagementFactory;

/**
 * Counts of one JMH iteration that do not depend on how loaded the machine was, to explain a
 * ratio: the JVM's context switches and CPU time per task, with the CPU time of the benchmark
 * thread (the one that submits and waits) apart. Every thread of the process is counted, from
 * {@code /proc/self/task/}{@code *}{@code /status} and the process CPU time; threads that end
 * during an iteration are not (the pools measured here keep theirs). Confined to the benchmark
 * thread: {@link #start()} in the iteration's set-up, {@link #print} in its tear-down.
 */
final class IterationCounts {
  private long[] switchesAtStart = new long[0];
  private long cpuAtStart;
  private long submitterCpuAtStart;

  /** Marks the start of an iteration. */
  void start() {
    switchesAtStart = ContextSwitches.of(ProcessHandle.current().pid());
    cpuAtStart = processCpuNanos();
    submitterCpuAtStart = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  /** Prints the counts since {@link #start()} per task, for {@code tasks} tasks run by {@code benchmark}. */
  void print(String benchmark, long tasks) {
    long[] now = ContextSwitches.of(ProcessHandle.current().pid());
    long cpu = processCpuNanos() - cpuAtStart;
    long submitter = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - submitterCpuAtStart;
    if (tasks > 0 && now.length == 2 && switchesAtStart.length == 2) {
      System.out.printf(java.util.Locale.ROOT, "%n[per task] %s: %.3f voluntary + %.3f involuntary context switches,"
          + " %.3f us CPU, of which the submitting thread %.3f (%d tasks)%n", benchmark,
          (double) (now[0] - switchesAtStart[0]) / tasks, (double) (now[1] - switchesAtStart[1]) / tasks,
          cpu / 1e3 / tasks, submitter / 1e3 / tasks, tasks);
    }
  }

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0L;
  }
}
