package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

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
              .contains("SIGKILL").containsPattern("well-behaved tasks after +\\| 4/4 succeeded");
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
    // Each language's one-thread baseline: its time per CPU, the capacity, and the bound of its speedups.
    Map<String, Double> bound = new HashMap<>();
    for (String line : table) {
      String[] cells = line.split("\\|");
      String side = cells.length > 2 ? cells[1].strip() : "";
      if (side.equals("Java") || side.equals("Python")) {
        String capacity = cells[cells.length - 2].strip();
        String faultAbove = cells[cells.length - 1].strip();
        double over = Double.parseDouble(faultAbove.replaceFirst("^([0-9.]+).*$", "$1"));
        if (capacity.equals("-")) {
          assertThat(faultAbove).as("unpinned: the cores, as before").isEqualTo(BenchCommand.CORES + " cores");
        } else {
          // Pinned: the fastest CPU counts 1, every other at most 1 more; the bound adds the tolerance, at most one per CPU.
          long cpus = java.util.Arrays.stream(cells, 2, cells.length - 2).filter(c -> c.strip().matches("\\d+\\.\\d+ s.*")).count();
          double c = Double.parseDouble(capacity);
          assertThat(cpus).as(line).isGreaterThanOrEqualTo(2);
          assertThat(c).as(line).isBetween(1.0, (double) cpus);
          assertThat(over).as(line).isCloseTo(Math.min(cpus, c * (1 + Baseline.TOLERANCE)), org.assertj.core.api.Assertions.within(0.011));
        }
        bound.put(side, over);
      }
    }
    assertThat(bound).as("the table states the Java baseline's bound").containsKey("Java");
    if (CpuPinning.probe().available()) {
      assertThat(table).as("pinning works here, so the Java baseline was pinned").anyMatch(l -> l.startsWith("| Java ")
          && l.contains(" s [") && !l.contains("cores"));
      assertThat(r.out()).contains("Java, one thread (CPU ").contains(", the fastest)");
    }
    // Every CPU speedup the table prints is within its language's bound, or is flagged as the fault it is.
    for (String line : table) {
      String[] cells = line.split("\\|");
      String side = cells.length > 1 && cells[1].strip().startsWith("Python") ? "Python" : "Java";
      if (cells.length > 3 && cells[3].strip().matches("\\d+\\.\\d+x.*")) {
        // the median, and the range's ends when there is one: "1.73x [1.69-1.80]"
        for (String number : cells[3].replaceAll("[^0-9.]+", " ").strip().split(" ")) {
          assertThat(Double.parseDouble(number)).as(line).isLessThanOrEqualTo(bound.get(side) + 0.005); // printed rounded
        }
      } else if (cells.length > 3 && cells[3].contains("fault")) {
        assertThat(cells[3]).as(line).containsAnyOf("capacity", "one per CPU", "cores");
        String over = cells[3].replaceFirst("^\\s*fault: ([0-9.]+)x.*$", "$1");
        assertThat(Double.parseDouble(over)).as(line).isGreaterThan(bound.get(side) - 0.005);
      }
    }
    if (r.out().contains("Python one thread")) {
      assertThat(r.out()).contains("ProcessPoolExecutor").contains("asyncio");
    } else {
      assertThat(r.out()).as("python3 is absent, not broken").contains("Python: skipped (no python3 on the PATH)");
    }
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
