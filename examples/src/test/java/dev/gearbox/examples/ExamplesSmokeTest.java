package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.gearbox.Engine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example, small, on every backend on the classpath, through the real command line: each
 * must finish with exit code 0 and print the facts it checked. The examples verify their own
 * results (against one thread, or the site's known pages), so a wrong answer fails here too.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExamplesSmokeTest {

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static Stream<Arguments> examplesOnEveryBackend() {
    List<Arguments> all = new ArrayList<>();
    for (String example : TourCommand.EXAMPLES.keySet()) {
      for (String backend : Engine.backends()) {
        all.add(Arguments.of(example, backend));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("examplesOnEveryBackend")
  void example_runsSmallOnEveryBackend(String example, String backend) {
    Run r = run(example, "--small", "--backend", backend);
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains(example + " on the " + backend + " backend").contains("| what");
    switch (example) {
      case "primes" -> assertThat(r.out()).contains("checked against one thread").containsPattern("TaskTimeoutException after \\d+ ms");
      case "pi" -> assertThat(r.out()).contains("estimate").contains("jobs the engine sent");
      case "crawl" -> assertThat(r.out()).contains("bytes, checked");
      case "wordcount" -> assertThat(r.out()).contains("checked against one thread");
      case "pipeline" -> assertThat(r.out()).contains("checked").contains("at most");
      case "sieve", "farm", "teardown" -> {
        if (backend.equals("direct")) {
          assertThat(r.out()).contains("not run");
        } else if (example.equals("teardown")) {
          assertThat(r.out()).contains("corrupt record").contains("2 of 3");
        } else {
          assertThat(r.out()).contains("checked against one thread");
        }
      }
      case "crash" -> {
        if (backend.equals("process")) {
          assertThat(r.out()).contains("4/4 crashes isolated").contains("exited with code 3").contains("code 42")
              .contains("SIGKILL").containsPattern("well-behaved tasks after +\\| 4/4 succeeded")
              // replacements only: the pool's first workers are not counted, and no crash needs two
              .containsPattern("replacements started +\\| 4 / [1-4] ");
        } else {
          assertThat(r.out()).contains("not isolated").contains("./gearbox crash --backend process");
        }
      }
      default -> throw new AssertionError("no checks for " + example);
    }
  }

  @Test
  void crawl_withSendAsync_runsOnTheAsyncBackend() {
    Run r = run("crawl", "--small", "--async", "--backend", "async");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("fetched with sendAsync").contains("bytes, checked");
  }

  @Test
  void tour_runsTheChosenExamplesAndPrintsTheMatrix() {
    Run r = run("tour", "--examples", "primes,crash", "--backends", "direct,thread", "--no-bench");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("== primes").contains("== crash").contains("| example").contains("Tour finished")
        .doesNotContain("FAILED");
  }

  @Test
  void small_keepsTheFlagsGivenExplicitly() {
    Run r = run("primes", "--small", "--n", "123_457", "--backend", "direct");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("primes below 123,457");
  }

  @Test
  void bench_writesTheTableAndTheChart(@TempDir Path dir) throws Exception {
    Run r = run("bench", "--small", "--backends", "thread,async", "--out", dir.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("Java, one thread").contains("gearbox thread").contains("gearbox async");
    assertThat(Files.readString(dir.resolve("bench.md"))).contains("| level").contains("gearbox async")
        .contains("Made by `./gearbox bench --small --backends thread,async --out " + dir + "`")
        .contains("Each level ran up to 5,000 tiny tasks") // --small's per-task warm-up
        .containsPattern("\\(thread [\\d,]+, async [\\d,]+\\)"); // and how many each level ran
    assertThat(dir.resolve("bench.png")).isNotEmptyFile();
    List<String> table = Files.readAllLines(dir.resolve("bench.md"));
    // Each language's one-thread baseline: its times per CPU, which CPU was the fastest of each round, and the
    // per-round capacity and bound of its speedups, each as median [lowest-highest] over the rounds.
    Map<String, double[]> bound = new HashMap<>();
    for (String line : table) {
      String[] cells = line.split("\\|");
      String side = cells.length > 2 ? cells[1].strip() : "";
      if (side.equals("Java") || side.equals("Python")) {
        String fastest = cells[cells.length - 3].strip();
        String capacity = cells[cells.length - 2].strip();
        String faultAbove = cells[cells.length - 1].strip();
        if (capacity.equals("-")) {
          assertThat(faultAbove).as("unpinned: the cores, as before").isEqualTo(BenchCommand.CORES + " cores");
          assertThat(fastest).as(line).isEqualTo("-");
          bound.put(side, new double[] {BenchCommand.CORES, BenchCommand.CORES, BenchCommand.CORES});
        } else {
          // Pinned: each round's fastest CPU counts 1, every other at most 1 more; each round's bound adds the
          // tolerance, at most one per CPU. min(1.05 c, cpus) keeps the order, so the lowest and highest bounds are
          // those of the lowest and highest capacities.
          long cpus = java.util.Arrays.stream(cells, 2, cells.length - 3).filter(c -> c.strip().matches("\\d+\\.\\d+ s.*")).count();
          assertThat(cpus).as(line).isGreaterThanOrEqualTo(2);
          assertThat(fastest).as(line).matches("CPU \\d+ in \\d+ rounds?(, CPU \\d+ in \\d+)*");
          assertThat(java.util.regex.Pattern.compile("in (\\d+)").matcher(fastest).results()
              .mapToInt(m -> Integer.parseInt(m.group(1))).sum()).as("one fastest CPU per round: " + line).isEqualTo(3);
          double[] c = figures(capacity);
          double[] b = figures(faultAbove);
          assertThat(c[1]).as(line).isGreaterThanOrEqualTo(1.0);
          assertThat(c[2]).as(line).isLessThanOrEqualTo((double) cpus);
          assertThat(b[1]).as(line).isCloseTo(Math.min(cpus, c[1] * (1 + Baseline.TOLERANCE)), within(0.011));
          assertThat(b[2]).as(line).isCloseTo(Math.min(cpus, c[2] * (1 + Baseline.TOLERANCE)), within(0.011));
          bound.put(side, b);
        }
      }
    }
    assertThat(bound).as("the table states the Java baseline's bound").containsKey("Java");
    if (CpuPinning.probe().available()) {
      assertThat(table).as("pinning works here, so the Java baseline was pinned").anyMatch(l -> l.startsWith("| Java ")
          && l.contains(" s [") && !l.contains("cores"));
      assertThat(r.out()).contains("Java, one thread (the fastest CPU of each round)");
    }
    // Every CPU speedup the table prints is within its round's bound, or flagged as the fault it is. Where each
    // round's speedup is within its round's bound, the lowest, the median and the highest speedup are each within
    // the lowest, the median and the highest bound.
    java.util.Map<String, Integer> speedupRows = new java.util.HashMap<>(); // per side: rows with a CPU speedup or a fault
    int withinBound = 0;
    for (String line : table) {
      String[] cells = line.split("\\|");
      String side = cells.length > 1 && cells[1].strip().startsWith("Python") ? "Python" : "Java";
      double[] b = bound.get(side);
      boolean speedup = cells.length > 3 && cells[3].strip().matches("\\d+\\.\\d+x.*");
      boolean fault = cells.length > 3 && cells[3].contains("fault");
      if (speedup || fault) {
        speedupRows.merge(side, 1, Integer::sum);
      }
      if (speedup) {
        withinBound++;
        double[] s = figures(cells[3]);
        for (int i = 0; i < 3; i++) {
          assertThat(s[i]).as(line).isLessThanOrEqualTo(b[i] + 0.005); // printed rounded
        }
      } else if (fault) {
        java.util.regex.Matcher m = java.util.regex.Pattern
            .compile("fault: ([0-9.]+)x > ([0-9.]+)(?: in round ([0-9]+) \\((capacity \\+5%|one per CPU)\\)| cores)")
            .matcher(cells[3].strip());
        assertThat(m.matches()).as(line).isTrue();
        double over = Double.parseDouble(m.group(1));
        double roundBound = Double.parseDouble(m.group(2));
        assertThat(over).as(line).isGreaterThan(roundBound - 0.005);
        assertThat(roundBound).as("the round's bound is among the rounds' bounds: " + line).isBetween(b[1] - 0.005, b[2] + 0.005);
        if (m.group(3) != null) {
          assertThat(Integer.parseInt(m.group(3))).as(line).isBetween(1, 3);
        }
      }
    }
    assertThat(speedupRows.getOrDefault("Java", 0)).as("Java's one thread, thread and async each have a CPU speedup cell: " + table)
        .isEqualTo(3);
    assertThat(withinBound).as("some speedups were checked against their bound, not only faults").isPositive();
    if (r.out().contains("Python one thread")) {
      assertThat(speedupRows.getOrDefault("Python", 0)).as("Python's one thread and pools have CPU speedup cells").isGreaterThanOrEqualTo(3);
      assertThat(r.out()).contains("ProcessPoolExecutor").contains("asyncio");
    } else {
      assertThat(r.out()).as("python3 is absent, not broken").contains("Python: skipped (no python3 on the PATH)");
    }
  }

  /** "1.87x [1.72-1.99]", "1.96 [1.90-2.00]" or "2.00": the median, lowest and highest, which are equal without a range. */
  private static double[] figures(String cell) {
    double[] v = java.util.Arrays.stream(cell.replaceAll("[^0-9.]+", " ").strip().split(" ")).mapToDouble(Double::parseDouble)
        .toArray();
    assertThat(v.length).as(cell).isIn(1, 3);
    return v.length == 1 ? new double[] {v[0], v[0], v[0]} : v;
  }

  @Test
  void bench_noPin_fallsBackToAnUnpinnedBaselineBoundedByTheCores_andSaysSo(@TempDir Path dir) throws Exception {
    Run r = run("bench", "--small", "--no-pin", "--backends", "direct", "--n", "100_000", "--repeat", "1", "--warm-tasks", "0",
        "--waits", "2", "--python-n", "10_000", "--out", dir.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    String table = Files.readString(dir.resolve("bench.md"));
    assertThat(table).contains("Java, one thread (unpinned)").contains("| unpinned")
        .contains("Java's one thread ran unpinned (--no-pin)");
    assertThat(table.lines().filter(l -> l.startsWith("| Java ")).findFirst().orElseThrow()).as("the bound is the cores")
        .matches(".*\\| - +\\| " + BenchCommand.CORES + " cores +\\|$").doesNotContain("CPU");
    if (r.out().contains("Python one thread")) {
      assertThat(table).contains("Python one thread (unpinned)").contains("Python's one thread ran unpinned (--no-pin)");
    }
  }

  @Test
  void badInput_saysWhatWasWrong() {
    Run unknownBackend = run("primes", "--small", "--backend", "quantum");
    assertThat(unknownBackend.exit()).isEqualTo(2);
    assertThat(unknownBackend.err()).contains("gearbox.backend=quantum").contains("Backends on the classpath");
    Run badNumber = run("primes", "--n", "lots");
    assertThat(badNumber.exit()).isEqualTo(2);
    assertThat(badNumber.err()).contains("--n").contains("lots");
    Run zeroChunks = run("primes", "--chunks", "0", "--backend", "direct");
    assertThat(zeroChunks.exit()).isEqualTo(2);
    assertThat(zeroChunks.err()).contains("--chunks");
    Run badIoLevel = run("pipeline", "--small", "--backend", "direct", "--io-backend", "asnyc");
    assertThat(badIoLevel.exit()).isEqualTo(2);
    assertThat(badIoLevel.err()).contains("asnyc").contains("no such backend");
    Run negativeWarmUp = run("bench", "--small", "--warm-tasks", "-1", "--no-python");
    assertThat(negativeWarmUp.exit()).isEqualTo(2);
    assertThat(negativeWarmUp.err()).contains("--warm-tasks");
    Run unknownExample = run("tour", "--examples", "fibonacci", "--no-bench");
    assertThat(unknownExample.exit()).isEqualTo(2);
    assertThat(unknownExample.err()).contains("fibonacci").contains("primes, pi, crawl");
  }
}
