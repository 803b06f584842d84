package dev.gearbox.examples;

import dev.gearbox.Channel;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.Scope;
import dev.gearbox.ScopeOptions;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A pipeline torn down by its scope: a source, a parser and a sink run as the children of one
 * scope, joined by channels; the parser meets a bad record and throws. Fail-fast cancels the
 * source and the sink, which are blocked on channels (in worker JVMs on {@code process}): each
 * cancellation withdraws the blocked operation, and the whole pipeline is gone before
 * {@code join} returns the parser's failure.
 */
@Command(name = "teardown", mixinStandardHelpOptions = true,
    description = "A pipeline of channel stages in a scope, torn down by one stage's failure.")
final class TeardownExample extends ChannelExample {
  @Option(names = "--bad-at", description = "the record the parser fails on (default: ${DEFAULT-VALUE})")
  int badAt = 500;

  @Override
  String name() {
    return "teardown";
  }

  @Override
  String shows() {
    return "a scope's failure stops every stage of a pipeline, wherever it waits";
  }

  @Override
  String lesson() {
    return "Fail-fast cancels the siblings of the failed stage; their blocked channel operations are withdrawn, in this"
        + " JVM or in worker JVMs alike, and nothing outlives the scope.";
  }

  @Override
  void shrink() {
    badAt = 100;
  }

  /** Three stages wait for each other: at least three tasks at once, unless the user says otherwise. */
  @Override
  Map<String, String> engineDefaults(String backend) {
    return Map.of(EngineConfig.WORKERS, "3");
  }

  /** Sends records without end: only a cancellation stops it. */
  static Task<Integer> source(Channel<String> out) {
    return () -> {
      int n = 0;
      while (true) {
        out.send("record " + n++);
      }
    };
  }

  /** Parses records and passes their numbers on; a record numbered {@code badAt} is corrupt. */
  static Task<Integer> parser(Channel<String> in, Channel<Integer> out, int badAt) {
    return () -> {
      int parsed = 0;
      for (String r : in) {
        int n = Integer.parseInt(r.substring("record ".length()));
        if (n == badAt) {
          throw new IllegalArgumentException("corrupt record " + n);
        }
        out.send(n);
        parsed++;
      }
      return parsed;
    };
  }

  /** Takes what arrives until cancelled. */
  static Task<Integer> sink(Channel<Integer> in) {
    return () -> {
      while (true) {
        in.receive();
      }
    };
  }

  @Override
  String title() {
    return "pipeline teardown";
  }

  @Override
  Summary runStages(Engine engine, PrintWriter out) throws Exception {
    if (engine.parallelism() < 3) {
      return new Summary("pipeline teardown").headline("not run: 3 stages need 3 tasks at once, the engine runs %d",
          engine.parallelism()).note("Run it with --workers 3.");
    }
    if (badAt < 0) {
      throw badFlag("--bad-at must not be negative");
    }
    Channel<String> records = Channel.bounded("records", 16);
    Channel<Integer> numbers = Channel.rendezvous("numbers");
    long t0 = System.nanoTime();
    Throwable failure = null;
    List<TaskFuture<Integer>> stages = new ArrayList<>();
    long tornDown;
    try (Scope<Integer> scope = engine.openScope(ScopeOptions.newBuilder().name("ingest").build())) {
      // The parser last: a scope that has shut down starts no more children.
      stages.add(scope.fork(sink(numbers)));
      stages.add(scope.fork(source(records)));
      stages.add(scope.fork(parser(records, numbers, badAt)));
      try {
        scope.join();
      } catch (ExecutionException e) {
        failure = e.getCause();
      }
      tornDown = System.nanoTime();
    }
    double closed = seconds(t0);
    if (failure == null) {
      throw new IllegalStateException("the parser should have failed at record " + badAt);
    }
    long cancelled = stages.stream().filter(TaskFuture::isCancelled).count();
    if (cancelled != 2) {
      throw new IllegalStateException("expected the source and the sink cancelled, got " + cancelled);
    }
    return new Summary(String.format(java.util.Locale.ROOT, "pipeline teardown on %s", engine.backendName()))
        .row("failure", "%s: %s", failure.getClass().getSimpleName(), failure.getMessage())
        .row("stages cancelled", "%d of 3 (the source blocked in send, the sink in receive)", cancelled)
        .row("join threw after", "%.2f s", (tornDown - t0) / 1e9)
        .row("scope closed after", "%.2f s (every stage stopped)", closed)
        .headline("failed at record %d, %d stages cancelled, closed in %.2f s", badAt, cancelled, closed);
  }
}
