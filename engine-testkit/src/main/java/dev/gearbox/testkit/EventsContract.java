package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.reportProgress;
import static dev.gearbox.testkit.ContractTasks.sleepUntilInterrupted;
import static dev.gearbox.testkit.ContractTasks.throwing;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineListener;
import dev.gearbox.TaskEvent;
import dev.gearbox.TaskFuture;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Events and metrics: listener events and metrics match what happened, progress reaches
 * listeners, a listener that throws breaks nothing, and metrics go to a given registry under the
 * engine's name.
 */
public interface EventsContract extends ContractFixture {

  @Test
  default void events_andMetrics_matchWhatHappened() throws Exception {
    Engine engine = open(b -> b.workers(1));
    ConcurrentHashMap<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    engine.addListener(countingListener(seen));
    get(engine.submit(value(1)));
    failureOf(engine.submit(throwing("x")));
    // Cancelling a running task needs the task to run while this thread goes on (not direct).
    boolean wasCancelled = engine.parallelism() < Integer.MAX_VALUE;
    if (wasCancelled) {
      TaskFuture<Object> cancelled = engine.submit(sleepUntilInterrupted(dir(), 9));
      await().until(() -> Signals.isRaised(dir(), "started-9"));
      cancelled.cancel(true);
    } else {
      failureOf(engine.submit(throwing("y")));
    }
    await().until(() -> count(seen, "submitted") == 3
        && count(seen, "succeeded") + count(seen, "failed") + count(seen, "cancelled") == 3);
    assertThat(count(seen, "succeeded")).isEqualTo(1);
    assertThat(count(seen, "cancelled")).isEqualTo(wasCancelled ? 1 : 0);
    assertThat(count(seen, "started")).isGreaterThanOrEqualTo(2);

    assertThat(counter(engine, "submitted")).isEqualTo(3);
    assertThat(counter(engine, "completed")).isEqualTo(1);
    assertThat(counter(engine, "cancelled")).isEqualTo(wasCancelled ? 1 : 0);
    assertThat(counter(engine, "failed")).isEqualTo(wasCancelled ? 1 : 2);
    assertThat(engine.metrics().timer(name(engine, "run-time")).getCount()).isGreaterThanOrEqualTo(2);
    assertThat(engine.metrics().timer(name(engine, "queue-wait")).getCount()).isGreaterThanOrEqualTo(2);
    await().until(() -> counter(engine, "running") == 0);
    assertThat(engine.metrics().getGauges().get(name(engine, "queue-depth")).getValue()).isEqualTo(0);
  }

  @Test
  default void progress_reachesListeners() throws Exception {
    Engine engine = open();
    List<String> progress = new CopyOnWriteArrayList<>();
    engine.addListener(new EngineListener() {
      @Override
      public void taskProgress(TaskEvent event, double fraction, String message) {
        progress.add(fraction + " " + message);
      }
    });
    assertThat(get(engine.submit(reportProgress()))).isEqualTo("ok");
    await().until(() -> progress.size() == 2);
    assertThat(progress).containsExactly("0.5 half", "1.0 done");
  }

  @Test
  default void aListenerThatThrows_breaksNothing() throws Exception {
    Engine engine = open();
    ConcurrentHashMap<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    engine.addListener(new EngineListener() {
      @Override
      public void taskSubmitted(TaskEvent event) {
        throw new IllegalStateException("listener bug (expected by the test)");
      }

      @Override
      public void taskSucceeded(TaskEvent event) {
        throw new IllegalStateException("listener bug (expected by the test)");
      }
    });
    engine.addListener(countingListener(seen));
    for (int i = 0; i < 5; i++) {
      assertThat(get(engine.submit(value(i)))).isEqualTo(i);
    }
    await().until(() -> count(seen, "succeeded") == 5);
  }

  @Test
  default void metrics_goToAGivenRegistry_underTheEngineName() throws Exception {
    MetricRegistry registry = new MetricRegistry();
    Engine engine = open(b -> b.metricRegistry(registry).name("contract-metrics"));
    get(engine.submit(value(1)));
    assertThat(registry.counter("gearbox.contract-metrics.completed").getCount()).isEqualTo(1);
    assertThatThrownBy(() -> open(b -> b.metricRegistry(registry).name("contract-metrics")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.name");
  }

  private static int count(ConcurrentHashMap<String, AtomicInteger> seen, String key) {
    AtomicInteger n = seen.get(key);
    return n == null ? 0 : n.get();
  }

  private static EngineListener countingListener(ConcurrentHashMap<String, AtomicInteger> seen) {
    return new EngineListener() {
      private void bump(String key) {
        seen.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      }

      @Override
      public void taskSubmitted(TaskEvent event) {
        bump("submitted");
      }

      @Override
      public void taskStarted(TaskEvent event) {
        bump("started");
      }

      @Override
      public void taskSucceeded(TaskEvent event) {
        bump("succeeded");
      }

      @Override
      public void taskFailed(TaskEvent event, Throwable failure) {
        bump("failed");
      }

      @Override
      public void taskCancelled(TaskEvent event) {
        bump("cancelled");
      }
    };
  }
}
