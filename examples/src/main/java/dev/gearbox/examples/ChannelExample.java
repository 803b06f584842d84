package dev.gearbox.examples;

import dev.gearbox.Engine;
import java.io.PrintWriter;

/**
 * An example whose tasks talk through channels and wait for each other ({@code sieve},
 * {@code farm}, {@code teardown}): it runs where the engine's tasks reach the caller's channels and
 * run side by side, and explains itself elsewhere.
 */
abstract class ChannelExample extends Example {
  /** The example's title, also when it does not run. */
  abstract String title();

  /** Runs the example on an engine that can run it. */
  abstract Summary runStages(Engine engine, PrintWriter out) throws Exception;

  @Override
  final Summary run(Engine engine, PrintWriter out) throws Exception {
    Summary no = unavailable(engine, title());
    return no != null ? no : runStages(engine, out);
  }

  /**
   * Null if the engine's tasks can reach the caller's channels and run side by side; else the
   * summary that explains why the example does not run there.
   */
  static Summary unavailable(Engine engine, String title) {
    if (!engine.capabilities().channels()) {
      return new Summary(title).headline("not run: channels do not reach %s tasks", engine.backendName())
          .row("why", "a task for the %s backend that captures a channel is rejected at submit", engine.backendName())
          .note("Channels reach tasks on thread, async, process (over each worker's pipe) and cluster; try --backend process.");
    }
    if (engine.parallelism() == Integer.MAX_VALUE) {
      return new Summary(title).headline("not run: %s runs each task inside submit", engine.backendName())
          .row("why", "stages that wait for each other need to run at the same time")
          .note("The direct level runs a task in the caller's thread, so a stage waiting for the next would wait for ever.");
    }
    return null;
  }
}
