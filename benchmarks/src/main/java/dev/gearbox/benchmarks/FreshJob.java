package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A fresh engine's speed from its first task: {@code Engine.open} on 2 workers, then a 2 s job cut
 * into equal tasks that each spin for their size (5, 1 or 0.2 ms), until the last result; the
 * speedup is the same tasks' time on one thread divided by that. Four sides, measured in
 * interleaved rounds (each round: one thread, the first engine of a new JVM, a new engine in this
 * JVM that ran others, a warm engine, Python):
 *
 * <ul>
 *   <li><b>new JVM</b>: a child JVM ({@link #main}) times its first {@code Engine.open} and the job;
 *   <li><b>in an application</b>: this JVM opens a new engine each round (it has run engines before);
 *   <li><b>warm</b>: one engine per task size, kept open, that has run the job once before;
 *   <li><b>Python</b>: a fresh {@code concurrent.futures.ProcessPoolExecutor(2)}, created, fed and
 *       drained, against Python's own one-thread time of the same spins (skipped without python3).
 * </ul>
 * Closing is not timed on any side. Rounds: {@code -Dfresh.rounds} (default 3). The {@code gearbox.process.*}
 * system properties of this JVM configure every engine (see {@link ProcessComparison}).
 *
 * <pre>java -cp benchmarks.jar dev.gearbox.benchmarks.FreshJob MICROS TASKS   (the child: prints the milliseconds)</pre>
 */
public final class FreshJob {
  /** The whole job's work on one thread. */
  static final long JOB_MICROS = 2_000_000;
  static final int[] SIZES_MICROS = {5_000, 1_000, 200};

  private FreshJob() {}

  /** The child JVM's side: opens its first engine and runs the job; prints the milliseconds from open to the last result. */
  public static void main(String[] args) throws Exception {
    long micros = Long.parseLong(args[0]);
    int tasks = Integer.parseInt(args[1]);
    long t = System.nanoTime();
    try (Engine e = open()) {
      run(e, micros, tasks);
      System.out.println((System.nanoTime() - t) / 1e6);
      System.out.flush();
    }
  }

  static Engine open() {
    return Engine.open(ProcessComparison.withProcessProperties(EngineConfig.newBuilder()).backend("process").workers(2)
        .name("fresh-" + System.nanoTime()).build());
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

  static void run(Engine e, long micros, int tasks) throws Exception {
    long nanos = micros * 1_000;
    Task<Long> task = () -> spin(nanos);
    List<TaskFuture<Long>> fs = new ArrayList<>(tasks);
    for (int i = 0; i < tasks; i++) {
      fs.add(e.submit(task));
    }
    for (TaskFuture<Long> f : fs) {
      f.get();
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

  static double newJvmMillis(String java, String cp, long micros, int tasks) throws Exception {
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
      return Double.parseDouble(lines[lines.length - 1].strip());
    } finally {
      p.destroyForcibly();
    }
  }

  static double inAppMillis(long micros, int tasks) throws Exception {
    long t = System.nanoTime();
    Engine e = open();
    try {
      run(e, micros, tasks);
      return (System.nanoTime() - t) / 1e6;
    } finally {
      e.close();
    }
  }

  static double warmMillis(Engine e, long micros, int tasks) throws Exception {
    long t = System.nanoTime();
    run(e, micros, tasks);
    return (System.nanoTime() - t) / 1e6;
  }

  private static final String PYTHON = """
      import sys, time, concurrent.futures as cf
      def spin(s):
          t = time.perf_counter(); n = 0
          while time.perf_counter() - t < s:
              n += 1
          return n
      if __name__ == '__main__':
          s = int(sys.argv[1]) / 1e6; n = int(sys.argv[2])
          t = time.perf_counter()
          for _ in range(n): spin(s)
          one = time.perf_counter() - t
          t = time.perf_counter()
          ex = cf.ProcessPoolExecutor(2)
          fs = [ex.submit(spin, s) for _ in range(n)]
          for f in fs: f.result()
          pool = time.perf_counter() - t
          ex.shutdown()
          print(one / pool)
      """;

  /** Python's speedup of a fresh pool over its own one thread, or null when python3 is absent. */
  static Double pythonSpeedup(long micros, int tasks) {
    return ProcessComparison.python(PYTHON, Long.toString(micros), Integer.toString(tasks));
  }

  /** Every side for every task size, in interleaved rounds; one table row per size. */
  static List<String> rows(String java, String cp) throws Exception {
    int rounds = Integer.getInteger("fresh.rounds", 3);
    List<String> rows = new ArrayList<>();
    for (int size : SIZES_MICROS) {
      int tasks = (int) (JOB_MICROS / size);
      double[] newJvm = new double[rounds];
      double[] inApp = new double[rounds];
      double[] warm = new double[rounds];
      double[] py = new double[rounds];
      boolean pythonThere = true;
      try (Engine w = open()) {
        run(w, size, tasks); // warm: it has run the job once
        for (int r = 0; r < rounds; r++) {
          double one = oneThreadMillis(size, tasks);
          newJvm[r] = one / newJvmMillis(java, cp, size, tasks);
          inApp[r] = one / inAppMillis(size, tasks);
          warm[r] = one / warmMillis(w, size, tasks);
          Double p = pythonThere ? pythonSpeedup(size, tasks) : null;
          pythonThere = p != null;
          py[r] = p == null ? Double.NaN : p;
          System.err.printf(Locale.ROOT, "fresh %d µs x %d, round %d: new JVM %.2fx, in app %.2fx, warm %.2fx, Python %.2fx%n",
              size, tasks, r + 1, newJvm[r], inApp[r], warm[r], py[r]);
        }
      }
      rows.add(String.format(Locale.ROOT, "| fresh engine, 2 s job in %,d tasks of %s ms, 2 workers: speedup over one thread"
          + " | new JVM %s; new engine in a JVM that ran others %s | 1 thread | warm engine %s | Python fresh ProcessPoolExecutor(2) %s"
          + " | fresh %s; warm %s |", tasks, ms(size), cell(newJvm), cell(inApp), cell(warm),
          pythonThere ? cell(py) : "(python3 absent)", size >= 5_000 ? ">= 1.7x and >= Python" : size >= 1_000 ? ">= 1.5x and >= Python" : ">= Python",
          size == 1_000 ? ">= 1.85x" : size == 200 ? ">= 1.3x" : "—"));
    }
    return rows;
  }

  private static String ms(int micros) {
    return micros % 1_000 == 0 ? Integer.toString(micros / 1_000) : Double.toString(micros / 1_000.0);
  }

  private static String cell(double[] v) {
    return String.format(Locale.ROOT, "%.2fx [%.2f–%.2f]", ProcessComparison.medianOf(v), ProcessComparison.min(v),
        ProcessComparison.max(v));
  }
}
