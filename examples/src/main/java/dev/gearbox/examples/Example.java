package dev.gearbox.examples;

import dev.gearbox.Engine;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One example program. Its {@link #run} gets an open {@link Engine} and never asks which backend
 * it is: the proof that levels swap by configuration. The command line ({@code --backend},
 * {@code --workers}, {@code --set}) and the tour decide that.
 */
abstract class Example implements Callable<Integer> {
  @Mixin
  EngineOptions engineOptions = new EngineOptions();

  @Option(names = "--small", description = "a quick run with small sizes (what the tour and the smoke tests use)")
  boolean small;

  @Spec
  CommandSpec spec;

  /** The example's name on the command line. */
  abstract String name();

  /** What the example shows, in one line. */
  abstract String shows();

  /** What to look for when this example runs on every level, in a sentence or two (the tour prints it). */
  abstract String lesson();

  /** Shrinks the example's sizes to a quick run. */
  abstract void shrink();

  /**
   * Configuration this example needs on some backend, given the backend it will run on, which
   * the user's own flags and configuration still override (the crash example gives worker
   * JVMs a small heap, so a leak hits it in a second).
   */
  Map<String, String> engineDefaults(String backend) {
    return Map.of();
  }

  /** Runs the example on {@code engine}, printing as it goes, and says what it found. */
  abstract Summary run(Engine engine, PrintWriter out) throws Exception;

  @Override
  public Integer call() throws Exception {
    if (small) {
      // Quick sizes for whatever the user did not set explicitly.
      java.util.Map<picocli.CommandLine.Model.OptionSpec, Object> given = new java.util.HashMap<>();
      for (picocli.CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
        given.put(o, o.getValue());
      }
      shrink();
      given.forEach(picocli.CommandLine.Model.OptionSpec::setValue);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (Engine engine = engineOptions.open(engineDefaults(engineOptions.resolvedBackend()))) {
      out.printf(Locale.ROOT, "%s on the %s backend (%s): %s%n", name(), engine.backendName(),
          describeParallelism(engine), shows());
      out.flush();
      Summary s = run(engine, out);
      s.print(out);
    }
    return 0;
  }

  /** A flag with a value the example cannot use: exit code 2 and the usage, on the command line. */
  RuntimeException badFlag(String message) {
    return spec != null ? new picocli.CommandLine.ParameterException(spec.commandLine(), message)
        : new IllegalArgumentException(message);
  }

  static String describeParallelism(Engine engine) {
    int p = engine.parallelism();
    if (p == Integer.MAX_VALUE) {
      return "each in its caller's thread";
    }
    return (p >= 10_000 ? String.format(Locale.ROOT, "up to %,d", p) : String.valueOf(p)) + (p == 1 ? " task" : " tasks")
        + " at once";
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /**
   * The least one-thread time a speedup is shown for: a shorter run is over before the pool's
   * threads have all woken and its code is compiled, so its ratio says nothing about the level
   * (the tour's small pi, 0.02 s of work, read 0.22x to 0.97x).
   */
  static final double MIN_TIMED_SECONDS = 0.05;

  /**
   * A speedup over one thread for a headline, e.g. {@code 1.62x over 1 thread}, from the one-thread
   * time and the level's. Below {@link #MIN_TIMED_SECONDS} of one-thread work it says the run is too
   * short to compare; above what this machine's cores can do (with the bench's 5% of timing noise)
   * it says the ratio is noise.
   */
  static String overOneThread(double singleSeconds, double levelSeconds) {
    if (singleSeconds < MIN_TIMED_SECONDS) {
      return String.format(java.util.Locale.ROOT, "too short to time (%.2f s of work)", singleSeconds);
    }
    double speedup = singleSeconds / levelSeconds;
    int cores = Runtime.getRuntime().availableProcessors();
    String s = String.format(java.util.Locale.ROOT, "%.2fx over 1 thread", speedup);
    return speedup > cores * (1 + Baseline.TOLERANCE)
        ? s + String.format(java.util.Locale.ROOT, " (more than %d cores can do: timing noise)", cores) : s;
  }
}
