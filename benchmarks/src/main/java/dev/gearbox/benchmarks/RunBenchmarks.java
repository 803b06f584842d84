package dev.gearbox.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks (all, or those matching the JMH arguments given) and prints, after
 * JMH's own table, a Markdown table pairing each engine benchmark {@code x} with its raw twin
 * {@code rawX} measured in the same run: the ratio engine/raw of the time per operation (lower
 * is better; 1.00 means no overhead).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar [JMH options, e.g. ThreadBackendBenchmark -f 1]</pre>
 */
public final class RunBenchmarks {
  private RunBenchmarks() {}

  public static void main(String[] args) throws RunnerException, Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    if (cli.shouldList() || cli.shouldListWithParams() || cli.shouldHelp() || cli.shouldListProfilers()
        || cli.shouldListResultFormats()) {
      org.openjdk.jmh.Main.main(args); // listing and help are JMH's own
      return;
    }
    Options opts = new OptionsBuilder().parent(cli).build();
    if (cli.getIncludes().isEmpty()) {
      opts = new OptionsBuilder().parent(cli).include("dev\\.gearbox\\.benchmarks\\..*").build();
    }
    Collection<RunResult> results = new Runner(opts).run();
    System.out.println();
    System.out.println(ratioTable(results));
  }

  static String ratioTable(Collection<RunResult> results) {
    Map<String, RunResult> byName = new LinkedHashMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      label = label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1) + 1);
      byName.put(label, r);
    }
    List<String> rows = new ArrayList<>();
    rows.add("| benchmark | engine | raw baseline | ratio engine/raw |");
    rows.add("|---|---|---|---|");
    for (Map.Entry<String, RunResult> e : byName.entrySet()) {
      String name = e.getKey();
      int dot = name.indexOf('.');
      String cls = name.substring(0, dot);
      String method = name.substring(dot + 1);
      if (method.startsWith("raw")) {
        continue;
      }
      String twin = cls + ".raw" + Character.toUpperCase(method.charAt(0)) + method.substring(1);
      RunResult raw = byName.get(twin);
      if (raw == null) {
        continue;
      }
      double a = e.getValue().getPrimaryResult().getScore();
      double b = raw.getPrimaryResult().getScore();
      String unit = e.getValue().getPrimaryResult().getScoreUnit();
      rows.add(String.format(Locale.ROOT, "| %s | %.3f %s ± %.3f | %.3f %s ± %.3f | %.2f |", name,
          a, unit, e.getValue().getPrimaryResult().getScoreError(),
          b, unit, raw.getPrimaryResult().getScoreError(), a / b));
    }
    return String.join(System.lineSeparator(), rows);
  }
}
