package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.sleepUntilInterrupted;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.TaskFuture;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Lifecycle: {@code shutdown} drains queued and running tasks and then rejects, {@code shutdownNow}
 * cancels them and leaves no future pending, {@code close} completes every future and terminates,
 * and every future completes exactly once under concurrent submit and cancel.
 */
public interface LifecycleContract extends ContractFixture {

  @Test
  default void shutdown_drainsQueuedAndRunningTasksThenRejects() throws Exception {
    Engine engine = open(b -> b.workers(1));
    List<TaskFuture<Integer>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(engine.submit(value(i)));
    }
    engine.shutdown();
    assertThat(engine.isShutdown()).isTrue();
    assertThatThrownBy(() -> engine.submit(value(99))).isInstanceOf(RejectedExecutionException.class).hasMessageContaining("shut down");
    assertTerminates(engine);
    for (int i = 0; i < 20; i++) {
      assertThat(futures.get(i).getNow(-1)).isEqualTo(i);
    }
    assertThat(engine.isTerminated()).isTrue();
  }

  @Test
  default void shutdownNow_cancelsQueuedAndRunningTasks_andLeavesNoFuturePending() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeQueueing(engine);
    List<TaskFuture<Object>> running = List.of(engine.submit(sleepUntilInterrupted(dir(), 1)), engine.submit(sleepUntilInterrupted(dir(), 2)));
    await().until(() -> Signals.isRaised(dir(), "started-1") && Signals.isRaised(dir(), "started-2"));
    List<TaskFuture<Integer>> queued = IntStream.range(0, 10).mapToObj(i -> engine.submit(value(i))).toList();
    engine.shutdownNow();
    assertTerminates(engine);
    assertThat(running).allMatch(TaskFuture::isCancelled);
    assertThat(queued).allMatch(TaskFuture::isCancelled);
    await().until(() -> Signals.isRaised(dir(), "interrupted-1") && Signals.isRaised(dir(), "interrupted-2"));
  }

  @Test
  default void close_completesEveryFutureAndTerminates() throws Exception {
    Engine engine = open();
    List<TaskFuture<Integer>> futures = IntStream.range(0, 50).mapToObj(i -> engine.submit(value(i))).toList();
    engine.close();
    assertThat(engine.isTerminated()).isTrue();
    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThatThrownBy(() -> engine.submit(value(1))).isInstanceOf(RejectedExecutionException.class);
  }

  @Test
  default void everyFutureCompletesExactlyOnce_underConcurrentSubmitAndCancel() throws Exception {
    Engine engine = open(b -> b.queueCapacity(100_000));
    int threads = 4;
    int perThread = 500;
    List<TaskFuture<Integer>> all = Collections.synchronizedList(new ArrayList<>());
    ConcurrentHashMap<Long, AtomicInteger> completions = new ConcurrentHashMap<>();
    List<Thread> submitters = new ArrayList<>();
    AtomicReference<Throwable> problem = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        try {
          for (int i = 0; i < perThread; i++) {
            TaskFuture<Integer> f = engine.submit(i % 10 == 0 ? ContractTasks.value(i) : ContractFunctions.spin(i));
            f.whenComplete((v, e) -> completions.computeIfAbsent(f.taskId(), k -> new AtomicInteger()).incrementAndGet());
            all.add(f);
            if (ThreadLocalRandom.current().nextInt(4) == 0) {
              f.cancel(ThreadLocalRandom.current().nextBoolean());
            }
          }
        } catch (Throwable e) {
          problem.set(e);
        }
      });
      submitters.add(th);
      th.start();
    }
    for (Thread th : submitters) {
      th.join(PROMPTLY.toMillis());
    }
    assertThat(problem.get()).isNull();
    engine.close();
    assertThat(all).hasSize(threads * perThread).allMatch(TaskFuture::isDone);
    assertThat(completions).hasSize(threads * perThread);
    assertThat(completions.values()).allMatch(c -> c.get() == 1);
    long settled = counter(engine, "completed") + counter(engine, "failed") + counter(engine, "cancelled");
    assertThat(settled).isEqualTo(counter(engine, "submitted")).isEqualTo(threads * perThread);
    assertThat(counter(engine, "cancelled")).isEqualTo(all.stream().filter(TaskFuture::isCancelled).count());
  }

  @Test
  default void close_fromADependentActionOfItsOwnTask_failsAtOnce_andTheEngineStillTerminates() throws Exception {
    Engine engine = open();
    assumeQueueing(engine); // direct runs the task inside submit, before a dependent can be attached
    TaskFuture<Integer> f = engine.submit(ContractTasks.blockUntilReleased(dir(), 1));
    AtomicReference<Throwable> seen = closeWhenComplete(engine, f);
    Signals.raise(dir(), "release");
    await().atMost(PROMPTLY).untilAsserted(() -> assertThat(seen.get()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dependent action"));
    assertThat(engine.isShutdown()).isTrue();
    assertTerminates(engine);
  }

  @Test
  default void close_fromADependentActionOfACancelledTask_failsAtOnce_too() throws Exception {
    Engine engine = open();
    assumeQueueing(engine);
    TaskFuture<Integer> f = engine.submit(ContractTasks.blockUntilReleased(dir(), 1));
    AtomicReference<Throwable> seen = closeWhenComplete(engine, f);
    f.cancel(true);
    Signals.raise(dir(), "release");
    await().atMost(PROMPTLY).untilAsserted(() -> assertThat(seen.get()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dependent action"));
    assertTerminates(engine);
  }

  /** Registers a dependent action on {@code f} that closes {@code engine}; returns what that close threw (or an AssertionError if it returned). */
  private static AtomicReference<Throwable> closeWhenComplete(Engine engine, TaskFuture<?> f) {
    AtomicReference<Throwable> seen = new AtomicReference<>();
    f.whenComplete((v, t) -> {
      try {
        engine.close();
        seen.set(new AssertionError("close() returned inside a dependent action of its own task"));
      } catch (Throwable e) {
        seen.set(e);
      }
    });
    return seen;
  }
}
