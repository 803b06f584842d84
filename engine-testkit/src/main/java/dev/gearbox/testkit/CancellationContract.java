package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.logOrder;
import static dev.gearbox.testkit.ContractTasks.pollCancellation;
import static dev.gearbox.testkit.ContractTasks.sleepUntilInterrupted;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.TaskFuture;
import org.junit.jupiter.api.Test;

/**
 * Cancellation: a task cancelled before it starts never runs; one cancelled while running is
 * interrupted, or sees the cooperative flag when not interrupted; cancelling twice counts once;
 * cancelling an async task cancels its stage.
 */
public interface CancellationContract extends ContractFixture {

  @Test
  default void cancel_beforeStart_taskNeverRuns() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeQueueing(engine);
    TaskFuture<Integer> blocker = occupyOnlyWorker(engine);
    TaskFuture<String> queued = engine.submit(logOrder(dir(), "cancelled-one"));
    assertThat(queued.cancel(false)).isTrue();
    TaskFuture<String> after = engine.submit(logOrder(dir(), "after"));
    Signals.raise(dir(), "release");
    assertThat(get(blocker)).isZero();
    assertThat(get(after)).isEqualTo("after");
    assertThat(queued).isCancelled();
    assertThat(Signals.lines(dir(), "order")).containsExactly("after");
  }

  @Test
  default void cancel_whileRunning_interruptsTheTask() throws Exception {
    Engine engine = open();
    assumeQueueing(engine);
    TaskFuture<Object> f = engine.submit(sleepUntilInterrupted(dir(), 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    assertThat(f.cancel(true)).isTrue();
    assertThat(f).isCancelled();
    await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
  }

  @Test
  default void cancel_withoutInterrupt_setsTheCooperativeFlag() throws Exception {
    Engine engine = open();
    assumeQueueing(engine);
    TaskFuture<Object> f = engine.submit(pollCancellation(dir(), 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    f.cancel(false);
    await().until(() -> Signals.isRaised(dir(), "saw-cancel-1"));
    assertThat(f).isCancelled();
  }

  @Test
  default void cancel_isIdempotentAndCountedOnce() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeQueueing(engine);
    TaskFuture<Integer> blocker = occupyOnlyWorker(engine);
    TaskFuture<Integer> queued = engine.submit(value(5));
    assertThat(queued.cancel(true)).isTrue();
    assertThat(queued.cancel(true)).isTrue();
    Signals.raise(dir(), "release");
    get(blocker);
    assertThat(counter(engine, "cancelled")).isEqualTo(1);
  }

  @Test
  default void submitAsync_cancel_cancelsTheStage() {
    Engine engine = open();
    assumeQueueing(engine); // direct would await the stage inside submit
    TaskFuture<Object> f = engine.submitAsync(ContractTasks.asyncNeverCompleting(dir(), 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    f.cancel(true);
    await().until(() -> Signals.isRaised(dir(), "stage-cancelled-1"));
    await().until(() -> counter(engine, "running") == 0);
  }
}
