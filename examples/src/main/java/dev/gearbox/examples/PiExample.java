package dev.gearbox.examples;

import com.codahale.metrics.Counter;
import dev.gearbox.Engine;
import dev.gearbox.MapOptions;
import dev.gearbox.TaskFunction;
import java.io.PrintWriter;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Monte Carlo pi with {@code map} over many small inputs: each input is a seed for a short run of
 * samples. It shows batching: the engine packs many inputs into one job where a job costs a
 * round trip to another process, and sends them one by one where it costs nothing.
 */
@Command(name = "pi", mixinStandardHelpOptions = true,
    description = "Monte Carlo pi with map over many small inputs: shows how the engine batches them.")
final class PiExample extends Example {
  @Option(names = "--inputs", description = "map inputs, one seed each (default: ${DEFAULT-VALUE})")
  int inputs = 100_000;

  @Option(names = "--samples", description = "random points per input (default: ${DEFAULT-VALUE})")
  int samples = 2_000;

  @Override
  String name() {
    return "pi";
  }

  @Override
  String shows() {
    return "map batches many small inputs into few jobs where a job is costly";
  }

  @Override
  String lesson() {
    return "map sizes jobs by what a job costs: jobs of ~1 ms in this JVM, of ~20 ms where each job is a round trip to a worker process.";
  }

  @Override
  void shrink() {
    inputs = 4_000;
  }

  /** Points of one seed's run that fall inside the quarter circle. */
  static long inside(long seed, int samples) {
    SplittableRandom r = new SplittableRandom(seed);
    long hits = 0;
    for (int i = 0; i < samples; i++) {
      double x = r.nextDouble();
      double y = r.nextDouble();
      if (x * x + y * y <= 1.0) {
        hits++;
      }
    }
    return hits;
  }

  @Override
  Summary run(Engine engine, PrintWriter out) throws Exception {
    if (inputs < 1 || samples < 1) {
      throw badFlag("--inputs and --samples must be at least 1");
    }
    int perInput = samples;
    // One function for the warm-up and the timed map: the engine's loop over a chunk's inputs is
    // compiled for the function it has seen, and a second lambda sends it back to slower code
    // for a while (measured: 1.0x over one thread where the same function gives 1.7x).
    TaskFunction<Long, Long> sample = seed -> inside(seed, perInput);
    // Untimed: compiles the sampling loop here and in the engine's workers.
    try (Stream<Long> warm = engine.map(sample, LongStream.range(0, Math.max(1, inputs / 10)).boxed(),
        MapOptions.defaults())) {
      warm.forEach(h -> { });
    }
    for (long seed = 0; seed < inputs / 10; seed++) {
      inside(seed, samples);
    }
    Counter submitted = engine.metrics().counter("gearbox." + engine.name() + ".submitted");
    long jobsBefore = submitted.getCount();
    long t0 = System.nanoTime();
    long hits = 0;
    try (Stream<Long> counts = engine.map(sample, LongStream.range(0, inputs).boxed(),
        MapOptions.newBuilder().progress(Bars.of("pi")).build())) {
      for (long h : (Iterable<Long>) counts::iterator) {
        hits += h;
      }
    }
    double elapsed = seconds(t0);
    long jobs = submitted.getCount() - jobsBefore;
    double total = (double) inputs * samples;
    double pi = 4.0 * hits / total;

    long t1 = System.nanoTime();
    long check = 0;
    for (long seed = 0; seed < inputs; seed++) {
      check += inside(seed, samples);
    }
    double single = seconds(t1);
    if (check != hits) {
      throw new IllegalStateException("the engine counted " + hits + " hits but one thread counted " + check);
    }
    return new Summary(String.format(java.util.Locale.ROOT, "pi from %,.0f random points (%,d inputs x %,d)", total, inputs, samples))
        .row("estimate", "%.6f (error %.1e)", pi, Math.abs(pi - Math.PI))
        .row("jobs the engine sent", "%,d (%.1f inputs per job)", jobs, (double) inputs / Math.max(1, jobs))
        .row("time on " + engine.backendName(), "%.2f s (%,.0f inputs/s)", elapsed, inputs / elapsed)
        .row("time on one thread", "%.2f s", single)
        .headline("%,d jobs for %,d inputs, %s", jobs, inputs, overOneThread(single, elapsed))
        .note(engine.capabilities().prefersBatching()
            ? "Each job here costs a round trip to another process, so map packed inputs into jobs that"
                + " run ~20 ms each (gearbox.map.batch-target)."
            : "A job here costs only a hand-off between threads, so map packed inputs into jobs of ~1 ms.");
  }
}
