package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.gearbox.Channel;
import dev.gearbox.ChannelPoisonedException;
import dev.gearbox.Engine;
import dev.gearbox.Scope;
import dev.gearbox.ScopeOptions;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/**
 * Channels between the caller and tasks on the engine: tasks producing for the caller (in order
 * per producer, nothing lost or duplicated), a pipeline of tasks connected by channels, a task
 * blocked on a channel stopped by cancel, poison reaching a task. A channel reaches only tasks in
 * the JVM that made it, so these tests are skipped on backends that do not share memory, where
 * instead a task that captures a channel is rejected at submit, naming it.
 */
public interface ChannelsContract extends ContractFixture {

  /** Sends {@code count} pairs {producer, i} in order; closes nothing. */
  private static Task<Integer> produce(Channel<int[]> out, int producer, int count) {
    return () -> {
      for (int i = 0; i < count; i++) {
        out.send(new int[] {producer, i});
      }
      return count;
    };
  }

  /** Sends 1..n, then closes the channel. */
  private static Task<Object> countTo(Channel<Integer> out, int n) {
    return () -> {
      try {
        for (int i = 1; i <= n; i++) {
          out.send(i);
        }
      } finally {
        out.close();
      }
      return null;
    };
  }

  /** Squares what arrives until the input ends, then closes the output. */
  private static Task<Object> square(Channel<Integer> in, Channel<Integer> out) {
    return () -> {
      try {
        for (int x : in) {
          out.send(x * x);
        }
      } finally {
        out.close();
      }
      return null;
    };
  }

  /** Raises {@code started-<k>}, receives once; raises {@code interrupted-<k>} if interrupted. */
  private static Task<Integer> receiveOnce(String dir, Channel<Integer> in, int k) {
    return () -> {
      Signals.raise(dir, "started-" + k);
      try {
        return in.receive();
      } catch (InterruptedException e) {
        Signals.raise(dir, "interrupted-" + k);
        throw e;
      }
    };
  }

  @Test
  default void tasksSendToTheCaller_inOrderPerProducer_nothingLostOrDuplicated() throws Exception {
    Engine engine = open(b -> b.workers(3));
    assumeSharedMemory(engine);
    assumeQueueing(engine); // producers block until the caller receives
    Channel<int[]> ch = Channel.rendezvous("results");
    int producers = 3;
    int each = 200;
    List<TaskFuture<Integer>> fs = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      fs.add(engine.submit(produce(ch, p, each)));
    }
    Map<Integer, Integer> next = new HashMap<>();
    for (int n = 0; n < producers * each; n++) {
      int[] e = ch.receive();
      assertThat(e[1]).as("element of producer %d", e[0]).isEqualTo(next.getOrDefault(e[0], 0));
      next.put(e[0], e[1] + 1);
    }
    for (TaskFuture<Integer> f : fs) {
      assertThat(get(f)).isEqualTo(each);
    }
    assertThat(next).hasSize(producers).allSatisfy((p, n) -> assertThat(n).isEqualTo(each));
    assertThat(ch.tryReceive()).isEmpty();
  }

  @Test
  default void aPipelineOfTasksInAScope_connectedByChannels_deliversEveryElement() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeSharedMemory(engine);
    assumeQueueing(engine); // the stages run at once and wait for each other
    Channel<Integer> numbers = Channel.bounded("numbers", 4);
    Channel<Integer> squares = Channel.rendezvous("squares");
    try (Scope<Object> scope = engine.openScope()) {
      scope.fork(countTo(numbers, 100));
      scope.fork(square(numbers, squares));
      assertThat(squares.stream().mapToLong(Integer::longValue).sum()).isEqualTo(338_350L);
      scope.join();
    }
  }

  @Test
  default void aTaskThatClosesItsChannel_endsTheCallersIteration() throws Exception {
    Engine engine = open();
    assumeSharedMemory(engine);
    Channel<Integer> ch = Channel.bounded("all-buffered", 10); // room for everything: works on direct too
    get(engine.submit(countTo(ch, 10)));
    List<Integer> seen = new ArrayList<>();
    for (int x : ch) {
      seen.add(x);
    }
    assertThat(seen).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
  }

  /** A task (of an engine that shares memory and queues) that has started to receive from {@code ch}. */
  private TaskFuture<Integer> aTaskReceivingFrom(Channel<Integer> ch) {
    Engine engine = open();
    assumeSharedMemory(engine);
    assumeQueueing(engine);
    TaskFuture<Integer> f = engine.submit(receiveOnce(dir(), ch, 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    return f;
  }

  @Test
  default void cancel_reachesATaskBlockedOnAChannel() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("never-fed");
    TaskFuture<Integer> f = aTaskReceivingFrom(ch);
    f.cancel(true);
    await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
    assertThat(ch.trySend(1)).as("the interrupted receive left nothing waiting").isFalse();
  }

  @Test
  default void poison_failsATaskBlockedOnTheChannel_withTheCause() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("poisoned");
    TaskFuture<Integer> f = aTaskReceivingFrom(ch);
    IllegalStateException cause = new IllegalStateException("source failed");
    ch.poison(cause);
    assertThat(failureOf(f)).isInstanceOf(ChannelPoisonedException.class).hasCause(cause);
  }

  @Test
  default void aTaskCapturingAChannel_isRejectedAtSubmit_onABackendWithoutSharedMemory() {
    Engine engine = open();
    assumeFalse(engine.capabilities().sharedMemory(), "backend shares memory: its tasks can use channels");
    Channel<Integer> ch = Channel.bounded("local-only", 1);
    assertThatThrownBy(() -> engine.submit(countTo(ch, 1))).isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("'local-only'");
    assertThat(ch.tryReceive()).isEmpty();
  }

  @Test
  default void aScopeOfChannelTasks_cancelledByItsDeadline_stopsTasksBlockedOnChannels() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeSharedMemory(engine);
    assumeQueueing(engine);
    Channel<Integer> ch = Channel.rendezvous("stalled");
    try (Scope<Integer> scope = engine.openScope(ScopeOptions.newBuilder().timeout(ScopesContract.SCOPE_DEADLINE).build())) {
      scope.fork(receiveOnce(dir(), ch, 1));
      scope.fork(receiveOnce(dir(), ch, 2));
      assertThatThrownBy(scope::join).isInstanceOf(java.util.concurrent.TimeoutException.class);
    }
    await().until(() -> Signals.isRaised(dir(), "interrupted-1") && Signals.isRaised(dir(), "interrupted-2"));
  }
}
