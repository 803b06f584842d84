package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.MapOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Map-reduce: counts words in a generated corpus of files. The map step (one file to a table of
 * counts) runs on the engine; the reduce step merges the tables as they arrive, in any order.
 */
@Command(name = "wordcount", mixinStandardHelpOptions = true,
    description = "Map-reduce: count words over a generated corpus of files.")
final class WordCountExample extends Example {
  private static final String[] SYLLABLES = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "zen", "or", "an", "el"};

  @Option(names = "--files", description = "files in the corpus (default: ${DEFAULT-VALUE})")
  int files = 32;

  @Option(names = "--words", description = "words per file (default: ${DEFAULT-VALUE})")
  int words = 100_000;

  @Override
  String name() {
    return "wordcount";
  }

  @Override
  String shows() {
    return "map-reduce: map files to counts on the engine, merge the results as they arrive";
  }

  @Override
  String lesson() {
    return "Map-reduce: file names go out, small count tables come back, the merge runs here. On short runs a process pool's start-up and warm-up cost more than it saves.";
  }

  @Override
  void shrink() {
    files = 16;
    words = 50_000;
  }

  @Override
  Summary run(Engine engine, PrintWriter out) throws Exception {
    if (files < 1 || words < 1) {
      throw badFlag("--files and --words must be at least 1");
    }
    Path dir = Files.createTempDirectory("gearbox-wordcount-");
    try {
      List<String> paths = writeCorpus(dir);
      // Untimed: compiles the counting loop here and in the engine's workers.
      List<String> few = paths.subList(0, Math.min(paths.size(), 4));
      try (Stream<HashMap<String, Long>> warm = engine.mapUnordered(WordCountExample::count, few,
          MapOptions.newBuilder().chunkSize(1).build())) {
        warm.forEach(c -> { });
      }
      for (String p : few) {
        count(p);
      }
      long t0 = System.nanoTime();
      Map<String, Long> total = new HashMap<>();
      try (Stream<HashMap<String, Long>> counts = engine.mapUnordered(WordCountExample::count, paths,
          MapOptions.newBuilder().chunkSize(1).progress(Bars.of("wordcount")).build())) {
        for (HashMap<String, Long> c : (Iterable<HashMap<String, Long>>) counts::iterator) {
          c.forEach((w, n) -> total.merge(w, n, Long::sum));
        }
      }
      double elapsed = seconds(t0);

      long t1 = System.nanoTime();
      Map<String, Long> check = new HashMap<>();
      for (String p : paths) {
        count(p).forEach((w, n) -> check.merge(w, n, Long::sum));
      }
      double single = seconds(t1);
      if (!check.equals(total)) {
        throw new IllegalStateException("the engine's counts differ from one thread's");
      }
      long sum = total.values().stream().mapToLong(Long::longValue).sum();
      if (sum != (long) files * words) {
        throw new IllegalStateException("counted " + sum + " words, wrote " + (long) files * words);
      }
      String top = total.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
          .limit(5).map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
      return new Summary(String.format(java.util.Locale.ROOT, "word count over %d files of %,d words", files, words))
          .row("words counted", "%,d (%,d distinct; checked against one thread)", sum, total.size())
          .row("most frequent", top)
          .row("time on " + engine.backendName(), "%.2f s", elapsed)
          .row("time on one thread", "%.2f s", single)
          .headline("%,d words, %s", sum, overOneThread(single, elapsed))
          .note("Only file names travel to the tasks and only small count tables come back; the reduce runs here.");
    } finally {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** The map step: one file to its word counts. */
  static HashMap<String, Long> count(String path) throws IOException {
    HashMap<String, Long> counts = new HashMap<>();
    for (String line : Files.readAllLines(Path.of(path), StandardCharsets.UTF_8)) {
      int start = -1;
      for (int i = 0; i <= line.length(); i++) {
        boolean letter = i < line.length() && Character.isLetter(line.charAt(i));
        if (letter && start < 0) {
          start = i;
        } else if (!letter && start >= 0) {
          counts.merge(line.substring(start, i), 1L, Long::sum);
          start = -1;
        }
      }
    }
    return counts;
  }

  /** Writes the corpus: pseudo-words with a skewed (Zipf-like) frequency, 12 to a line. */
  private List<String> writeCorpus(Path dir) {
    List<String> vocabulary = new ArrayList<>();
    for (String a : SYLLABLES) {
      for (String b : SYLLABLES) {
        for (String c : SYLLABLES) {
          vocabulary.add(a + b + c);
        }
      }
    }
    List<String> paths = new ArrayList<>();
    for (int f = 0; f < files; f++) {
      Path p = dir.resolve(String.format(java.util.Locale.ROOT, "part-%04d.txt", f));
      SplittableRandom r = new SplittableRandom(f);
      try (BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
        for (int i = 0; i < words; i++) {
          double u = r.nextDouble();
          w.write(vocabulary.get((int) (vocabulary.size() * u * u * u)));
          w.write(i % 12 == 11 ? "\n" : " ");
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      paths.add(p.toString());
    }
    return paths;
  }
}
