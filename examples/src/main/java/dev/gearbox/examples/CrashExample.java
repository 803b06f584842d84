package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Crash isolation: tasks that end their JVM ({@code System.exit}, {@code Runtime.halt}, a memory
 * leak up to OutOfMemoryError, SIGKILL). Where tasks run in worker processes, only the crashing
 * task fails, with a message saying which worker died and how, and the pool heals. Where tasks
 * share this JVM, the example does not kill itself: it says what would happen instead.
 */
@Command(name = "crash", mixinStandardHelpOptions = true,
    description = "Crash isolation: tasks that exit, halt, leak memory or get SIGKILLed; only they fail and the pool heals.")
final class CrashExample extends Example {
  @Option(names = "--tasks", description = "well-behaved tasks before and after the crashes (default: ${DEFAULT-VALUE})")
  int tasks = 12;

  @Override
  String name() {
    return "crash";
  }

  @Override
  String shows() {
    return "a task that kills its JVM fails alone where tasks run in processes";
  }

  @Override
  String lesson() {
    return "Only the process level survives a task that exits, halts, leaks to OutOfMemoryError or is SIGKILLed: that task fails alone, named, and the pool heals.";
  }

  @Override
  void shrink() {
    tasks = 4;
  }

  @Override
  Map<String, String> engineDefaults(String backend) {
    // Small worker heaps, so the leaking task reaches OutOfMemoryError in a moment.
    return backend.equals("process") ? Map.of("gearbox.process.heap", "64m") : Map.of();
  }

  @Override
  Summary run(Engine engine, PrintWriter out) throws Exception {
    if (tasks < 1) {
      throw badFlag("--tasks must be at least 1");
    }
    Summary s = new Summary("crash isolation on " + engine.backendName());
    TreeSet<Long> pidsBefore = runWellBehaved(engine, "before", s);
    long startedBefore = workersStarted(engine); // the pool's own; from here on a start replaces a crashed one
    long self = ProcessHandle.current().pid();
    if (engine.capabilities().sharedMemory() || pidsBefore.contains(self)) {
      TaskFuture<Object> thrower = engine.submit(() -> {
        throw new IllegalStateException("a task's own exception");
      }, TaskOptions.newBuilder().name("throws").build());
      s.row("a task that throws", outcome(thrower));
      runWellBehaved(engine, "after", s);
      return s.headline("not isolated: runs in this JVM")
          .note("Tasks on the " + engine.backendName() + " backend run in this JVM"
              + (engine.capabilities().sharedMemory() ? "" : " (as serialized copies, but in the same process)")
              + ". A task's exception fails only that task,")
          .note("but System.exit or Runtime.halt would end this whole program, a leak to OutOfMemoryError would")
          .note("hit every task, and SIGKILL would take everything down. The example does not do that here;")
          .note("run it where tasks are isolated: ./gearbox crash --backend process");
    }

    Map<String, Task<Object>> crashes = new LinkedHashMap<>();
    crashes.put("System.exit(3)", () -> {
      System.exit(3);
      return null;
    });
    crashes.put("Runtime.halt(42)", () -> {
      Runtime.getRuntime().halt(42);
      return null;
    });
    crashes.put("leak until OOM", () -> {
      List<long[]> hoard = new ArrayList<>();
      while (true) {
        hoard.add(new long[1 << 20]);
      }
    });
    crashes.put("kill -9 itself", () -> {
      // The shell's own kill: no procps binary needed.
      new ProcessBuilder("sh", "-c", "kill -9 " + ProcessHandle.current().pid()).inheritIO().start().waitFor();
      Thread.sleep(60_000);
      return null;
    });
    Map<String, TaskFuture<Object>> futures = new LinkedHashMap<>();
    crashes.forEach((what, task) -> futures.put(what, engine.submit(task, TaskOptions.newBuilder().name(what).build())));
    int failedAlone = 0;
    for (Map.Entry<String, TaskFuture<Object>> e : futures.entrySet()) {
      String outcome = outcome(e.getValue());
      if (outcome.startsWith("WorkerCrashedException")) {
        failedAlone++;
      }
      s.row(e.getKey(), outcome);
    }
    TreeSet<Long> pidsAfter = runWellBehaved(engine, "after", s);
    pidsAfter.retainAll(pidsBefore);
    s.row("worker crashes / replacements started", "%d / %d (replacements start on demand)",
        count(engine, "workers-crashed"), workersStarted(engine) - startedBefore);
    return s.headline("%d/%d crashes isolated, pool healed", failedAlone, crashes.size())
        .note("Each crash failed only its own task, with a WorkerCrashedException naming the task, the worker,")
        .note("the exit code or signal and the worker's last output lines; replacements started on demand.")
        .note(pidsAfter.isEmpty() ? "The tasks after the crashes all ran on new worker processes."
            : "Workers that survived kept serving: " + pidsAfter.size() + " pid(s) served before and after.");
  }

  private TreeSet<Long> runWellBehaved(Engine engine, String when, Summary s) throws Exception {
    List<TaskFuture<Long>> fs = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      fs.add(engine.submit(() -> ProcessHandle.current().pid(), TaskOptions.newBuilder().name("ok-" + when + "-" + i).build()));
    }
    TreeSet<Long> pids = new TreeSet<>();
    for (TaskFuture<Long> f : fs) {
      pids.add(f.get());
    }
    s.row("well-behaved tasks " + when, "%d/%d succeeded on %d process(es)", fs.size(), tasks, pids.size());
    return pids;
  }

  /** Workers that joined the pool: started, or taken warm from an engine closed a moment before. */
  private static long workersStarted(Engine engine) {
    return count(engine, "workers-started") + count(engine, "workers-adopted");
  }

  /**
   * A count of the backend's workers from the engine's metrics ({@code gearbox.<engine>.process.NAME}
   * on the process backend), or 0 where the backend does not count its workers. Counted before the
   * tasks involved complete, unlike listener events, which arrive on the event thread a moment later.
   */
  private static long count(Engine engine, String name) {
    return engine.metrics().getCounters((n, m) -> n.startsWith("gearbox." + engine.name() + ".") && n.endsWith("." + name))
        .values().stream().mapToLong(com.codahale.metrics.Counter::getCount).sum();
  }

  /** The first line of how a task ended. */
  private static String outcome(TaskFuture<?> f) throws InterruptedException {
    try {
      return "returned " + f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      String m = String.valueOf(c.getMessage());
      int nl = m.indexOf('\n');
      // The row already names the task; the message names it too ("task NAME (id N): ...").
      String first = (nl < 0 ? m : m.substring(0, nl)).replaceFirst("^task .*? \\(id \\d+\\): ", "");
      if (first.length() > 100) {
        first = first.substring(0, 97) + "...";
      }
      return c.getClass().getSimpleName() + ": " + first;
    }
  }
}
