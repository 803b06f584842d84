package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.MapOptions;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The demo that {@code ./gearbox demo} runs: counts primes below N in chunks on whatever backend
 * the configuration picks, shows a progress bar, a timeout that stops its task, and a summary
 * with the speedup over one thread. The code never names a backend: change
 * {@code gearbox.backend} (system property, {@code GEARBOX_BACKEND}, or {@code gearbox.properties})
 * and the same program runs on another level.
 *
 * <pre>./gearbox demo [--backend thread|direct] [--workers N] [--n 5000000] [--chunks 64]</pre>
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) throws Exception {
    long n = 3_000_000;
    int chunks = 48;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--backend" -> System.setProperty(EngineConfig.BACKEND, require(a, v));
        case "--workers" -> System.setProperty(EngineConfig.WORKERS, require(a, v));
        case "--n" -> n = Long.parseLong(require(a, v).replace("_", ""));
        case "--chunks" -> chunks = Integer.parseInt(require(a, v));
        case "-h", "--help" -> {
          System.out.println("usage: ./gearbox demo [--backend NAME] [--workers N] [--n LIMIT] [--chunks K]");
          return;
        }
        default -> {
          System.err.println("demo: unknown argument '" + a + "'. Try --help.");
          System.exit(2);
        }
      }
      if (!a.startsWith("-h")) {
        i++;
      }
    }
    Engine engine;
    try {
      engine = Engine.open();
    } catch (EngineConfigException e) {
      System.err.println("demo: " + e.getMessage());
      System.exit(2);
      return;
    }
    try (engine) {
      run(engine, n, chunks);
    }
  }

  private static String require(String flag, String value) {
    if (value == null) {
      System.err.println("demo: " + flag + " needs a value");
      System.exit(2);
    }
    return value;
  }

  static void run(Engine engine, long n, int chunks) throws Exception {
    System.out.printf(Locale.ROOT, "Gearbox demo: counting primes below %,d in %d chunks%n", n, chunks);
    System.out.printf(Locale.ROOT, "backend: %s, %s task(s) at once%n%n", engine.backendName(),
        engine.parallelism() == Integer.MAX_VALUE ? "any number of" : String.valueOf(engine.parallelism()));

    // Warm the JIT first (here, and in the engine's workers wherever they are), so that neither
    // measurement below pays for compilation.
    for (int i = 0; i < 5; i++) {
      Primes.countChunk(new long[] {0, 300_000});
    }
    try (Stream<Long> warm = engine.map(Primes::countChunk,
        java.util.List.of(new long[] {0, 300_000}, new long[] {0, 300_000}, new long[] {0, 300_000}, new long[] {0, 300_000}),
        MapOptions.newBuilder().chunkSize(1).build())) {
      warm.forEach(c -> { });
    }

    // 1. CPU-bound work with map: the same call on every backend.
    long step = (n + chunks - 1) / chunks;
    long t0 = System.nanoTime();
    long primes = 0;
    int done = 0;
    ProgressBar bar = new ProgressBar("primes", chunks);
    try (Stream<Long> counts = engine.mapUnordered(Primes::countChunk,
        () -> LongStream.range(0, chunks).mapToObj(c -> new long[] {c * step, Math.min(n, (c + 1) * step)}).iterator(),
        MapOptions.defaults())) {
      for (long c : (Iterable<Long>) counts::iterator) {
        primes += c;
        bar.update(++done);
      }
    }
    bar.finish();
    double parallel = (System.nanoTime() - t0) / 1e9;

    long t1 = System.nanoTime();
    long check = Primes.countChunk(new long[] {0, n});
    double single = (System.nanoTime() - t1) / 1e9;
    if (check != primes) {
      throw new IllegalStateException("engine counted " + primes + " primes but one thread counted " + check);
    }

    // 2. A task that overruns its timeout: the caller gets the timeout at the deadline.
    TaskFuture<Long> slow = engine.submit(() -> Primes.countChunk(new long[] {0, Long.MAX_VALUE / 2}),
        TaskOptions.newBuilder().name("endless").timeout(Duration.ofMillis(300)).build());
    String timeout;
    try {
      slow.get();
      timeout = "finished?!";
    } catch (ExecutionException e) {
      timeout = e.getCause() instanceof TaskTimeoutException t
          ? "TaskTimeoutException at " + t.timeout().toMillis() + " ms"
          : e.getCause().toString();
    }

    System.out.println();
    System.out.printf(Locale.ROOT, "| %-22s | %-34s |%n", "what", "result");
    System.out.printf(Locale.ROOT, "|%s|%s|%n", "-".repeat(24), "-".repeat(36));
    System.out.printf(Locale.ROOT, "| %-22s | %-34s |%n", "primes below " + compact(n), String.format(Locale.ROOT, "%,d", primes));
    System.out.printf(Locale.ROOT, "| %-22s | %-34s |%n", "time on " + engine.backendName(), String.format(Locale.ROOT, "%.2f s", parallel));
    System.out.printf(Locale.ROOT, "| %-22s | %-34s |%n", "time on one thread", String.format(Locale.ROOT, "%.2f s", single));
    System.out.printf(Locale.ROOT, "| %-22s | %-34s |%n", "speedup", String.format(Locale.ROOT, "%.2fx", single / parallel));
    System.out.printf(Locale.ROOT, "| %-22s | %-34s |%n", "timeout after 300 ms", truncate(timeout, 34));
    System.out.printf(Locale.ROOT, "| %-22s | %-34s |%n", "tasks completed", engine.metrics().counter("gearbox." + engine.name() + ".completed").getCount());
    System.out.println();
    System.out.println("Same program, another level: ./gearbox demo --backend direct   (or GEARBOX_BACKEND=direct,");
    System.out.println("or gearbox.backend=direct in ./gearbox.properties)");
  }

  private static String compact(long n) {
    return n % 1_000_000 == 0 ? n / 1_000_000 + "M" : String.format(Locale.ROOT, "%,d", n);
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
