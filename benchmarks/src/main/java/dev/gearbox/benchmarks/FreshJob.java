package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineSnapshot;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The task-size curve: a 2 s job (its time on one thread) cut into equal tasks that each spin on
 * the wall clock for their size (0.2, 1, 5, 20 or 100 ms), run on 2 workers; the speedup is the
 * same tasks' time on one thread, measured in the same round, divided by the job's time. The sides,
 * in interleaved rounds (each round runs every side once, in this order):
 *
 * <ul>
 *   <li><b>process, fresh, new JVM</b>: a child JVM ({@link #main}) times its first
 *       {@code Engine.open} and the job;
 *   <li><b>process, fresh, in an application</b>: this JVM, which has run engines before, opens a new
 *       engine (open timed), twice: with keep-warm, so it takes the workers the last such engine left
 *       warm at its close (one unmeasured engine runs before the first round), and with keep-warm off,
 *       so it starts new worker JVMs ({@link #open});
 *   <li><b>process, warm</b>: one engine kept open for the whole run, which ran a fixed warm-up of
 *       {@code curve.warmup} tiny tasks (default 30,000: its JITs settle after about 25,000) before
 *       its first timed job, and then every job before this one;
 *   <li><b>thread, fresh and warm</b>: the same two on the thread level;
 *   <li><b>Python</b>: a fresh {@code concurrent.futures.ProcessPoolExecutor(2)} and a fresh
 *       {@code multiprocessing.Pool(2)} (created, fed one task per spin, drained), and each again
 *       warm (the same pool's second job), against Python's own one-thread time of the same spins,
 *       all in one Python process per round (skipped without python3);
 *   <li><b>JVM ceiling</b>: two bare child JVMs ({@link SpinChild}: no engine, default flags), each
 *       spinning half of the tasks, timed from spawn to both exits: the bound any pool of fresh JVMs
 *       can reach on this machine.
 * </ul>
 * Closing is not timed. A speedup above 2 (the cores) is printed as a measurement fault. Each
 * engine side also reports, for its median round, where the time went ({@link JobRun}: busy and
 * idle time per task as the tasks saw it, CPU per task by JVM and thread group from {@code /proc}).
 * Knobs: {@code -Dcurve.rounds} (default 3), {@code -Dcurve.sizes} (task sizes in µs, comma
 * separated), {@code -Dcurve.warmup} (tasks). The {@code gearbox.process.*} system properties of
 * this JVM configure every process engine, the new-JVM side's too (see {@link ProcessComparison}).
 *
 * <pre>java -cp benchmarks.jar dev.gearbox.benchmarks.FreshJob MICROS TASKS   (the child: prints a {@link JobRun} line)</pre>
 */
public final class FreshJob {
  /** The whole job's work on one thread. */
  static final long JOB_MICROS = 2_000_000;
  private static final String SIZES = "200,1000,5000,20000,100000";
  private static final long WARMUP_MICROS = 20;
  private static final long PID = ProcessHandle.current().pid();
  private static final ThreadLocal<Long> KERNEL_TID = ThreadLocal.withInitial(FreshJob::kernelTid);

  private FreshJob() {}

  /** The child JVM's side: opens its first engine and runs the job; prints its {@link JobRun}. */
  public static void main(String[] args) throws Exception {
    JobRun r = job(null, "process", Long.parseLong(args[0]), Integer.parseInt(args[1]));
    System.out.println(r.toLine());
    System.out.flush();
  }

  /** The in-app side that leaves its workers warm at close and takes those the last one left. */
  static final String KEEP_WARM = "process, keep-warm";
  /** The in-app side that neither takes nor leaves warm workers: every open starts new worker JVMs. */
  static final String NO_KEEP_WARM = "process, keep-warm off";

  /**
   * A new engine on 2 workers: {@code "thread"}, {@code "process"} (the defaults), {@link #KEEP_WARM}
   * (keep-warm 5 minutes, longer than a round of every side) or {@link #NO_KEEP_WARM} (keep-warm 0,
   * and an environment entry of its own, so its launch is no other side's and it takes no worker
   * another side left).
   */
  static Engine open(String side) {
    EngineConfig.Builder b = ProcessComparison.withProcessProperties(EngineConfig.newBuilder()).workers(2).name("curve-" + System.nanoTime());
    switch (side) {
      case "thread", "process" -> b.backend(side);
      case KEEP_WARM -> b.backend("process").option("gearbox.process.keep-warm", "5m");
      case NO_KEEP_WARM -> b.backend("process").option("gearbox.process.keep-warm", "0")
          .option("gearbox.process.environment", "GEARBOX_CURVE_SIDE=no-keep-warm");
      default -> throw new IllegalArgumentException(side);
    }
    return Engine.open(b.build());
  }

  /** Spins for {@code nanos}; returns how often it looked at the clock (so the loop is not optimized away). */
  static long spin(long nanos) {
    long start = System.nanoTime();
    long n = 0;
    while (System.nanoTime() - start < nanos) {
      n++;
    }
    return n;
  }

  /** The calling thread's kernel thread id ({@code /proc/thread-self}), or its Java id where that is not there. */
  private static long kernelTid() {
    try {
      return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    } catch (Exception notLinux) {
      return Thread.currentThread().threadId();
    }
  }

  /** Submits the job's tasks, then waits for each: every task's {@code {start, end, pid, kernel tid}}. */
  static List<long[]> run(Engine e, long micros, int tasks) throws Exception {
    long nanos = micros * 1_000;
    Task<long[]> task = () -> {
      long start = System.nanoTime();
      spin(nanos);
      long end = System.nanoTime();
      return new long[] {start, end, PID, KERNEL_TID.get()};
    };
    List<TaskFuture<long[]>> fs = new ArrayList<>(tasks);
    for (int i = 0; i < tasks; i++) {
      fs.add(e.submit(task));
    }
    List<long[]> records = new ArrayList<>(tasks);
    for (TaskFuture<long[]> f : fs) {
      records.add(f.get());
    }
    return records;
  }

  /** The CPU so far of this JVM and of each of its child processes, by process id. */
  static Map<Long, ThreadCpu> selfAndChildren() {
    Map<Long, ThreadCpu> now = new HashMap<>();
    now.put(PID, ThreadCpu.of(PID));
    ProcessHandle.current().children().forEach(c -> now.put(c.pid(), ThreadCpu.of(c.pid())));
    return now;
  }

  /**
   * One timed job: on {@code kept}, or (when null) on a new engine of {@code backend}, opened inside
   * the timing and closed after it. The CPU of this JVM and of the workers is counted from just
   * before the start (a worker started for the job: from its birth) to the last result.
   */
  static JobRun job(Engine kept, String backend, long micros, int tasks) throws Exception {
    Map<Long, ThreadCpu> before;
    if (kept == null) {
      // a new engine may take workers another engine left warm: their CPU counts from here, not from their birth
      before = selfAndChildren();
    } else {
      before = new HashMap<>();
      before.put(PID, ThreadCpu.of(PID));
      for (EngineSnapshot.WorkerInfo w : kept.snapshot(0).workers()) {
        if (w.pid() > 0 && w.pid() != PID) {
          before.put(w.pid(), ThreadCpu.of(w.pid()));
        }
      }
    }
    long t0 = System.nanoTime();
    Engine e = kept != null ? kept : open(backend);
    try {
      List<long[]> records = run(e, micros, tasks);
      long t1 = System.nanoTime();
      Set<Long> taskThreads = records.stream().map(r -> r[3]).collect(Collectors.toSet());
      Map<String, Double> caller = ThreadCpu.of(PID).since(before.get(PID), taskThreads, tasks);
      List<Map<String, Double>> workers = records.stream().map(r -> r[2]).filter(p -> p != PID).distinct()
          .map(p -> ThreadCpu.of(p).since(before.getOrDefault(p, ThreadCpu.NONE), taskThreads, tasks)).toList();
      return JobRun.of(records, t0, t1, caller, ThreadCpu.add(workers));
    } finally {
      if (kept == null) {
        e.close();
      }
    }
  }

  static double oneThreadMillis(long micros, int tasks) {
    long t = System.nanoTime();
    long sink = 0;
    for (int i = 0; i < tasks; i++) {
      sink += spin(micros * 1_000);
    }
    if (sink < 0) {
      throw new IllegalStateException();
    }
    return (System.nanoTime() - t) / 1e6;
  }

  static JobRun newJvmJob(String java, String cp, long micros, int tasks) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", cp));
    cmd.addAll(ProcessComparison.processPropertyFlags());
    cmd.addAll(List.of(FreshJob.class.getName(), Long.toString(micros), Integer.toString(tasks)));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (InputStream in = p.getInputStream()) {
      String out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("the child JVM failed: " + out);
      }
      String[] lines = out.split("\n");
      return JobRun.parse(lines[lines.length - 1]);
    } finally {
      p.destroyForcibly();
    }
  }

  /** Two bare JVMs, each spinning half of the tasks: milliseconds from spawning them to both exits. */
  static double ceilingMillis(String java, String cp, long micros, int tasks) throws Exception {
    long t = System.nanoTime();
    List<Process> ps = new ArrayList<>();
    try {
      for (int half : new int[] {tasks / 2, tasks - tasks / 2}) {
        ps.add(new ProcessBuilder(java, "-cp", cp, SpinChild.class.getName(), Long.toString(micros), Integer.toString(half))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start());
      }
      for (Process p : ps) {
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("a ceiling child JVM failed");
        }
      }
      return (System.nanoTime() - t) / 1e6;
    } finally {
      ps.forEach(Process::destroyForcibly);
    }
  }

  private static final String PYTHON = """
      import sys, time, concurrent.futures as cf, multiprocessing as mp
      def spin(s):
          t = time.perf_counter(); n = 0
          while time.perf_counter() - t < s:
              n += 1
          return n
      def job(submit, n, s):
          for r in [submit(s) for _ in range(n)]: r()
      if __name__ == '__main__':
          s = int(sys.argv[1]) / 1e6; n = int(sys.argv[2])
          t = time.perf_counter()
          for _ in range(n): spin(s)
          one = time.perf_counter() - t
          out = []
          t = time.perf_counter()
          ex = cf.ProcessPoolExecutor(2)
          job(lambda s: ex.submit(spin, s).result, n, s)
          out.append(one / (time.perf_counter() - t))
          t = time.perf_counter()
          job(lambda s: ex.submit(spin, s).result, n, s)
          out.append(one / (time.perf_counter() - t))
          ex.shutdown()
          t = time.perf_counter()
          p = mp.Pool(2)
          job(lambda s: p.apply_async(spin, (s,)).get, n, s)
          out.append(one / (time.perf_counter() - t))
          t = time.perf_counter()
          job(lambda s: p.apply_async(spin, (s,)).get, n, s)
          out.append(one / (time.perf_counter() - t))
          p.close(); p.join()
          print(' '.join(str(x) for x in out))
      """;

  /**
   * Python's speedups over its own one thread: {@code ProcessPoolExecutor(2)} fresh and warm,
   * {@code Pool(2)} fresh and warm; null when python3 is absent.
   */
  static double[] pythonSpeedups(long micros, int tasks) {
    String line = ProcessComparison.pythonLine(PYTHON, Long.toString(micros), Integer.toString(tasks));
    return line == null ? null : Arrays.stream(line.split(" ")).mapToDouble(Double::parseDouble).toArray();
  }

  /** An engine kept open, and how many tasks it has run. */
  private static final class Warm implements AutoCloseable {
    final Engine engine;
    long ran;

    Warm(String backend, int warmup) throws Exception {
      engine = open(backend);
      run(engine, WARMUP_MICROS, warmup);
      ran = warmup;
    }

    JobRun job(long micros, int tasks) throws Exception {
      JobRun r = FreshJob.job(engine, null, micros, tasks);
      ran += tasks;
      return r;
    }

    @Override
    public void close() {
      engine.close();
    }
  }

  private static final String[] SIDES = {"process fresh, new JVM", "process fresh, in app (warm workers kept)", "process fresh, in app, keep-warm off",
      "process warm", "thread fresh", "thread warm"};
  private static final String[] PY_SIDES = {"PPE(2) fresh", "PPE(2) warm", "Pool(2) fresh", "Pool(2) warm"};

  /** Every side for every task size, in interleaved rounds: the curve table and the where-the-time-went table. */
  static List<String> curve(String java, String cp) throws Exception {
    long start = System.nanoTime();
    int rounds = Integer.getInteger("curve.rounds", 3);
    int warmup = Integer.getInteger("curve.warmup", 30_000);
    int[] sizes = Arrays.stream(System.getProperty("curve.sizes", SIZES).split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
    List<String> curve = new ArrayList<>();
    List<String> where = new ArrayList<>();
    boolean pythonThere = true;
    try (Warm pw = new Warm("process", warmup); Warm tw = new Warm("thread", warmup)) {
      job(null, KEEP_WARM, WARMUP_MICROS, 1_000); // the application's engine before the first round, which leaves its workers warm
      for (int size : sizes) {
        int tasks = (int) (JOB_MICROS / size);
        double[] one = new double[rounds];
        JobRun[][] runs = new JobRun[SIDES.length][rounds];
        double[][] py = new double[PY_SIDES.length][rounds];
        double[] ceiling = new double[rounds];
        long processWarmRan = pw.ran;
        long threadWarmRan = tw.ran;
        for (int r = 0; r < rounds; r++) {
          settle();
          one[r] = oneThreadMillis(size, tasks);
          settle();
          runs[0][r] = newJvmJob(java, cp, size, tasks);
          settle();
          runs[1][r] = job(null, KEEP_WARM, size, tasks);
          settle();
          runs[2][r] = job(null, NO_KEEP_WARM, size, tasks);
          settle();
          runs[3][r] = pw.job(size, tasks);
          settle();
          runs[4][r] = job(null, "thread", size, tasks);
          settle();
          runs[5][r] = tw.job(size, tasks);
          settle();
          double[] p = pythonThere ? pythonSpeedups(size, tasks) : null;
          pythonThere = p != null;
          for (int i = 0; i < PY_SIDES.length; i++) {
            py[i][r] = p == null ? Double.NaN : p[i];
          }
          settle();
          ceiling[r] = one[r] / ceilingMillis(java, cp, size, tasks);
          StringBuilder progress = new StringBuilder(String.format(Locale.ROOT, "curve %s ms x %d, round %d: one thread %.0f ms",
              ms(size), tasks, r + 1, one[r]));
          for (int s = 0; s < SIDES.length; s++) {
            progress.append(String.format(Locale.ROOT, ", %s %.2fx", SIDES[s], one[r] / runs[s][r].millis()));
          }
          for (int i = 0; i < PY_SIDES.length; i++) {
            progress.append(String.format(Locale.ROOT, ", %s %.2fx", PY_SIDES[i], py[i][r]));
          }
          System.err.println(progress.append(String.format(Locale.ROOT, ", JVM ceiling %.2fx", ceiling[r])));
        }
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s ms × %,d | %.0f [%.0f–%.0f] ms", ms(size), tasks,
            ProcessComparison.medianOf(one), ProcessComparison.min(one), ProcessComparison.max(one)));
        for (int s = 0; s < SIDES.length; s++) {
          int side = s;
          double[] speedups = new double[rounds];
          Arrays.setAll(speedups, r -> one[r] / runs[side][r].millis());
          row.append(" | ").append(cell(speedups));
          JobRun m = medianRun(runs[s]);
          where.add(String.format(Locale.ROOT, "| %s ms | %s | %.0f | %.0f | %.0f | %.1f | %.1f | %s | %s |", ms(size), SIDES[s], m.millis(),
              m.busyUs(), m.idleUs(), m.headMs(), m.tailMs(), JobRun.cpuCell(m.callerCpu()), JobRun.cpuCell(m.workerCpu())));
        }
        for (double[] p : py) {
          row.append(" | ").append(pythonThere ? cell(p) : "python3 absent");
        }
        row.append(" | ").append(cell(ceiling)).append(String.format(Locale.ROOT, " | %,d / %,d |", processWarmRan, threadWarmRan));
        curve.add(row.toString());
      }
    }
    List<String> out = new ArrayList<>();
    out.add(String.format(Locale.ROOT, "Task-size curve: a 2 s job on 2 workers, speedup over one thread in the same round, median [range] of %d"
        + " rounds; warm engines ran %,d tasks of %d µs before their first timed job, then every job before (last column); whole"
        + " run %.0f s.", rounds, warmup, WARMUP_MICROS, (System.nanoTime() - start) / 1e9));
    out.add("");
    out.add("| task size × tasks | one thread | " + String.join(" | ", SIDES) + " | " + String.join(" | ", PY_SIDES)
        + " | JVM ceiling (2 bare JVMs) | tasks the warm engines ran before (process / thread) |");
    out.add("|---".repeat(SIDES.length + PY_SIDES.length + 4) + "|");
    out.addAll(curve);
    out.add("");
    out.add("Where the time went (each side's median round): busy and idle per task as the tasks timed themselves (idle: between a"
        + " worker's consecutive tasks, summed over workers), head (start to a worker's first task) and tail (its last task to the"
        + " last result), means over the 2 workers; CPU µs per task from /proc (10 ms ticks), from the start (a fresh worker: from its"
        + " birth) to the last result: total, then by thread group (compiler: C1/C2; gearbox: the engine's threads; tasks: the"
        + " threads that ran tasks; main: the submitting thread, in a worker its start-up thread; gc: GC and VM threads).");
    out.add("");
    out.add("| size | side | wall ms | busy µs/task | idle µs/task | head ms | tail ms | caller JVM CPU µs/task | worker JVMs CPU µs/task |");
    out.add("|---|---|---|---|---|---|---|---|---|");
    out.addAll(where);
    return out;
  }

  /**
   * Waits (at most 2 s) until this JVM has used at most one 10 ms tick of CPU in 50 ms, so that
   * what one side leaves behind (its JIT compilations, a closed engine's threads ending) does not
   * run inside the next side's timing.
   */
  static void settle() throws InterruptedException {
    long deadline = System.nanoTime() + 2_000_000_000L;
    long last = ThreadCpu.of(PID).total();
    while (System.nanoTime() < deadline) {
      Thread.sleep(50);
      long now = ThreadCpu.of(PID).total();
      if (now - last <= 1) {
        return;
      }
      last = now;
    }
  }

  private static JobRun medianRun(JobRun[] runs) {
    JobRun[] sorted = runs.clone();
    Arrays.sort(sorted, Comparator.comparingDouble(JobRun::millis));
    return sorted[sorted.length / 2];
  }

  private static String ms(int micros) {
    return micros % 1_000 == 0 ? Integer.toString(micros / 1_000) : Double.toString(micros / 1_000.0);
  }

  /** {@code median [min–max]}, or a fault when a round measured more than the 2 cores allow. */
  private static String cell(double[] v) {
    String range = String.format(Locale.ROOT, "%.2fx [%.2f–%.2f]", ProcessComparison.medianOf(v), ProcessComparison.min(v),
        ProcessComparison.max(v));
    return ProcessComparison.max(v) > 2.0 ? "FAULT (above 2 cores): " + range : range;
  }
}
