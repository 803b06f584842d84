package dev.gearbox.benchmarks;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One timed job and where its time went, as its tasks saw it: each task records its own start and
 * end ({@code System.nanoTime()}, one clock for every process on Linux), process id and kernel
 * thread id. A lane is one worker (a process; or a thread, when all tasks ran in one process).
 * Immutable.
 *
 * @param millis    from the start (open included, for a fresh engine) to the last result
 * @param tasks     how many tasks the job had
 * @param busyUs    time inside tasks, per task (µs)
 * @param idleUs    time between a lane's consecutive tasks, summed over lanes, per task (µs)
 * @param headMs    from the start to a lane's first task, mean over lanes (ms)
 * @param tailMs    from a lane's last task to the last result, mean over lanes (ms)
 * @param callerCpu the submitting JVM's CPU by {@link ThreadCpu} group, µs per task
 * @param workerCpu the worker JVMs' CPU (summed) by group, µs per task; empty for the thread level
 */
record JobRun(double millis, int tasks, double busyUs, double idleUs, double headMs, double tailMs,
    Map<String, Double> callerCpu, Map<String, Double> workerCpu) {

  /** From the tasks' records {@code {start, end, pid, tid}} and the job's start and end. */
  static JobRun of(List<long[]> records, long t0, long t1, Map<String, Double> callerCpu, Map<String, Double> workerCpu) {
    boolean byPid = records.stream().map(r -> r[2]).distinct().count() > 1;
    Map<Long, List<long[]>> lanes = records.stream().collect(Collectors.groupingBy(r -> byPid ? r[2] : r[3], TreeMap::new,
        Collectors.toCollection(ArrayList::new)));
    double busy = 0;
    double idle = 0;
    double head = 0;
    double tail = 0;
    for (List<long[]> lane : lanes.values()) {
      lane.sort(Comparator.comparingLong(r -> r[0]));
      for (int i = 0; i < lane.size(); i++) {
        busy += lane.get(i)[1] - lane.get(i)[0];
        if (i > 0) {
          idle += Math.max(0, lane.get(i)[0] - lane.get(i - 1)[1]);
        }
      }
      head += lane.get(0)[0] - t0;
      tail += t1 - lane.get(lane.size() - 1)[1];
    }
    int n = records.size();
    return new JobRun((t1 - t0) / 1e6, n, busy / n / 1e3, idle / n / 1e3, head / lanes.size() / 1e6, tail / lanes.size() / 1e6,
        callerCpu, workerCpu);
  }

  /** One line of {@code key=value} pairs, as a child JVM prints it; {@link #parse} reads it back. */
  String toLine() {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "millis=%.3f tasks=%d busy=%.3f idle=%.3f head=%.3f tail=%.3f",
        millis, tasks, busyUs, idleUs, headMs, tailMs));
    callerCpu.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " caller.%s=%.3f", k, v)));
    workerCpu.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " worker.%s=%.3f", k, v)));
    return sb.toString();
  }

  static JobRun parse(String line) {
    Map<String, String> kv = new TreeMap<>();
    for (String pair : line.strip().split(" +")) {
      int eq = pair.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("not key=value: '" + pair + "' in '" + line + "'");
      }
      kv.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    Map<String, Double> caller = new TreeMap<>();
    Map<String, Double> worker = new TreeMap<>();
    kv.forEach((k, v) -> {
      if (k.startsWith("caller.")) {
        caller.put(k.substring(7), Double.parseDouble(v));
      } else if (k.startsWith("worker.")) {
        worker.put(k.substring(7), Double.parseDouble(v));
      }
    });
    return new JobRun(Double.parseDouble(kv.get("millis")), Integer.parseInt(kv.get("tasks")), Double.parseDouble(kv.get("busy")),
        Double.parseDouble(kv.get("idle")), Double.parseDouble(kv.get("head")), Double.parseDouble(kv.get("tail")), caller, worker);
  }

  /** The CPU columns: {@code total (group value ...)} for the non-zero groups, in {@link ThreadCpu#GROUPS} order. */
  static String cpuCell(Map<String, Double> cpu) {
    if (cpu.isEmpty()) {
      return "—";
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%.0f:", cpu.values().stream().mapToDouble(Double::doubleValue).sum()));
    for (String g : ThreadCpu.GROUPS) {
      double v = cpu.getOrDefault(g, 0.0);
      if (v >= 0.5) {
        sb.append(String.format(Locale.ROOT, " %s %.0f", g, v));
      }
    }
    return sb.toString();
  }
}
