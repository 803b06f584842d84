package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.MapOptions;
import dev.gearbox.TaskFuture;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The comparison runner: the same CPU-bound workload (primes in chunks) and I/O-bound workload
 * (tasks that wait) on every level on the classpath, and on Python's concurrent.futures pools
 * and asyncio when python3 is present. Every figure is a ratio to one thread of the same
 * language doing the same work in the same run. Writes a Markdown table and a PNG chart.
 *
 * <p>The CPU figures are measured in rounds: each round times one thread, then every level, in
 * turn, so that a slow moment of the machine falls on all of them alike; each level's speedup is
 * the median of its per-round speedups, shown with their range. The CPUs of a machine need not be
 * equally fast, and which one is slow can change between rounds, so where the thread can be pinned
 * ({@link CpuPinning}) the one thread is timed on each CPU in every round and each round is taken on
 * its own: the round's fastest CPU is its baseline, and the round's capacity bounds a real speedup
 * in that round ({@link Baseline}); elsewhere the baseline is unpinned and the bound is the core
 * count, and the table says which. A CPU speedup above its round's bound cannot be real: it is
 * reported as a measurement fault, never as a result. The levels themselves are never pinned.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Compare the levels side by side (and Python's concurrent.futures/asyncio); writes a table and a chart.")
final class BenchCommand implements Callable<Integer> {
  /** The per-task warm-up stops after this long on a level, whatever --warm-tasks says. */
  static final int WARM_SECONDS = 5;

  /** How many warm-up tasks each level ran, as "level count", for the table's header. */
  private final List<String> warmed = new ArrayList<>();

  @Option(names = "--n", description = "CPU workload: count primes below this (default: ${DEFAULT-VALUE})")
  long n = 4_000_000;

  @Option(names = "--chunks", description = "CPU workload: tasks the range is cut into (default: ${DEFAULT-VALUE})")
  int chunks = 16;

  @Option(names = "--waits", description = "I/O workload: tasks that each wait (default: ${DEFAULT-VALUE})")
  int waits = 100;

  @Option(names = "--wait", description = "I/O workload: how long each task waits (default: ${DEFAULT-VALUE})")
  Duration wait = Duration.ofMillis(20);

  @Option(names = "--repeat", description = "measurements per figure; the median is reported (default: ${DEFAULT-VALUE})")
  int repeat = 5;

  @Option(names = "--warm-tasks", description = "tiny tasks each level runs before the timing, so that its per-task path is"
      + " compiled as in a long-running application (default: ${DEFAULT-VALUE}; at most " + WARM_SECONDS + " s per level; 0: the"
      + " figures of an engine's first jobs)")
  int warmTasks = 20_000;

  @Option(names = "--backends", split = ",", description = "levels to compare (default: every backend on the classpath)")
  List<String> backends;

  @Option(names = "--workers", description = "gearbox.workers for every level (default: configuration, else one per core)")
  Integer workers;

  @Option(names = "--python", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "also measure Python when python3 is present (default: true)")
  boolean python;

  @Option(names = "--python-n", description = "Python's CPU workload (default: n / 10; pure Python is ~30x slower)")
  Long pythonN;

  @Option(names = "--out", description = "where the table and the chart go (default: ${DEFAULT-VALUE})")
  Path outDir = Path.of("target", "gearbox-bench");

  @Option(names = "--small", description = "a quick run with small sizes")
  boolean small;

  @Option(names = "--pin", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "time the one-thread baselines pinned to each CPU in turn and take each round's fastest (Linux, with taskset;"
          + " Python's with os.sched_setaffinity); --no-pin: one unpinned baseline, bounded by the core count (default: true)")
  boolean pin;

  @Spec
  CommandSpec spec;

  /**
   * One level's figures; NaN where the level does not run the workload, and no CPU speedups.
   * {@code cpuSpeedups} are the level's speedups in each round over that round's baseline
   * ({@link Baseline#speedups}), {@code baseline} the one-thread baseline of the level's language.
   */
  record Row(String level, double cpuSeconds, double[] cpuSpeedups, double ioSeconds, double ioSpeedup, Baseline baseline) {
    Row {
      cpuSpeedups = cpuSpeedups.clone();
    }

    /** The median of the per-round CPU speedups; NaN if none. */
    double cpuSpeedup() {
      return cpuSpeedups.length == 0 ? Double.NaN : median(cpuSpeedups);
    }

    double cpuLow() {
      return min(cpuSpeedups);
    }

    double cpuHigh() {
      return max(cpuSpeedups);
    }

    /** A CPU speedup above what the machine could do in its round measures the machine, not the level. */
    boolean cpuFault() {
      return cpuSpeedups.length > 0 && baseline.faultRound(cpuSpeedups) >= 0;
    }
  }

  /** The one-thread row of a language: its time is the median of the rounds' baselines, its speedup 1 in every round. */
  static Row baselineRow(String label, Baseline baseline, double ioSeconds) {
    double[] base = baseline.perRound();
    return new Row(label + " (" + baseline.whereText() + ")", median(base), baseline.speedups(base), ioSeconds,
        Double.isNaN(ioSeconds) ? Double.NaN : 1, baseline);
  }

  /** Each language's one-thread baseline, Java's then Python's (absent where Python did not run), for the second table. */
  private final Map<String, Baseline> baselines = new LinkedHashMap<>();

  static final int CORES = Runtime.getRuntime().availableProcessors();

  @Override
  public Integer call() throws Exception {
    if (small) {
      var parsed = spec.commandLine().getParseResult();
      n = parsed.hasMatchedOption("--n") ? n : 1_000_000;
      waits = parsed.hasMatchedOption("--waits") ? waits : 50;
      repeat = parsed.hasMatchedOption("--repeat") ? repeat : 3;
      warmTasks = parsed.hasMatchedOption("--warm-tasks") ? warmTasks : 5_000;
    }
    if (n < 2 || chunks < 1 || waits < 1 || repeat < 1 || wait.isNegative() || warmTasks < 0) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--n must be at least 2, --chunks, --waits and --repeat at least 1, and --wait and --warm-tasks not negative");
    }
    PrintWriter out = spec.commandLine().getOut();
    List<String> levels = backends != null ? backends : new ArrayList<>(Engine.backends());
    long waitMillis = wait.toMillis();
    out.printf(Locale.ROOT, "bench: CPU = primes below %,d in %d tasks; I/O = %d tasks that wait %d ms each; %d rounds;"
        + " each level warmed with %,d tiny tasks first%n", n, chunks, waits, waitMillis, repeat, warmTasks);
    out.flush();

    List<long[]> parts = chunks(n, chunks);
    long expected = Primes.countChunk(new long[] {0, n});
    int sample = Math.min(10, waits);
    long t0 = System.nanoTime();
    for (int i = 0; i < sample; i++) {
      Thread.sleep(waitMillis);
    }
    double javaIoOne = (System.nanoTime() - t0) / 1e9 / sample * waits;

    Measured oneThread = () -> {
      long c = 0;
      for (long[] p : parts) {
        c += Primes.countChunk(p);
      }
      check(c, expected, "one thread");
    };
    // The one-thread baseline: pinned to each CPU in turn where it can be, else unpinned.
    CpuPinning pinning = pin ? CpuPinning.probe() : null;
    String unpinnedWhy = pinning == null ? "--no-pin" : pinning.available() ? null : pinning.whyUnavailable();
    List<String> baselineWhere = new ArrayList<>();
    List<Timed> cpuRuns = new ArrayList<>();
    if (unpinnedWhy == null) {
      for (int cpu : pinning.cpus()) {
        baselineWhere.add("CPU " + cpu);
        cpuRuns.add(() -> {
          CpuPinning.Pinned pinned = pinning.pin(cpu);
          try {
            return time(oneThread);
          } finally {
            pinned.close();
          }
        });
      }
    } else {
      baselineWhere.add("unpinned");
      cpuRuns.add(() -> time(oneThread));
    }
    out.println(unpinnedWhy == null
        ? "  one thread: timed pinned to each of CPUs " + pinning.cpus() + " in every round; each round's fastest is its baseline"
        : "  one thread: timed unpinned (" + unpinnedWhy + "); speedups are bounded by the " + CORES + " cores");
    out.flush();

    List<String> labels = new ArrayList<>();
    List<Engine> engines = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    try {
      for (String level : levels) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put(EngineConfig.BACKEND, level);
        if (workers != null) {
          o.put(EngineConfig.WORKERS, String.valueOf(workers));
        }
        Engine engine = Engine.open(EngineConfig.load(o));
        engines.add(engine);
        PrimesExample.warmUp(engine);
        warmed.add(level + " " + String.format(Locale.ROOT, "%,d", warmPerTaskPath(engine)));
        labels.add("gearbox " + level + " (" + Example.describeParallelism(engine) + ")");
        cpuRuns.add(() -> time(() -> {
          long c;
          try (Stream<Long> counts = engine.mapUnordered(Primes::countChunk, parts, MapOptions.newBuilder().chunkSize(1).build())) {
            c = counts.mapToLong(Long::longValue).sum();
          }
          check(c, expected, level);
        }));
      }
      double[][] cpu = rounds(cpuRuns);
      int cpus = baselineWhere.size();
      Baseline java = Baseline.of(baselineWhere, Arrays.copyOf(cpu, cpus), unpinnedWhy);
      baselines.put("Java", java);
      rows.add(baselineRow("Java, one thread", java, javaIoOne));
      for (int i = 0; i < engines.size(); i++) {
        Engine engine = engines.get(i);
        double io = median(() -> {
          List<TaskFuture<Integer>> fs = new ArrayList<>(waits);
          for (int k = 0; k < waits; k++) {
            fs.add(engine.submit(() -> {
              Thread.sleep(waitMillis);
              return 1;
            }));
          }
          for (TaskFuture<Integer> f : fs) {
            f.get();
          }
        });
        Row row = new Row(labels.get(i), median(cpu[cpus + i]), java.speedups(cpu[cpus + i]), io, javaIoOne / io, java);
        rows.add(row);
        out.printf(Locale.ROOT, "  %-34s CPU %6.3f s (%s)   I/O %7.3f s (%6.1fx)%n", row.level(), row.cpuSeconds(),
            cpuCell(row), io, row.ioSpeedup());
        out.flush();
      }
    } finally {
      for (Engine engine : engines) { // each closed, whatever another's close throws
        try {
          engine.close();
        } catch (RuntimeException e) {
          out.println("  closing " + engine.name() + " failed: " + e);
        }
      }
    }
    return finish(rows, out, waitMillis); // Python runs once every engine is closed
  }

  /**
   * Runs {@code --warm-tasks} tiny tasks of the measured shape (a chunk of 100 numbers) on
   * {@code engine}, for at most {@value #WARM_SECONDS} s. A level whose tasks cross a process or a
   * machine runs code per task (encoding, frames, dispatch) in this JVM and in its workers, which
   * the JIT compiles only after it ran hundreds or thousands of times; 16 chunks a round never get
   * it there, so without this the rounds would measure the JIT's warm-up, not the level.
   */
  private long warmPerTaskPath(Engine engine) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARM_SECONDS);
    long[] range = {0, 100};
    // The inputs end at the deadline (or after --warm-tasks), so the warm-up overruns it by at most
    // the map's window of tasks already sent.
    Iterable<long[]> inputs = () -> Stream.generate(() -> range).limit(warmTasks)
        .takeWhile(r -> System.nanoTime() < deadline).iterator();
    try (Stream<Long> s = engine.mapUnordered(Primes::countChunk, inputs, MapOptions.newBuilder().chunkSize(1).build())) {
      return s.count();
    }
  }

  /** Writes the table, the chart and the notes. */
  private int finish(List<Row> rows, PrintWriter out, long waitMillis) throws Exception {
    String pythonNote = python ? runPython(rows, out) : "Python: not measured (--no-python).";
    String table = table(rows) + "\n" + baselineTable(baselines);
    String faults = rows.stream().anyMatch(Row::cpuFault) ? String.format(Locale.ROOT, "%nA CPU speedup above what the"
        + " machine can do (the \"fault above\" column) cannot be real: where one was measured the table says \"fault\" and"
        + " the chart leaves the bar out. Run again on a quieter machine.%n") : "";
    out.println();
    out.print(table);
    out.println(pythonNote);
    out.print(faults);
    Files.createDirectories(outDir);
    Path md = outDir.resolve("bench.md");
    // The whole command line as typed: it already starts with the subcommand (bench, or tour).
    String command = "./gearbox " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    Files.writeString(md, "# gearbox bench\n\nMade by `" + command.strip() + "`.\n\n" + String.format(Locale.ROOT,
        "CPU: primes below %,d in %d tasks. I/O: %d tasks that wait %d ms. Each level ran up to %,d tiny tasks (for at"
        + " most about %d s) before the timing (%s). %d rounds, each timing one thread (on each CPU in turn where it can be pinned) and then"
        + " every level, unpinned, in turn: a CPU speedup is the median of the per-round speedups, each over its round's"
        + " baseline, [lowest-highest]; times are medians. %d cores; Java %s.%n%n",
        n, chunks, waits, waitMillis, warmTasks, WARM_SECONDS, warmed.isEmpty() ? "none ran" : String.join(", ", warmed),
        repeat, CORES, Runtime.version())
        + table + "\n" + pythonNote + "\n" + faults, StandardCharsets.UTF_8);
    out.println("table: " + md.toAbsolutePath());
    try {
      Path png = BenchChart.write(rows, outDir.resolve("bench.png"));
      out.println("chart: " + png.toAbsolutePath());
    } catch (Exception | Error e) {
      // A headless JDK without fonts, say: the table is still there.
      out.println("chart: not written (" + e + ")");
    }
    out.flush();
    return 0;
  }

  private interface Measured {
    void run() throws Exception;
  }

  /** A run that times itself (in seconds), so that what it does around the timing (pinning) is left out. */
  private interface Timed {
    double seconds() throws Exception;
  }

  private static double time(Measured m) throws Exception {
    long t0 = System.nanoTime();
    m.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * One untimed round of every run (compiles their paths everywhere), then {@code repeat} rounds,
   * each timing every run once, in order. Returns the seconds per run and round.
   */
  private double[][] rounds(List<Timed> runs) throws Exception {
    for (Timed m : runs) {
      m.seconds();
    }
    double[][] t = new double[runs.size()][repeat];
    for (int r = 0; r < repeat; r++) {
      for (int i = 0; i < runs.size(); i++) {
        t[i][r] = runs.get(i).seconds();
      }
    }
    return t;
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }

  static double max(double[] v) {
    return Arrays.stream(v).max().orElse(Double.NaN);
  }

  /** One untimed run of exactly what is measured (compiles its path everywhere), then the median of {@code repeat}. */
  private double median(Measured m) throws Exception {
    m.run();
    double[] t = new double[repeat];
    for (int i = 0; i < repeat; i++) {
      t[i] = time(m);
    }
    return median(t);
  }

  private static void check(long got, long expected, String who) {
    if (got != expected) {
      throw new IllegalStateException(who + " counted " + got + " primes, expected " + expected);
    }
  }

  static List<long[]> chunks(long n, int k) {
    long step = (n + k - 1) / k;
    return LongStream.range(0, k).mapToObj(c -> new long[] {c * step, Math.min(n, (c + 1) * step)}).toList();
  }

  private static final Duration PYTHON_LIMIT = Duration.ofMinutes(10);

  private static void drain(InputStream in, java.io.OutputStream to) {
    try (in) {
      in.transferTo(to);
    } catch (IOException ignored) {
      // the process ended; what was read is kept
    }
  }

  /** Runs bench.py; adds its rows, or says why there are none. */
  private String runPython(List<Row> rows, PrintWriter out) throws IOException, InterruptedException {
    long pn = pythonN != null ? pythonN : n / 10;
    Path script = Files.createTempFile("gearbox-bench-", ".py");
    try {
      try (InputStream in = BenchCommand.class.getResourceAsStream("bench.py")) {
        Files.write(script, in.readAllBytes());
      }
      String params = String.format(Locale.ROOT, "{\"cpu_n\": %d, \"chunks\": %d, \"repeat\": %d, \"waits\": %d,"
          + " \"wait_ms\": %d, \"io_sample\": %d, \"pin\": %b}", pn, chunks, repeat, waits, wait.toMillis(), Math.min(10, waits),
          pin);
      Process p;
      try {
        p = new ProcessBuilder("python3", script.toString(), params).redirectErrorStream(false).start();
      } catch (IOException e) {
        return "Python: skipped (no python3 on the PATH).";
      }
      out.println("  python3 (CPU workload: primes below " + String.format(Locale.ROOT, "%,d", pn) + ") ...");
      out.flush();
      String stdout;
      try {
        p.getOutputStream().close();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream std = new java.io.ByteArrayOutputStream();
        Thread errReader = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), err));
        Thread outReader = Thread.ofVirtual().start(() -> drain(p.getInputStream(), std));
        if (!p.waitFor(PYTHON_LIMIT.toMinutes(), TimeUnit.MINUTES)) {
          return "Python: skipped (bench.py did not finish within " + PYTHON_LIMIT.toMinutes() + " minutes; try a smaller --python-n).";
        }
        outReader.join();
        errReader.join();
        stdout = std.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
          return "Python: skipped (bench.py failed: " + err.toString(StandardCharsets.UTF_8).strip() + ").";
        }
      } finally {
        // ProcessPoolExecutor's workers too, if Python is stopped early.
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      PythonFigures figures;
      try {
        figures = readPython(stdout, out);
      } catch (IllegalArgumentException e) {
        return "Python: skipped (bench.py's figures cannot be used: " + e.getMessage() + ").";
      }
      baselines.put("Python", figures.baseline());
      rows.addAll(figures.rows());
      return String.format(Locale.ROOT, "Python %s measured in the same run; its CPU workload is primes below %,d (pure"
          + " Python is ~30x slower), so compare its speedups, not its seconds.", figures.version(), pn);
    } finally {
      Files.deleteIfExists(script);
    }
  }

  /** What bench.py measured: its version, its one-thread baseline, and its rows, the one-thread row first. */
  record PythonFigures(String version, Baseline baseline, List<Row> rows) {}

  /** The kinds of line {@code bench.py} prints; other lines are reported and skipped. */
  private static final java.util.Set<String> PYTHON_KINDS = java.util.Set.of("version", "pin", "base", "cpu", "io");

  /**
   * Reads what bench.py printed, one tab-separated line per figure: "version\tpython\t3.11.7";
   * "pin\tpinned\t-" or "pin\tunpinned\t<why>"; "base\t<CPU n, or unpinned>\t<seconds of each round,
   * comma-separated>" for the one thread on each CPU; "cpu\t<level>\t<seconds of each round>"; and
   * "io\t<level>\t<median seconds>". The per-round arithmetic is {@link Baseline}'s, as for Java.
   * A line of another kind is reported on {@code out} and skipped; a measurement line that is
   * malformed or repeated, or a missing "pin" line, makes the figures unusable.
   *
   * @throws IllegalArgumentException if there is no baseline, a measurement line is malformed or
   *     repeated, or the rounds do not match up
   */
  static PythonFigures readPython(String stdout, PrintWriter out) {
    List<String> where = new ArrayList<>();
    List<double[]> base = new ArrayList<>();
    Map<String, double[]> cpu = new LinkedHashMap<>();
    Map<String, Double> io = new LinkedHashMap<>();
    String unpinnedWhy = null;
    String version = "?";
    boolean pinSaid = false;
    for (String line : stdout.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.strip().split("\t");
      String kind = f[0];
      if (!PYTHON_KINDS.contains(kind)) {
        out.println("  python3 printed a line that is not a measurement, ignored: " + line);
        continue;
      }
      // A measurement line that is malformed, or said twice, makes the figures unusable: skipping
      // it would silently change a baseline, a capacity or a speedup.
      if (f.length != 3) {
        throw new IllegalArgumentException("a '" + kind + "' line without three tab-separated fields: " + line);
      }
      try {
        switch (kind) {
          case "version" -> version = f[2].strip();
          case "pin" -> {
            pinSaid = true;
            unpinnedWhy = f[1].equals("pinned") ? null : f[2].strip();
          }
          case "base" -> {
            if (where.contains(f[1])) {
              throw new IllegalArgumentException("two baselines for " + f[1]);
            }
            base.add(perRound(f[2]));
            where.add(f[1]);
          }
          case "cpu" -> {
            if (cpu.put(f[1], perRound(f[2])) != null) {
              throw new IllegalArgumentException("two CPU figures for " + f[1]);
            }
          }
          case "io" -> {
            double seconds = Double.parseDouble(f[2]);
            if (!(seconds > 0) || Double.isInfinite(seconds)) {
              throw new NumberFormatException("not a positive time");
            }
            if (io.put(f[1], seconds) != null) {
              throw new IllegalArgumentException("two I/O figures for " + f[1]);
            }
          }
          default -> throw new AssertionError(kind); // not in PYTHON_KINDS: skipped above
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("a '" + kind + "' line with a figure that is not a time (" + e.getMessage() + "): " + line, e);
      }
    }
    if (base.isEmpty()) {
      throw new IllegalArgumentException("no one-thread baseline");
    }
    if (!pinSaid) {
      throw new IllegalArgumentException("bench.py did not say where its baseline ran");
    }
    if (unpinnedWhy != null && !where.equals(List.of("unpinned"))) {
      throw new IllegalArgumentException("an unpinned baseline must be one line labelled 'unpinned', not " + where);
    }
    Baseline baseline = Baseline.of(where, base.toArray(double[][]::new), unpinnedWhy);
    List<Row> rows = new ArrayList<>();
    double ioOne = io.getOrDefault("one thread", Double.NaN);
    rows.add(baselineRow("Python one thread", baseline, ioOne));
    java.util.Set<String> levels = new java.util.LinkedHashSet<>(cpu.keySet());
    levels.addAll(io.keySet());
    levels.remove("one thread");
    for (String level : levels) {
      double[] t = cpu.get(level);
      double ioSeconds = io.getOrDefault(level, Double.NaN);
      rows.add(new Row("Python " + level, t == null ? Double.NaN : median(t), t == null ? new double[0] : baseline.speedups(t),
          ioSeconds, ioOne / ioSeconds, baseline));
    }
    return new PythonFigures(version, baseline, List.copyOf(rows));
  }

  /** "0.41,0.40,0.42": one time per round, at least one, each a number. */
  private static double[] perRound(String commaSeparated) {
    double[] t = Arrays.stream(commaSeparated.split(",", -1)).map(String::strip).mapToDouble(Double::parseDouble).toArray();
    if (t.length == 0) {
      throw new NumberFormatException("no rounds");
    }
    return t;
  }

  static String table(List<Row> rows) {
    List<String[]> body = new ArrayList<>();
    for (Row r : rows) {
      body.add(new String[] {r.level(), fmt(r.cpuSeconds(), "%.3f s"), cpuCell(r), fmt(r.ioSeconds(), "%.3f s"),
          fmt(r.ioSpeedup(), "%.1fx")});
    }
    java.io.StringWriter sw = new java.io.StringWriter();
    PrintWriter pw = new PrintWriter(sw);
    Summary.printTable(pw, List.of("level", "CPU time", "CPU speedup", "I/O time", "I/O speedup"), body);
    pw.flush();
    return sw.toString();
  }

  /** The CPU speedup with its range, or the fault it is: the round furthest above its bound. */
  static String cpuCell(Row r) {
    if (r.cpuSpeedups().length == 0) {
      return "-";
    }
    int fault = r.baseline().faultRound(r.cpuSpeedups());
    if (fault >= 0) {
      return String.format(Locale.ROOT, "fault: %.2fx > %s", r.cpuSpeedups()[fault], r.baseline().boundText(fault));
    }
    return medianAndRange(r.cpuSpeedups(), "%.2f", "x");
  }

  /** "0.507 s [0.495-0.518]": the median of {@code values} and their range, or only the median when they are all equal. */
  static String medianAndRange(double[] values, String number, String unit) {
    double low = min(values);
    double high = max(values);
    String median = String.format(Locale.ROOT, number, median(values)) + unit;
    return low == high ? median : median + String.format(Locale.ROOT, " [" + number + "-" + number + "]", low, high);
  }

  /**
   * The one-thread time of each language on each CPU, which CPU was the fastest in how many rounds,
   * and the per-round capacity and bound of its speedups (median [lowest-highest] over the rounds);
   * or, where a baseline ran unpinned, why, and the core count.
   */
  static String baselineTable(Map<String, Baseline> baselines) {
    List<String> columns = new ArrayList<>();
    for (Baseline b : baselines.values()) {
      for (String where : b.where()) {
        if (!columns.contains(where)) {
          columns.add(where);
        }
      }
    }
    List<String> header = new ArrayList<>();
    header.add("one thread");
    header.addAll(columns);
    header.add("fastest");
    header.add("capacity");
    header.add("fault above");
    List<String[]> body = new ArrayList<>();
    StringBuilder notes = new StringBuilder();
    for (Map.Entry<String, Baseline> side : baselines.entrySet()) {
      Baseline b = side.getValue();
      String[] cells = new String[header.size()];
      Arrays.fill(cells, "-");
      cells[0] = side.getKey();
      for (int i = 0; i < b.where().size(); i++) {
        cells[1 + columns.indexOf(b.where().get(i))] = medianAndRange(b.seconds(i), "%.3f", " s");
      }
      cells[cells.length - 3] = b.fastestText();
      cells[cells.length - 2] = b.isPinned() ? medianAndRange(b.capacities(), "%.2f", "") : "-";
      cells[cells.length - 1] = b.isPinned() ? medianAndRange(b.bounds(), "%.2f", "") : CORES + " cores";
      body.add(cells);
      if (!b.isPinned()) {
        notes.append(String.format(Locale.ROOT, "%s's one thread ran unpinned (%s): its speedups are over wherever it"
            + " ran, and bounded by the %d cores.%n", side.getKey(), b.unpinnedWhy(), CORES));
      }
    }
    java.io.StringWriter sw = new java.io.StringWriter();
    PrintWriter pw = new PrintWriter(sw);
    Summary.printTable(pw, header, body);
    pw.flush();
    if (baselines.values().stream().anyMatch(Baseline::isPinned)) {
      notes.append(String.format(Locale.ROOT, "The one thread of each language is timed pinned to each CPU in every round"
          + " (median [lowest-highest] over the rounds). Which CPU is slow can change from one round to the next, so each"
          + " round is taken on its own: its fastest CPU's time is the round's baseline, a level's speedup in the round is"
          + " that baseline over the level's time, and the round's capacity, what all the CPUs together can do in units"
          + " of its fastest, is the sum over CPUs of (the round's fastest time / that CPU's time). A speedup above its"
          + " round's capacity by more than %.0f%%, or above one per CPU, is a measurement fault. Capacity and fault"
          + " above are median [lowest-highest] of the per-round figures.%n", Baseline.TOLERANCE * 100));
    }
    return sw + "\n" + notes;
  }

  private static String fmt(double v, String format) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
  }
}
