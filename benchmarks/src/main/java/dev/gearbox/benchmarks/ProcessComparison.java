package dev.gearbox.benchmarks;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineSnapshot;
import dev.gearbox.MapOptions;
import dev.gearbox.Task;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The process backend against its baselines, all measured in this run:
 *
 * <ol>
 *   <li>round trip of a trivial task vs a raw one-byte ping-pong over a child JVM's pipes, and vs
 *       Python's {@code ProcessPoolExecutor.submit().result()} when python3 exists;
 *   <li>{@code map} over 1,000,000 trivial inputs with no chunk size given vs Python's
 *       {@code multiprocessing.Pool(2).imap_unordered(chunksize=1000)}, both warmed by one map of
 *       100,000 inputs, then 8 maps each ({@code -Dmap.rounds}): the first 3 and the last 3
 *       reported, with the CPU of each JVM, bytes on the pipes and allocations per input;
 *   <li>cold start to first result (one worker) vs spawning a bare JVM and echoing one byte;
 *   <li>CPU-bound speedup: primes below 2,000,000 in 16 chunks on 2 workers vs one thread, after one run of
 *       the job and again after 20,000 tiny tasks (the per-task path compiled), with the thread backend;
 *   <li>{@code curve} (also {@code fresh}): the task-size curve ({@link FreshJob}): a 2 s job cut into
 *       tasks of 0.2 to 100 ms on 2 workers, over one thread, for fresh and warm engines of the process
 *       and thread levels, Python's pools and two bare JVMs, in interleaved rounds.
 *   <li>{@code rss}: each worker's resident memory ({@code VmRSS}, {@code RssAnon}, {@code RssFile} from
 *       {@code /proc/PID/status}) right after open, after 1,000 trivial tasks and after a {@code map}
 *       over 1,000,000 inputs, beside a Python {@code ProcessPoolExecutor(2)}'s and {@code Pool(2)}'s
 *       workers after the same.
 * </ol>
 * The round trip also counts voluntary context switches per trip, in the engine's JVM and its
 * workers' (every thread's {@code voluntary_ctxt_switches} in {@code /proc/PID/task/TID/status}).
 * Each figure is the median of several repetitions. System properties {@code gearbox.process.*}
 * given to this JVM configure every engine it opens (and the child JVMs of {@code fresh}), so that
 * worker flags can be compared run against run.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.gearbox.benchmarks.ProcessComparison [roundtrip|map|cold|cpu|curve|rss ...]</pre>
 */
public final class ProcessComparison {
  private static final int ROUND_TRIPS = 3_000;
  private static final int REPEATS = 5;

  private ProcessComparison() {}

  /** Runs every section, or those named: {@code roundtrip}, {@code map}, {@code cold}, {@code cpu}, {@code curve} (or {@code fresh}), {@code rss}. */
  public static void main(String[] args) throws Exception {
    List<String> all = List.of("roundtrip", "map", "cold", "cpu", "curve", "rss");
    List<String> sections = args.length == 0 ? all : Arrays.stream(args).map(a -> a.equals("fresh") ? "curve" : a).toList();
    if (!all.containsAll(sections)) {
      System.err.println("unknown section in " + sections + "; the sections are " + all + " (none given: all of them)");
      System.exit(2);
    }
    String cp = System.getProperty("java.class.path");
    String java = ProcessHandle.current().info().command().orElseThrow();
    List<String> rows = new ArrayList<>();

    // 1. round trip
    if (sections.contains("roundtrip")) {
      double[] rawRuns = new double[REPEATS];
      double[] engineRuns = new double[REPEATS];
      double[] engineSwitches = new double[REPEATS];
      double[] workerSwitches = new double[REPEATS];
      try (Engine e = open(2)) {
        for (int i = 0; i < REPEATS; i++) { // interleaved: raw, engine, raw, engine...
          rawRuns[i] = rawPingPongMicros(java, cp);
          double[] r = engineRoundTrip(e);
          engineRuns[i] = r[0];
          engineSwitches[i] = r[1];
          workerSwitches[i] = r[2];
        }
      }
      double raw = medianOf(rawRuns);
      double engine = medianOf(engineRuns);
      rows.add(String.format(Locale.ROOT, "| voluntary context switches per round trip | %.2f [%.2f–%.2f] (engine JVM %.2f, workers %.2f)"
          + " | — | — | round trip %.1f µs [%.1f–%.1f], raw %.1f µs [%.1f–%.1f]: %.2fx | <= 3 |",
          medianOf(sum(engineSwitches, workerSwitches)), min(sum(engineSwitches, workerSwitches)),
          max(sum(engineSwitches, workerSwitches)), medianOf(engineSwitches), medianOf(workerSwitches),
          engine, min(engineRuns), max(engineRuns), raw, min(rawRuns), max(rawRuns), engine / raw));
      Double py = python("""
          import time, concurrent.futures as cf
          def f():
              return 1
          if __name__ == '__main__':
              with cf.ProcessPoolExecutor(2) as ex:
                  for _ in range(300): ex.submit(f).result()
                  best = []
                  for _ in range(5):
                      n = 2000; t = time.perf_counter()
                      for _ in range(n): ex.submit(f).result()
                      best.append((time.perf_counter() - t) / n * 1e6)
                  best.sort(); print(best[2])
          """);
      rows.add(row("round trip, trivial task (µs)", engine, raw, "raw pipe ping-pong to a child JVM",
          py == null ? "Python: python3 absent, column skipped" : String.format(Locale.ROOT, "Python %.1f µs: the engine is %.2fx as fast", py, py / engine),
          "<= 2.5x raw; >= 3x faster than Python"));
    }

    // 2. map over 1M
    if (sections.contains("map")) {
      // Both sides the same way: one unmeasured map of 100,000 inputs, then MAP_ROUNDS maps of
      // 1,000,000; the first MAP_FIRST are reported as "first", the last MAP_FIRST as "warm".
      double[][] engine = new double[MAP_ROUNDS][];
      try (Engine e = open(2)) {
        mapRound(e, 100_000);
        for (int i = 0; i < MAP_ROUNDS; i++) {
          engine[i] = mapRound(e, 1_000_000);
        }
      }
      String pyRates = pythonLine("""
          import sys, time, multiprocessing as mp
          def f(x):
              return x + 1
          if __name__ == '__main__':
              with mp.Pool(2) as p:
                  sum(p.imap_unordered(f, range(100000), chunksize=1000))
                  rates = []
                  for _ in range(int(sys.argv[1])):
                      t = time.perf_counter(); s = sum(p.imap_unordered(f, range(1000000), chunksize=1000))
                      rates.append(1000000 / (time.perf_counter() - t))
                  print(' '.join(str(r) for r in rates))
          """, Integer.toString(MAP_ROUNDS));
      double[] py = pyRates == null ? null : Arrays.stream(pyRates.trim().split(" ")).mapToDouble(r -> Double.parseDouble(r) / 1e6).toArray();
      for (String phase : List.of("first", "warm")) {
        int from = phase.equals("first") ? 0 : MAP_ROUNDS - MAP_FIRST;
        double[] rate = column(engine, 0, from);
        double[] pyPart = py == null ? null : Arrays.copyOfRange(py, from, from + MAP_FIRST);
        rows.add(String.format(Locale.ROOT, "| map over 1,000,000 trivial inputs, %s %d maps (M inputs/s, median [range]) | %.2f [%.2f–%.2f]"
            + " | — | %s | Python Pool(2).imap_unordered(chunksize=1000)%s; per 1M inputs: engine JVM CPU %.0f ms, workers %.0f ms,"
            + " %.2f bytes per input on the pipes, %.1f bytes allocated per input in the engine JVM | >= 1.2x Python |",
            phase, MAP_FIRST, medianOf(rate), min(rate), max(rate),
            py == null ? "python3 absent" : String.format(Locale.ROOT, "%.2f [%.2f–%.2f]", medianOf(pyPart), min(pyPart), max(pyPart)),
            py == null ? "" : String.format(Locale.ROOT, ": engine/Python = %.2f", medianOf(rate) / medianOf(pyPart)),
            medianOf(column(engine, 1, from)), medianOf(column(engine, 2, from)), medianOf(column(engine, 3, from)),
            medianOf(column(engine, 4, from))));
      }
    }

    // 3. cold start
    if (sections.contains("cold")) {
      double bare = median(REPEATS, () -> bareJvmEchoMillis(java, cp));
      // The first open trains the workers' AOT cache (when the classpath is all JARs, as this
      // shaded JAR is); the measured opens start from it. The same without the cache, for the ratio.
      coldStartMillis("auto");
      double cold = median(REPEATS, () -> coldStartMillis("auto"));
      double coldNoAot = median(REPEATS, () -> coldStartMillis("off"));
      rows.add(row("cold start to first result (ms), workers from the AOT cache", cold, bare, "spawn a bare JVM and echo one byte",
          String.format(Locale.ROOT, "without the cache: %.1f ms (%.2fx)", coldNoAot, coldNoAot / bare), "<= 1.5x"));
    }

    // 4. CPU speedup, with where the rest of the time goes: the tasks time themselves, so the
    // workers' idle time between tasks (hand-offs waiting for a CPU) is what is left of 2 x wall.
    // The thread backend runs the same work in this JVM, for the cost of in-process hand-offs.
    // Each engine is measured twice: after one run of the job (the task's own code compiled where
    // it runs, as a user's engine is after its first job), and again after it ran PER_TASK_WARM_UP
    // tiny tasks of the same shape (the per-task path compiled in this JVM and in the workers) and
    // the job once more, untimed.
    if (sections.contains("cpu")) {
      long expected = Primes.countRanges(Primes.ranges(2_000_000, 16));
      double single = median(3, () -> millis(() -> Primes.countRanges(Primes.ranges(2_000_000, 16))));
      PrimesRun[] process;
      PrimesRun[] threads;
      try (Engine e = open(2)) {
        process = primesBeforeAndAfterWarmUp(e, expected);
      }
      try (Engine e = Engine.open(EngineConfig.newBuilder().backend("thread").workers(2).name("bench-threads").build())) {
        threads = primesBeforeAndAfterWarmUp(e, expected);
      }
      String[] when = {"after one run of the job", String.format(Locale.ROOT, "after %,d tiny tasks of the same shape and one run", PER_TASK_WARM_UP)};
      for (int i = 0; i < 2; i++) {
        PrimesRun p = process[i];
        rows.add(String.format(Locale.ROOT, "| primes below 2,000,000 in 16 chunks (ms), %s | %.0f on 2 workers | %.0f on one thread"
            + " | speedup %.2fx | workers idle %.1f ms per task between tasks (%.0f%% of 2 x wall); CPU per run: engine JVM %.0f ms"
            + " (compiler %.0f), workers' compilers %.0f ms; thread backend, same state: %.2fx, idle %.1f ms per task | >= 1.8x |",
            when[i], p.wallMillis, single, single / p.wallMillis, p.idlePerTaskMillis(), 100 * p.idleShare(), p.engineCpuMillis,
            p.engineCompilerMillis, p.workerCompilerMillis, single / threads[i].wallMillis, threads[i].idlePerTaskMillis()));
      }
    }

    // 5. the task-size curve: a 2 s job in tasks of 0.2 to 100 ms, fresh and warm, every level
    List<String> curve = sections.contains("curve") ? FreshJob.curve(java, cp) : List.of();

    // 6. the workers' resident memory
    if (sections.contains("rss")) {
      rows.add(rssRow());
    }

    if (!rows.isEmpty()) {
      System.out.println();
      System.out.println("| measurement | process backend | baseline | ratio | other | target |");
      System.out.println("|---|---|---|---|---|---|");
      rows.forEach(System.out::println);
    }
    if (!curve.isEmpty()) {
      System.out.println();
      curve.forEach(System.out::println);
    }
  }

  private static Engine open(int workers) {
    return Engine.open(newWorkers(withProcessProperties(EngineConfig.newBuilder())).backend("process").workers(workers)
        .name("bench-" + System.nanoTime()).build());
  }

  /**
   * Options that make an engine start worker JVMs of its own, as this runner's sections measure:
   * keep-warm 0 (it leaves no warm workers behind) and an environment entry no other engine's
   * workers have (so it takes none that another engine of this JVM left warm).
   */
  static EngineConfig.Builder newWorkers(EngineConfig.Builder b) {
    return b.option("gearbox.process.keep-warm", "0").option("gearbox.process.environment", "GEARBOX_BENCH_WORKERS=new");
  }

  /** The {@code gearbox.process.*} system properties of this JVM, as options of {@code b}. */
  static EngineConfig.Builder withProcessProperties(EngineConfig.Builder b) {
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("gearbox.process.")) {
        b.option(k, System.getProperty(k));
      }
    }
    return b;
  }

  /** The same properties as {@code -D} flags, for a child JVM. */
  static List<String> processPropertyFlags() {
    List<String> flags = new ArrayList<>();
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("gearbox.process.")) {
        flags.add("-D" + k + "=" + System.getProperty(k));
      }
    }
    return flags;
  }

  private static String row(String what, double engine, double base, String baseName, String other, String target) {
    return String.format(Locale.ROOT, "| %s | %.1f | %.1f (%s) | %.2fx | %s | %s |", what, engine, base, baseName, engine / base,
        other, target);
  }

  // ---------------------------------------------------------------- measurements

  private static double rawPingPongMicros(String java, String cp) throws Exception {
    return rawPingPongMicros(java, cp, ROUND_TRIPS);
  }

  /** One-byte round trips over a child JVM's stdin and stdout, after 2,000 untimed ones: µs each. */
  static double rawPingPongMicros(String java, String cp, int trips) throws Exception {
    Process p = new ProcessBuilder(java, "-cp", cp, PipeEcho.class.getName()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      OutputStream out = p.getOutputStream();
      InputStream in = p.getInputStream();
      for (int i = 0; i < 2_000; i++) {
        out.write(1);
        out.flush();
        in.read();
      }
      long t = System.nanoTime();
      for (int i = 0; i < trips; i++) {
        out.write(1);
        out.flush();
        if (in.read() < 0) {
          throw new IllegalStateException("echo child died");
        }
      }
      return (System.nanoTime() - t) / 1e3 / trips;
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static final Task<Integer> TRIVIAL = () -> 1;

  /** {µs per round trip, voluntary context switches per trip in the engine's JVM, in its workers'}, after 2,000 untimed trips. */
  private static double[] engineRoundTrip(Engine e) throws Exception {
    for (int i = 0; i < 2_000; i++) {
      e.submit(TRIVIAL).get();
    }
    long[] pids = workerPids(e);
    long self = ProcessHandle.current().pid();
    boolean byThread = Boolean.getBoolean("roundtrip.threads");
    java.util.Map<String, Long> engineThreads0 = byThread ? ContextSwitches.byThread(self) : java.util.Map.of();
    List<java.util.Map<String, Long>> workerThreads0 = byThread ? LongStream.of(pids).mapToObj(ContextSwitches::byThread).toList() : List.of();
    long engine0 = voluntarySwitches(self);
    long workers0 = LongStream.of(pids).map(ProcessComparison::voluntarySwitches).sum();
    long t = System.nanoTime();
    for (int i = 0; i < ROUND_TRIPS; i++) {
      e.submit(TRIVIAL).get();
    }
    double micros = (System.nanoTime() - t) / 1e3 / ROUND_TRIPS;
    long engine1 = voluntarySwitches(self);
    long workers1 = LongStream.of(pids).map(ProcessComparison::voluntarySwitches).sum();
    if (byThread) {
      printByThread("engine JVM", engineThreads0, ContextSwitches.byThread(self));
      for (int w = 0; w < pids.length; w++) {
        printByThread("worker pid " + pids[w], workerThreads0.get(w), ContextSwitches.byThread(pids[w]));
      }
    }
    return new double[] {micros, (engine1 - engine0) / (double) ROUND_TRIPS, (workers1 - workers0) / (double) ROUND_TRIPS};
  }

  /** Prints, per thread name, the voluntary switches per round trip between two readings (0.005 and more). */
  private static void printByThread(String process, java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
    StringBuilder line = new StringBuilder("  switches per trip, " + process + ":");
    after.forEach((name, n) -> {
      double perTrip = (n - before.getOrDefault(name, 0L)) / (double) ROUND_TRIPS;
      if (perTrip >= 0.005) {
        line.append(String.format(Locale.ROOT, " %s %.3f;", name, perTrip));
      }
    });
    System.out.println(line);
  }

  /** The process ids of the engine's live workers. */
  private static long[] workerPids(Engine e) {
    return e.snapshot(0).workers().stream().mapToLong(EngineSnapshot.WorkerInfo::pid).filter(p -> p > 0).toArray();
  }

  /**
   * The voluntary context switches of every thread of a process so far ({@code /proc/PID/status}
   * counts only its main thread); 0 where {@code /proc} is not there.
   */
  static long voluntarySwitches(long pid) {
    long[] switches = ContextSwitches.of(pid);
    return switches.length == 2 ? switches[0] : 0;
  }

  /** Maps of 1,000,000 inputs after the warm-up map, and how many of the first and of the last are reported. */
  static final int MAP_ROUNDS = Math.max(3, Integer.getInteger("map.rounds", 8));
  static final int MAP_FIRST = 3;

  /** The {@code MAP_FIRST} values of column {@code c} from round {@code from}. */
  private static double[] column(double[][] rounds, int c, int from) {
    return IntStream.range(from, from + MAP_FIRST).mapToDouble(i -> rounds[i][c]).toArray();
  }

  /**
   * One {@code map} of {@code n} trivial inputs: M inputs/s, then per 1,000,000 inputs the engine
   * JVM's CPU ms and its workers', then bytes on the pipes per input (both ways) and bytes this JVM
   * allocated per input.
   */
  private static double[] mapRound(Engine e, int n) {
    long[] pids = workerPids(e);
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long self = ProcessHandle.current().pid();
    long cpu0 = ThreadCpu.of(self).total();
    long workers0 = LongStream.of(pids).map(p -> ThreadCpu.of(p).total()).sum();
    long bytes0 = pipeBytes(e);
    long alloc0 = threads.getTotalThreadAllocatedBytes();
    double rate = mapRate(e, n);
    long alloc = threads.getTotalThreadAllocatedBytes() - alloc0;
    long bytes = pipeBytes(e) - bytes0;
    double perMillion = 1e6 / n;
    return new double[] {rate / 1e6, (ThreadCpu.of(self).total() - cpu0) * ThreadCpu.MILLIS_PER_TICK * perMillion,
        (LongStream.of(pids).map(p -> ThreadCpu.of(p).total()).sum() - workers0) * ThreadCpu.MILLIS_PER_TICK * perMillion,
        bytes / (double) n, alloc / (double) n};
  }

  /** Bytes sent and received on the engine's worker pipes so far (headers included). */
  private static long pipeBytes(Engine e) {
    return e.metrics().getCounters().entrySet().stream()
        .filter(c -> c.getKey().endsWith("process.bytes-sent") || c.getKey().endsWith("process.bytes-received"))
        .mapToLong(c -> c.getValue().getCount()).sum();
  }

  private static double mapRate(Engine e, int n) {
    long t = System.nanoTime();
    long sum;
    try (Stream<Integer> out = e.map(x -> x + 1, IntStream.range(0, n).boxed(), MapOptions.defaults())) {
      sum = out.mapToLong(Integer::longValue).sum();
    }
    if (sum != (long) n * (n + 1) / 2) {
      throw new IllegalStateException("wrong sum " + sum);
    }
    return n / ((System.nanoTime() - t) / 1e9);
  }

  /**
   * Each worker's {@code VmRSS}, {@code RssAnon} and {@code RssFile} (MB, the largest worker's) after
   * open (once every worker is ready), after 1,000 trivial tasks, after a {@code map} over 1,000,000
   * inputs; Python's workers after the same when python3 exists.
   */
  private static String rssRow() throws Exception {
    List<String> phases = new ArrayList<>();
    try (Engine e = open(2)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      List<EngineSnapshot.WorkerInfo> ws = e.snapshot(0).workers();
      while (ws.size() < 2 || !ws.stream().allMatch(w -> w.pid() > 0 && "READY".equals(w.state()))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("workers not ready: " + ws);
        }
        Thread.sleep(10);
        ws = e.snapshot(0).workers();
      }
      long[] pids = ws.stream().mapToLong(EngineSnapshot.WorkerInfo::pid).toArray();
      phases.add("open " + rss(pids));
      for (int i = 0; i < 1_000; i++) {
        e.submit(TRIVIAL).get();
      }
      phases.add("1,000 tasks " + rss(pids));
      mapRate(e, 1_000_000);
      phases.add("map 1M " + rss(pids));
    }
    String py = pythonLine("""
        import concurrent.futures as cf, multiprocessing as mp
        def f(x=0):
            return x + 1
        def rss(pids):
            best = None
            for pid in pids:
                v = {}
                for line in open('/proc/%d/status' % pid):
                    k, _, rest = line.partition(':')
                    if k in ('VmRSS', 'RssAnon', 'RssFile'):
                        v[k] = int(rest.split()[0]) / 1024
                if best is None or v['VmRSS'] > best['VmRSS']:
                    best = v
            return '%.1f MB (anon %.1f, file %.1f)' % (best['VmRSS'], best['RssAnon'], best['RssFile'])
        if __name__ == '__main__':
            out = []
            with cf.ProcessPoolExecutor(2) as ex:
                list(ex.map(f, range(2)))
                pids = list(ex._processes.keys())
                out.append('open ' + rss(pids))
                for _ in range(1000): ex.submit(f).result()
                out.append('1,000 tasks ' + rss(pids))
            with mp.Pool(2) as p:
                pids = [w.pid for w in p._pool]
                sum(p.imap_unordered(f, range(1000000), chunksize=1000))
                out.append('map 1M (Pool) ' + rss(pids))
            print('; '.join(out))
        """);
    System.err.println("rss: " + String.join("; ", phases) + " | Python: " + py);
    return "| worker resident memory (largest of 2 workers): VmRSS (RssAnon, RssFile) | " + String.join("; ", phases)
        + " | — | — | Python " + (py == null ? "(python3 absent)" : py) + " | idle <= 40 MB |";
  }

  /** VmRSS, RssAnon, RssFile of the process among {@code pids} with the largest VmRSS, in MB. */
  static String rss(long[] pids) {
    long[] best = null;
    for (long pid : pids) {
      long[] v = new long[3];
      try {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
          int i = line.startsWith("VmRSS:") ? 0 : line.startsWith("RssAnon:") ? 1 : line.startsWith("RssFile:") ? 2 : -1;
          if (i >= 0) {
            v[i] = Long.parseLong(line.substring(line.indexOf(':') + 1).strip().split("\\s+")[0]);
          }
        }
      } catch (java.io.IOException gone) {
        continue;
      }
      if (best == null || v[0] > best[0]) {
        best = v;
      }
    }
    return best == null ? "(no /proc)" : String.format(Locale.ROOT, "%.1f MB (anon %.1f, file %.1f)", best[0] / 1024.0,
        best[1] / 1024.0, best[2] / 1024.0);
  }

  private static double bareJvmEchoMillis(String java, String cp) throws Exception {
    long t = System.nanoTime();
    Process p = new ProcessBuilder(java, "-cp", cp, "-XX:+UseSerialGC", "-XX:-UsePerfData", PipeEcho.class.getName()).start();
    try {
      p.getOutputStream().write(1);
      p.getOutputStream().flush();
      if (p.getInputStream().read() < 0) {
        throw new IllegalStateException("echo child died");
      }
      return (System.nanoTime() - t) / 1e6;
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static double coldStartMillis(String aotCache) throws Exception {
    long t = System.nanoTime();
    try (Engine e = Engine.open(newWorkers(EngineConfig.newBuilder()).backend("process").workers(1).name("cold-" + System.nanoTime())
        .option("gearbox.process.aot-cache", aotCache).build())) {
      e.submit(TRIVIAL).get();
      return (System.nanoTime() - t) / 1e6;
    }
  }

  /**
   * One run of the primes on 2 workers: wall time, and the time the 16 tasks ran, as they measured
   * it; and the CPU time per run of this JVM (all of it, and its JIT compilers') and of the workers'
   * JIT compilers (zero on the thread backend), while the runs were timed.
   */
  record PrimesRun(double wallMillis, double busyMillis, double engineCpuMillis, double engineCompilerMillis,
      double workerCompilerMillis) {
    double idleShare() {
      return Math.max(0, 1 - busyMillis / (2 * wallMillis));
    }

    double idlePerTaskMillis() {
      return Math.max(0, 2 * wallMillis - busyMillis) / 16;
    }
  }

  /** Tiny tasks run before the second measurement of {@link #primesBeforeAndAfterWarmUp}. */
  static final int PER_TASK_WARM_UP = 20_000;

  /**
   * The median primes run after one untimed run, then after {@link #PER_TASK_WARM_UP} tiny tasks
   * through the same path ({@code timedRange} on a range of 100 numbers) and one more untimed run.
   */
  private static PrimesRun[] primesBeforeAndAfterWarmUp(Engine e, long expected) throws InterruptedException {
    timedPrimes(e, expected); // the task's own code compiled in the workers
    FreshJob.settle();
    PrimesRun afterOneRun = medianRun(e, expected);
    try (Stream<long[]> tiny = e.map(ProcessComparison::timedRange, java.util.Collections.nCopies(PER_TASK_WARM_UP, new long[] {0, 100}),
        MapOptions.newBuilder().chunkSize(1).build())) {
      tiny.forEach(r -> { });
    }
    // The tiny ranges leave the task's loop profiled on ranges of 100 numbers: one run of the job
    // again, untimed as before the first state, so the workers' JITs recompile it outside the timing.
    timedPrimes(e, expected);
    FreshJob.settle(); // the compilations the warm-up queued in this JVM end before the timing
    return new PrimesRun[] {afterOneRun, medianRun(e, expected)};
  }

  /** Counts the primes in a range and how long that took where it ran: {count, nanos}. */
  static long[] timedRange(long[] range) {
    long t = System.nanoTime();
    long count = Primes.countRange(range);
    return new long[] {count, System.nanoTime() - t};
  }

  private static PrimesRun timedPrimes(Engine e, long expected) {
    long self = ProcessHandle.current().pid();
    Map<Long, ThreadCpu> before = FreshJob.selfAndChildren();
    long t = System.nanoTime();
    long count = 0;
    long busy = 0;
    try (Stream<long[]> runs = e.map(ProcessComparison::timedRange, Arrays.asList(Primes.ranges(2_000_000, 16)),
        MapOptions.newBuilder().chunkSize(1).build())) {
      for (long[] r : (Iterable<long[]>) runs::iterator) {
        count += r[0];
        busy += r[1];
      }
    }
    double wall = (System.nanoTime() - t) / 1e6;
    check(count, expected);
    Map<String, Double> engine = ThreadCpu.of(self).since(before.get(self), java.util.Set.of(), 1000); // µs per 1,000: ms
    double workerCompilers = ThreadCpu.add(before.entrySet().stream().filter(b -> b.getKey() != self)
        .map(b -> ThreadCpu.of(b.getKey()).since(b.getValue(), java.util.Set.of(), 1000)).toList())
        .getOrDefault("compiler", 0.0);
    return new PrimesRun(wall, busy / 1e6, engine.values().stream().mapToDouble(Double::doubleValue).sum(),
        engine.getOrDefault("compiler", 0.0), workerCompilers);
  }

  static void check(long got, long expected) {
    if (got != expected) {
      throw new IllegalStateException("counted " + got + " primes, expected " + expected);
    }
  }

  /** The run of median wall time among 5, with the CPU figures averaged over the 5. */
  private static PrimesRun medianRun(Engine e, long expected) {
    List<PrimesRun> runs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      runs.add(timedPrimes(e, expected));
    }
    double engineCpu = runs.stream().mapToDouble(PrimesRun::engineCpuMillis).average().orElse(0);
    double engineCompiler = runs.stream().mapToDouble(PrimesRun::engineCompilerMillis).average().orElse(0);
    double workerCompiler = runs.stream().mapToDouble(PrimesRun::workerCompilerMillis).average().orElse(0);
    runs.sort(java.util.Comparator.comparingDouble(PrimesRun::wallMillis));
    PrimesRun m = runs.get(2);
    return new PrimesRun(m.wallMillis, m.busyMillis, engineCpu, engineCompiler, workerCompiler);
  }

  // ---------------------------------------------------------------- helpers

  @FunctionalInterface
  interface Measure {
    double get() throws Exception;
  }

  @FunctionalInterface
  interface Body {
    void run() throws Exception;
  }

  static double millis(Body body) throws Exception {
    long t = System.nanoTime();
    body.run();
    return (System.nanoTime() - t) / 1e6;
  }

  static double medianOf(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }

  static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }

  static double max(double[] v) {
    return Arrays.stream(v).max().orElse(Double.NaN);
  }

  static double[] sum(double[] a, double[] b) {
    double[] s = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      s[i] = a[i] + b[i];
    }
    return s;
  }

  static double median(int n, Measure m) throws Exception {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = m.get();
    }
    Arrays.sort(v);
    return v[n / 2];
  }

  /** Runs a Python snippet that prints one number; null when python3 is absent or fails. */
  static Double python(String script, String... args) {
    String line = pythonLine(script, args);
    try {
      return line == null ? null : Double.parseDouble(line);
    } catch (NumberFormatException e) {
      System.err.println("python3 printed no number: " + line);
      return null;
    }
  }

  /** Runs a Python snippet; its last line of output, or null when python3 is absent or fails. */
  static String pythonLine(String script, String... args) {
    try {
      Path f = Files.createTempFile("gearbox-bench", ".py");
      try {
        Files.writeString(f, script);
        List<String> cmd = new ArrayList<>(List.of("python3", f.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
          System.err.println("python3 failed: " + out);
          return null;
        }
        String[] lines = out.split("\n");
        return lines[lines.length - 1].strip();
      } finally {
        Files.deleteIfExists(f);
      }
    } catch (Exception e) {
      System.err.println("python3 not usable (" + e.getMessage() + "); skipping the Python column");
      return null;
    }
  }

  /** CPU-bound work: trial division, the same on every side of the comparison. */
  static final class Primes {
    private Primes() {}

    static long[][] ranges(long n, int chunks) {
      long step = (n + chunks - 1) / chunks;
      return LongStream.range(0, chunks).mapToObj(c -> new long[] {c * step, Math.min(n, (c + 1) * step)}).toArray(long[][]::new);
    }

    static long countRanges(long[][] ranges) {
      long total = 0;
      for (long[] r : ranges) {
        total += countRange(r);
      }
      return total;
    }

    static long countRange(long[] r) {
      long count = 0;
      for (long x = Math.max(2, r[0]); x < r[1]; x++) {
        boolean prime = x < 4 || (x & 1) != 0;
        for (long d = 3; prime && d * d <= x; d += 2) {
          prime = x % d != 0;
        }
        if (prime && (x == 2 || (x & 1) != 0)) {
          count++;
        }
      }
      return count;
    }
  }
}
