package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.MapOptions;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.ExecutionException;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * CPU-bound work: counts primes below N in chunks with {@code mapUnordered}, compares with one
 * thread doing the same count in the same run, and shows a timeout stopping a runaway task.
 */
@Command(name = "primes", mixinStandardHelpOptions = true,
    description = "CPU-bound: count primes below N in chunks; speedup over one thread, and a timeout that stops its task.")
final class PrimesExample extends Example {
  @Option(names = "--n", description = "count primes below this (default: ${DEFAULT-VALUE})")
  long n = 2_000_000;

  @Option(names = "--chunks", description = "how many tasks the range is cut into (default: ${DEFAULT-VALUE})")
  int chunks = 16;

  @Override
  String name() {
    return "primes";
  }

  @Override
  String shows() {
    return "CPU-bound work scales with cores, not with threads";
  }

  @Override
  String lesson() {
    return "CPU-bound work speeds up with cores, not threads: near 2x for the levels with 2 workers on 2 cores, 1x in the caller's thread. Processes match threads once warm; their start-up shows in short runs.";
  }

  @Override
  void shrink() {
    n = 1_000_000;
    chunks = 8;
  }

  @Override
  Summary run(Engine engine, PrintWriter out) throws Exception {
    if (n < 2 || chunks < 1) {
      throw badFlag("--n must be at least 2 and --chunks at least 1");
    }
    warmUp(engine);
    long step = (n + chunks - 1) / chunks;
    long t0 = System.nanoTime();
    long primes = 0;
    try (Stream<Long> counts = engine.mapUnordered(Primes::countChunk,
        () -> LongStream.range(0, chunks).mapToObj(c -> new long[] {c * step, Math.min(n, (c + 1) * step)}).iterator(),
        MapOptions.newBuilder().chunkSize(1).total(chunks).progress(Bars.of("primes")).build())) {
      for (long c : (Iterable<Long>) counts::iterator) {
        primes += c;
      }
    }
    double parallel = seconds(t0);

    long t1 = System.nanoTime();
    long check = Primes.countChunk(new long[] {0, n});
    double single = seconds(t1);
    if (check != primes) {
      throw new IllegalStateException("the engine counted " + primes + " primes but one thread counted " + check);
    }

    // A task that would run for hours: the caller gets the timeout at the deadline, and the
    // engine stops the task by the strongest means its backend has.
    long t2 = System.nanoTime();
    TaskFuture<Long> endless = engine.submit(() -> Primes.countChunk(new long[] {0, Long.MAX_VALUE / 2}),
        TaskOptions.newBuilder().name("endless").timeout(Duration.ofMillis(300)).build());
    String timeout;
    try {
      endless.get();
      timeout = "finished?!";
    } catch (ExecutionException e) {
      timeout = e.getCause() instanceof TaskTimeoutException
          ? String.format(java.util.Locale.ROOT, "TaskTimeoutException after %.0f ms", seconds(t2) * 1000)
          : e.getCause().toString();
    }

    double speedup = single / parallel;
    return new Summary("primes below " + String.format(java.util.Locale.ROOT, "%,d", n) + " in " + chunks + " chunks")
        .row("primes found", "%,d (checked against one thread)", primes)
        .row("time on " + engine.backendName(), "%.2f s", parallel)
        .row("time on one thread", "%.2f s", single)
        .row("speedup", "%.2fx", speedup)
        .row("timeout of 300 ms", timeout)
        .headline("%s", overOneThread(single, parallel))
        .note(engine.parallelism() == 1 || engine.parallelism() == Integer.MAX_VALUE
            ? "Each task runs in the thread that submits it: no speedup is the expected result on this level."
            : "CPU-bound speedup is capped by the cores (" + Runtime.getRuntime().availableProcessors()
                + " here), however many threads the level offers.");
  }

  /** Compiles the prime loop (here, and in the engine's workers wherever they are) before timing. */
  static void warmUp(Engine engine) throws Exception {
    for (int i = 0; i < 3; i++) {
      Primes.countChunk(new long[] {0, 200_000});
    }
    int tasks = 4 * Math.min(8, Math.max(1, engine.parallelism()));
    try (Stream<Long> warm = engine.mapUnordered(Primes::countChunk,
        Collections.nCopies(tasks, new long[] {0, 200_000}), MapOptions.newBuilder().chunkSize(1).build())) {
      warm.forEach(c -> { });
    }
  }
}
