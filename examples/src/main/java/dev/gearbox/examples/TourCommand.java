package dev.gearbox.examples;

import dev.gearbox.Engine;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The main job: every example, small, on every level on the classpath, then a quick bench. The
 * same example code runs on each level; only the configuration it is opened with changes.
 */
@Command(name = "tour", mixinStandardHelpOptions = true,
    description = "Run every example briefly on every level, then a quick side-by-side bench.")
final class TourCommand implements Callable<Integer> {
  static final Map<String, Supplier<Example>> EXAMPLES = new LinkedHashMap<>();

  static {
    EXAMPLES.put("primes", PrimesExample::new);
    EXAMPLES.put("pi", PiExample::new);
    EXAMPLES.put("crawl", CrawlExample::new);
    EXAMPLES.put("crash", CrashExample::new);
    EXAMPLES.put("wordcount", WordCountExample::new);
    EXAMPLES.put("pipeline", PipelineExample::new);
    EXAMPLES.put("sieve", SieveExample::new);
    EXAMPLES.put("farm", FarmExample::new);
    EXAMPLES.put("teardown", TeardownExample::new);
  }

  @Option(names = "--backends", split = ",", description = "levels to visit (default: every backend on the classpath)")
  List<String> backends;

  @Option(names = "--examples", split = ",", description = "examples to run (default: all)")
  List<String> examples;

  @Option(names = "--full", description = "run each example at its full size instead of a quick one")
  boolean full;

  @Option(names = "--bench", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "end with a quick bench (default: true)")
  boolean bench;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<String> levels = backends != null ? backends : new ArrayList<>(Engine.backends());
    List<String> names = examples != null ? examples : new ArrayList<>(EXAMPLES.keySet());
    for (String name : names) {
      if (!EXAMPLES.containsKey(name)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "no example named '" + name + "'; the examples are " + String.join(", ", EXAMPLES.keySet()));
      }
    }
    long t0 = System.nanoTime();
    out.printf(Locale.ROOT, "The Gearbox tour: %d examples on %d levels (%s), %d cores.%n", names.size(), levels.size(),
        String.join(", ", levels), Runtime.getRuntime().availableProcessors());
    out.println("Each example's code is the same on every level; only its configuration changes. Run any one");
    out.println("at full size with ./gearbox <example> --backend <level>.");
    boolean quiet = Bars.quiet;
    Bars.quiet = true;
    Map<String, Map<String, String>> matrix = new LinkedHashMap<>();
    int failures = 0;
    try {
      for (String name : names) {
        out.println();
        out.printf(Locale.ROOT, "== %s: %s%n", name, EXAMPLES.get(name).get().shows());
        out.flush();
        Map<String, String> cells = new LinkedHashMap<>();
        for (String level : levels) {
          Example e = EXAMPLES.get(name).get();
          e.engineOptions.backend = level;
          if (!full) {
            e.shrink();
          }
          long t1 = System.nanoTime();
          String cell;
          try (Engine engine = e.engineOptions.open(e.engineDefaults(level))) {
            Summary s = e.run(engine, out);
            cell = s.headline();
          } catch (Exception | Error ex) {
            failures++;
            String m = ex.toString().lines().findFirst().orElse("");
            cell = "FAILED: " + (m.length() > 60 ? m.substring(0, 57) + "..." : m);
            out.println("  " + level + " failed: " + ex);
          }
          out.printf(Locale.ROOT, "  %-8s %-44s %5.1f s%n", level, cell, Example.seconds(t1));
          out.flush();
          cells.put(level, cell);
        }
        out.println("  > " + EXAMPLES.get(name).get().lesson());
        matrix.put(name, cells);
      }
    } finally {
      Bars.quiet = quiet;
    }

    out.println();
    List<String> header = new ArrayList<>();
    header.add("example");
    header.addAll(levels);
    List<String[]> body = new ArrayList<>();
    matrix.forEach((name, cells) -> {
      String[] row = new String[levels.size() + 1];
      row[0] = name;
      for (int i = 0; i < levels.size(); i++) {
        row[i + 1] = cells.getOrDefault(levels.get(i), "");
      }
      body.add(row);
    });
    Summary.printTable(out, header, body);
    out.printf(Locale.ROOT, "%nThe examples took %.0f s.%n", Example.seconds(t0));
    out.flush();

    if (bench) {
      out.println();
      out.println("== bench: the same CPU-bound and I/O-bound work on every level, and on Python when present");
      out.flush();
      int code = new CommandLine(new BenchCommand()).setOut(out).setErr(spec.commandLine().getErr())
          .execute(Main.withBackends(List.of("--small"), backends));
      failures += code == 0 ? 0 : 1;
      out.println("This is the quick bench (primes below 1,000,000, 3 rounds): on 2 cores its speedups move by a fifth or"
          + " more from one run to the next. `./gearbox bench` runs it at full size, 5 rounds, for figures to compare.");
    }
    out.printf(Locale.ROOT, "%nTour finished in %.0f s%s.%n", Example.seconds(t0),
        failures == 0 ? "" : " with " + failures + " failure(s)");
    out.flush();
    return failures == 0 ? 0 : 1;
  }
}
