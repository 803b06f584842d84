package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.blockUntilReleased;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.TaskFuture;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * What every concern's tests use: engines of the backend under test, the signal directory, the
 * bounds on every wait, and the helpers. Each concern is an interface extending this one, with
 * its tests as default methods; {@link ContractBase} implements the fixture.
 */
public interface ContractFixture {

  /** The bound on every wait for something that should happen promptly. */
  Duration PROMPTLY = Duration.ofSeconds(20);
  /**
   * A timeout short enough for tests and long enough for any backend to start a task on a loaded
   * machine: a cluster attempt's deadline runs from its send, so it covers the hop to a member.
   */
  Duration SHORT_TIMEOUT = Duration.ofSeconds(1);

  /** Opens an engine of the backend under test, closed after the test. */
  Engine open();

  /** Opens an engine of the backend under test with more configuration, closed after the test. */
  Engine open(UnaryOperator<EngineConfig.Builder> customize);

  /** The signal directory shared with tasks. */
  String dir();

  /** Skips tests that need tasks to wait in the queue behind a bounded pool (not {@code direct}). */
  default void assumeQueueing(Engine engine) {
    assumeTrue(engine.parallelism() < Integer.MAX_VALUE, "backend runs every task at submit; nothing queues");
  }

  /**
   * Skips tests whose tasks touch a {@code Channel}, on backends whose tasks cannot reach the
   * caller's channels ({@code BackendCapabilities.channels()}).
   */
  default void assumeChannels(Engine engine) {
    assumeTrue(engine.capabilities().channels(), "backend " + engine.backendName()
        + " runs tasks where the caller's channels cannot reach them");
  }

  default <T> T get(Future<T> f) throws Exception {
    return f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
  }

  default Throwable failureOf(Future<?> f) {
    Throwable t = catchThrowable(() -> f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).as("future failed").isInstanceOf(ExecutionException.class);
    return t.getCause();
  }

  /** Occupies every slot of a one-worker engine with a task blocked until {@code release}. */
  default TaskFuture<Integer> occupyOnlyWorker(Engine engine) {
    TaskFuture<Integer> blocker = engine.submit(blockUntilReleased(dir(), 0));
    await().until(() -> Signals.isRaised(dir(), "started-0"));
    return blocker;
  }

  /**
   * Waits {@link #PROMPTLY} for {@code engine} to terminate; if it does not, fails with what still
   * runs: the engine's snapshot (tasks, workers or members) and the stacks of this JVM's threads.
   */
  default void assertTerminates(Engine engine) throws InterruptedException {
    if (!engine.awaitTermination(PROMPTLY)) {
      StringBuilder threads = new StringBuilder();
      Thread.getAllStackTraces().forEach((t, stack) -> {
        threads.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
        for (StackTraceElement e : stack) {
          threads.append("    at ").append(e).append('\n');
        }
      });
      throw new AssertionError("engine " + engine.name() + " did not terminate within " + PROMPTLY + "\nsnapshot: "
          + engine.snapshot(50) + "\nthreads of this JVM:\n" + threads);
    }
  }

  default String name(Engine engine, String suffix) {
    return "gearbox." + engine.name() + "." + suffix;
  }

  default long counter(Engine engine, String suffix) {
    return engine.metrics().counter(name(engine, suffix)).getCount();
  }
}
