package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gearbox.Engine;
import dev.gearbox.TaskFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A task that waits for a future of its own engine never hangs silently. Where tasks share the
 * engine's memory, a wait ({@code get}, {@code join}) that could never end (every slot held by
 * such waits, the awaited task not started) fails at once with an {@link IllegalStateException}
 * that names both tasks and the fix, as does a task waiting for its own future; a wait another
 * slot can serve gets its result; a timed
 * wait ends with its timeout. Where tasks run in another process or machine, a task cannot hold
 * its engine or one of its futures at all: a task that captures either is rejected at submit.
 */
public interface NestedWaitContract extends ContractFixture {

  @Test
  default void aTaskWaitingForATaskOfItsOwnEngineThatNoSlotCanRun_failsAtOnce_insteadOfHanging() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeTrue(engine.capabilities().sharedMemory(), "a task in another process cannot reach the engine");
    assumeQueueing(engine);
    TaskFuture<Integer> outer = engine.submit(() -> engine.submit(() -> 7).get());
    assertThat(failureOf(outer)).isInstanceOf(IllegalStateException.class).hasMessageContaining("never could")
        .hasMessageContaining("gearbox.workers");
    assertThat(get(engine.submit(() -> 8))).isEqualTo(8); // and the engine goes on
  }

  @Test
  default void aTaskJoiningATaskOfItsOwnEngineThatNoSlotCanRun_failsAtOnce_insteadOfHanging() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeTrue(engine.capabilities().sharedMemory(), "a task in another process cannot reach the engine");
    assumeQueueing(engine);
    TaskFuture<Integer> outer = engine.submit(() -> engine.submit(() -> 7).join());
    assertThat(failureOf(outer)).isInstanceOf(IllegalStateException.class).hasMessageContaining("never could");
    assertThat(get(engine.submit(() -> 8))).isEqualTo(8);
  }

  @Test
  default void aTaskJoiningItsOwnFuture_failsAtOnce_insteadOfHanging() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeTrue(engine.capabilities().sharedMemory(), "a task in another process cannot reach the engine");
    assumeQueueing(engine);
    java.util.concurrent.CompletableFuture<TaskFuture<Integer>> self = new java.util.concurrent.CompletableFuture<>();
    TaskFuture<Integer> task = engine.submit(() -> self.join().join());
    self.complete(task);
    assertThat(failureOf(task)).isInstanceOf(IllegalStateException.class).hasMessageContaining("its own future");
  }

  @Test
  default void aTaskWaitingForATaskOfItsOwnEngine_getsItsResult_whenAnotherSlotCanRunIt() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeTrue(engine.capabilities().sharedMemory(), "a task in another process cannot reach the engine");
    TaskFuture<Integer> outer = engine.submit(() -> engine.submit(() -> 7).join() + 1);
    assertThat(get(outer)).isEqualTo(8);
  }

  @Test
  default void aTimedWaitForATaskOfItsOwnEngine_endsWithItsTimeout_notAsADeadlock() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeTrue(engine.capabilities().sharedMemory(), "a task in another process cannot reach the engine");
    assumeQueueing(engine);
    TaskFuture<String> outer = engine.submit(() -> {
      try {
        return "got " + engine.submit(() -> 7).get(200, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return "timed out";
      }
    });
    assertThat(get(outer)).isEqualTo("timed out");
  }

  @Test
  default void aRemoteTaskThatCapturesItsEngineOrOneOfItsFutures_isRejectedAtSubmit() {
    Engine engine = open(b -> b.workers(1));
    assumeFalse(engine.capabilities().sharedMemory(), "in-process tasks may hold their engine");
    assertThatThrownBy(() -> engine.submit(() -> engine.submit(() -> 7).get()))
        .isInstanceOf(RejectedExecutionException.class);
    TaskFuture<Integer> seven = engine.submit(() -> 7);
    assertThatThrownBy(() -> engine.submit(() -> seven.get() + 1)).isInstanceOf(RejectedExecutionException.class);
  }
}
