package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.blockUntilReleased;
import static dev.gearbox.testkit.ContractTasks.logOrder;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gearbox.Engine;
import dev.gearbox.QueueFullPolicy;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Admission: a full queue rejects at submit or blocks the submitter until there is room (every
 * blocked submitter gets in; a task submitting to its own engine is rejected instead of
 * deadlocking), a dependent action waiting for a queued task does not deadlock, and a
 * higher-priority queued task runs first.
 */
public interface AdmissionContract extends ContractFixture {

  @Test
  default void queueFull_rejectPolicy_rejectsAtSubmit() throws Exception {
    Engine engine = open(b -> b.workers(1).queueCapacity(2).whenQueueFull(QueueFullPolicy.REJECT));
    assumeQueueing(engine);
    TaskFuture<Integer> blocker = occupyOnlyWorker(engine);
    TaskFuture<Integer> q1 = engine.submit(value(1));
    TaskFuture<Integer> q2 = engine.submit(value(2));
    assertThatThrownBy(() -> engine.submit(value(3)))
        .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("gearbox.queue.capacity");
    assertThat(counter(engine, "rejected")).isEqualTo(1);
    Signals.raise(dir(), "release");
    assertThat(List.of(get(blocker), get(q1), get(q2))).containsExactly(0, 1, 2);
  }

  @Test
  default void queueFull_blockPolicy_makesTheSubmitterWaitForSpace() throws Exception {
    Engine engine = open(b -> b.workers(1).queueCapacity(1).whenQueueFull(QueueFullPolicy.BLOCK));
    assumeQueueing(engine);
    TaskFuture<Integer> blocker = occupyOnlyWorker(engine);
    TaskFuture<Integer> q1 = engine.submit(value(1));
    AtomicReference<TaskFuture<Integer>> late = new AtomicReference<>();
    Thread submitter = new Thread(() -> late.set(engine.submit(value(2))));
    submitter.start();
    await().until(() -> submitter.getState() == Thread.State.WAITING);
    assertThat(late.get()).isNull();
    Signals.raise(dir(), "release");
    submitter.join(PROMPTLY.toMillis());
    assertThat(List.of(get(blocker), get(q1), get(late.get()))).containsExactly(0, 1, 2);
  }

  @Test
  default void queueFull_blockPolicy_taskSubmittingToItsOwnEngineIsRejectedInsteadOfDeadlocking() throws Exception {
    Engine engine = open(b -> b.workers(1).queueCapacity(1).whenQueueFull(QueueFullPolicy.BLOCK));
    assumeQueueing(engine);
    assumeTrue(engine.capabilities().sharedMemory(), "a remote task cannot reach the caller's engine");
    List<TaskFuture<Integer>> inner = new CopyOnWriteArrayList<>();
    TaskFuture<String> nested = engine.submit(() -> {
      inner.add(engine.submit(value(2))); // waits in the queue: this task holds the only worker
      try {
        inner.add(engine.submit(value(3))); // the queue is full now
        return "not rejected";
      } catch (RejectedExecutionException e) {
        return e.getMessage();
      }
    });
    assertThat(get(nested)).contains("queue full").contains("same engine");
    assertThat(inner).hasSize(1);
    assertThat(get(inner.get(0))).isEqualTo(2);
  }

  @Test
  default void queueFull_blockPolicy_everyBlockedSubmitterGetsIn() throws Exception {
    Engine engine = open(b -> b.workers(2).queueCapacity(1).whenQueueFull(QueueFullPolicy.BLOCK));
    assumeQueueing(engine);
    TaskFuture<Integer> a1 = engine.submit(blockUntilReleased(dir(), 1));
    TaskFuture<Integer> a2 = engine.submit(blockUntilReleased(dir(), 2));
    await().until(() -> Signals.isRaised(dir(), "started-1") && Signals.isRaised(dir(), "started-2"));
    List<TaskFuture<Integer>> all = new CopyOnWriteArrayList<>();
    all.add(engine.submit(value(0))); // fills the queue
    List<Thread> submitters = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 20; i++) {
          all.add(engine.submit(value(i)));
        }
      });
      submitters.add(th);
      th.start();
    }
    await().until(() -> submitters.stream().allMatch(th -> th.getState() == Thread.State.WAITING));
    Signals.raise(dir(), "release"); // both workers free up at about the same moment
    for (Thread th : submitters) {
      th.join(PROMPTLY.toMillis());
      assertThat(th.isAlive()).as("a submitter is still blocked").isFalse();
    }
    assertThat(List.of(get(a1), get(a2))).containsExactly(1, 2);
    assertThat(all).hasSize(121);
    for (TaskFuture<Integer> f : all) {
      get(f);
    }
  }

  @Test
  default void aDependentActionThatWaitsForTheNextQueuedTask_doesNotDeadlock() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeQueueing(engine);
    TaskFuture<Integer> a = engine.submit(ContractTasks.blockUntil(dir(), 1));
    TaskFuture<Integer> other = engine.submit(ContractTasks.blockUntil(dir(), 2));
    await().until(() -> Signals.isRaised(dir(), "started-1") && Signals.isRaised(dir(), "started-2"));
    TaskFuture<Integer> queued = engine.submit(value(3));
    java.util.concurrent.CompletableFuture<Integer> joined = a.thenApply(x -> x + queued.join());
    Signals.raise(dir(), "release-1"); // a's worker must not keep the queued task for itself
    Signals.raise(dir(), "release-2");
    assertThat(joined.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(4);
    assertThat(get(other)).isEqualTo(2);
  }

  @Test
  default void priority_higherPriorityQueuedTaskRunsFirst() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeQueueing(engine);
    TaskFuture<Integer> blocker = occupyOnlyWorker(engine);
    TaskFuture<String> low = engine.submit(logOrder(dir(), "low"), TaskOptions.newBuilder().priority(0).build());
    TaskFuture<String> high = engine.submit(logOrder(dir(), "high"), TaskOptions.newBuilder().priority(10).build());
    TaskFuture<String> low2 = engine.submit(logOrder(dir(), "low2"), TaskOptions.newBuilder().priority(0).build());
    Signals.raise(dir(), "release");
    get(blocker);
    get(low);
    get(high);
    get(low2);
    assertThat(Signals.lines(dir(), "order")).containsExactly("high", "low", "low2");
  }
}
