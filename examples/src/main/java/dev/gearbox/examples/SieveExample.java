package dev.gearbox.examples;

import dev.gearbox.Channel;
import dev.gearbox.Engine;
import dev.gearbox.ProgressBar;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A concurrent prime sieve: numbers flow through a line of stages joined by channels, each stage a
 * task that keeps a few sieving primes, drops the multiples of its primes, adopts the first numbers
 * that survive it while it has room (they are primes: every smaller prime is already kept by it or
 * by an earlier stage) and passes the rest on. What leaves the last stage is prime once the stages
 * hold every prime up to the square root of the limit. On {@code process} each stage runs in a
 * worker JVM of its own, and every number crosses the pipes; on {@code cluster}, on a member, and
 * every number travels through the engine.
 */
@Command(name = "sieve", mixinStandardHelpOptions = true,
    description = "A prime sieve whose stages are tasks joined by channels (one worker JVM per stage on process).")
final class SieveExample extends ChannelExample {
  @Option(names = "--limit", description = "find the primes below this (default: ${DEFAULT-VALUE})")
  int limit = 20_000;

  @Option(names = "--stages", description = "stages in the line; at most the engine's parallelism (default: up to 4)")
  int stages;

  @Override
  String name() {
    return "sieve";
  }

  @Override
  String shows() {
    return "tasks joined by channels into a pipeline";
  }

  @Override
  String lesson() {
    return "The same stages run as threads or as worker JVMs; across processes every number is a round trip over a pipe,"
        + " so a stage should do more work per element than this one does.";
  }

  @Override
  void shrink() {
    limit = 2_000;
  }

  /** One stage: keeps up to {@code room} primes, drops their multiples, passes survivors on, returns its primes. */
  static Task<List<Integer>> stage(Channel<Integer> in, Channel<Integer> out, int room) {
    return () -> {
      List<Integer> kept = new ArrayList<>();
      try {
        next:
        for (int x : in) {
          for (int p : kept) {
            if (x % p == 0) {
              continue next;
            }
          }
          if (kept.size() < room) {
            kept.add(x);
          } else {
            out.send(x);
          }
        }
      } finally {
        out.close();
      }
      return kept;
    };
  }

  @Override
  String title() {
    return "prime sieve";
  }

  @Override
  Summary runStages(Engine engine, PrintWriter out) throws Exception {
    if (limit < 4) {
      throw badFlag("--limit must be at least 4");
    }
    int n = stages > 0 ? stages : Math.min(4, engine.parallelism());
    if (n > engine.parallelism()) {
      throw badFlag("--stages " + n + " exceeds what the engine runs at once (" + engine.parallelism() + "): stages wait for each other");
    }
    // The stages must be able to keep every prime up to the square root of the limit.
    int sieving = (int) Primes.countChunk(new long[] {2, (long) Math.sqrt(limit) + 1});
    int room = Math.max(1, (sieving + n - 1) / n);
    long t0 = System.nanoTime();
    List<Channel<Integer>> links = new ArrayList<>();
    for (int i = 0; i <= n; i++) {
      links.add(Channel.bounded("sieve-" + i, 64));
    }
    List<TaskFuture<List<Integer>>> line = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      line.add(engine.submit(stage(links.get(i), links.get(i + 1), room)));
    }
    Channel<Integer> numbers = links.get(0);
    Thread feeder = Thread.ofVirtual().name("sieve-feeder").start(() -> {
      try {
        for (int x = 2; x < limit; x++) {
          numbers.send(x);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        numbers.close();
      }
    });
    int found = 0;
    ProgressBar bar = ProgressBar.terminal("sieve");
    int last = 0;
    for (int p : links.get(n)) { // survivors of every stage: primes above what the stages kept
      found++;
      last = p;
      bar.update(p, limit);
    }
    feeder.join();
    List<Integer> kept = new ArrayList<>();
    for (TaskFuture<List<Integer>> f : line) {
      kept.addAll(f.get());
    }
    bar.finish();
    double elapsed = seconds(t0);
    int total = kept.size() + found;
    long expected = Primes.countChunk(new long[] {2, limit});
    if (total != expected) {
      throw new IllegalStateException("the sieve found " + total + " primes below " + limit + " but one thread counted " + expected);
    }
    return new Summary(String.format(java.util.Locale.ROOT, "prime sieve below %,d in %d stages on %s", limit, n,
        engine.backendName()))
        .row("primes", "%,d, checked against one thread (the largest %,d)", total, Math.max(last, kept.isEmpty() ? 0 : kept.get(kept.size() - 1)))
        .row("kept by the stages", "%d sieving primes, up to %d per stage", kept.size(), room)
        .row("time", "%.2f s (%,.0f numbers/s through the first stage)", elapsed, (limit - 2) / elapsed)
        .headline("%,d primes through %d stages, %.2f s", total, n, elapsed)
        .note(howNumbersTravel(engine));
  }

  private static String howNumbersTravel(Engine engine) {
    if (engine.capabilities().sharedMemory()) {
      return "Each stage is a thread of this JVM; a number is handed over in memory.";
    }
    if (engine.backendName().equals("cluster")) {
      return "Each stage ran on a cluster member; each number travelled to the engine and back twice per stage (its receive and its send), as sealed messages.";
    }
    return "Each stage ran in a worker JVM of its own; each number crossed a pipe twice per stage (its receive and its send).";
  }
}
