package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gearbox.Channel;
import dev.gearbox.ChannelClosedException;
import dev.gearbox.ChannelPoisonedException;
import dev.gearbox.Engine;
import dev.gearbox.Scope;
import dev.gearbox.ScopeOptions;
import dev.gearbox.Select;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/**
 * Channels between the caller and tasks on the engine, wherever the tasks run: tasks producing for
 * the caller (in order per producer, nothing lost or duplicated), pipelines of tasks connected by
 * channels, close and poison in both directions, select with several ready cases (fair by counts),
 * timeouts, a task blocked on a channel stopped by cancel or by its scope's failure or deadline.
 * Where a task runs in a process of its own, that process is also killed while blocked in a send,
 * in a receive, and between receiving an element and acknowledging it, and no element may be lost
 * or duplicated. Skipped on backends whose tasks cannot reach the caller's channels, where instead
 * a task that captures a channel is rejected at submit, naming it.
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

  /** A step of a pipeline stage; serializable, so that a stage can run in another process. */
  interface Step extends java.util.function.IntUnaryOperator, Serializable {}

  /** Applies {@code step} to what arrives until the input ends, then closes the output. */
  private static Task<Object> stage(Channel<Integer> in, Step step, Channel<Integer> out) {
    return () -> {
      try {
        for (int x : in) {
          out.send(step.applyAsInt(x));
        }
      } finally {
        out.close();
      }
      return null;
    };
  }

  /** Squares what arrives until the input ends, then closes the output. */
  private static Task<Object> square(Channel<Integer> in, Channel<Integer> out) {
    return stage(in, x -> x * x, out);
  }

  /** An engine of {@code workers} whose tasks reach channels and wait in a queue; skips the test otherwise. */
  private Engine openForChannels(int workers) {
    Engine engine = open(b -> b.workers(workers));
    assumeChannels(engine);
    assumeQueueing(engine);
    return engine;
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
    Engine engine = openForChannels(3);
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
    Engine engine = openForChannels(2);
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
    assumeChannels(engine);
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
    Engine engine = openForChannels(2);
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
  default void aTaskCapturingAChannel_isRejectedAtSubmit_onABackendWhoseTasksCannotReachIt() {
    Engine engine = open();
    assumeFalse(engine.capabilities().channels(), "backend's tasks can use channels");
    Channel<Integer> ch = Channel.bounded("local-only", 1);
    assertThatThrownBy(() -> engine.submit(countTo(ch, 1))).isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("'local-only'");
    assertThat(ch.tryReceive()).isEmpty();
  }

  @Test
  default void aScopeOfChannelTasks_cancelledByItsDeadline_stopsTasksBlockedOnChannels() throws Exception {
    Engine engine = openForChannels(2);
    // Both workers run a task first: the scope's deadline runs from its open, and a child that
    // waited for a worker still starting could be cancelled before it ever ran.
    TaskFuture<Integer> w1 = engine.submit(ContractTasks.blockUntil(dir(), 11));
    TaskFuture<Integer> w2 = engine.submit(ContractTasks.blockUntil(dir(), 12));
    await().until(() -> Signals.isRaised(dir(), "started-11") && Signals.isRaised(dir(), "started-12"));
    Signals.raise(dir(), "release-11");
    Signals.raise(dir(), "release-12");
    assertThat(get(w1) + get(w2)).isEqualTo(23);
    Channel<Integer> ch = Channel.rendezvous("stalled");
    try (Scope<Integer> scope = engine.openScope(ScopeOptions.newBuilder().timeout(ScopesContract.SCOPE_DEADLINE).build())) {
      scope.fork(receiveOnce(dir(), ch, 1));
      scope.fork(receiveOnce(dir(), ch, 2));
      assertThatThrownBy(scope::join).isInstanceOf(java.util.concurrent.TimeoutException.class);
    }
    await().until(() -> Signals.isRaised(dir(), "interrupted-1") && Signals.isRaised(dir(), "interrupted-2"));
  }

  // ---------------------------------------------------------------- across the boundary

  /** How long a timed channel call waits in the timeout tests. */
  Duration CHANNEL_TIMEOUT = Duration.ofMillis(100);

  @Test
  default void aPipelineOfThreeStages_oneTaskEach_deliversEveryElementInOrder() throws Exception {
    Engine engine = openForChannels(3);
    Channel<Integer> numbers = Channel.rendezvous("numbers");
    Channel<Integer> squares = Channel.bounded("squares", 2);
    Channel<Integer> results = Channel.rendezvous("results");
    List<TaskFuture<Object>> stages = List.of(engine.submit(countTo(numbers, 50)), engine.submit(square(numbers, squares)),
        engine.submit(stage(squares, x -> x + 1, results)));
    List<Integer> seen = results.stream().toList();
    List<Integer> expected = new ArrayList<>();
    for (int i = 1; i <= 50; i++) {
      expected.add(i * i + 1);
    }
    assertThat(seen).isEqualTo(expected);
    for (TaskFuture<Object> f : stages) {
      get(f);
    }
  }

  @Test
  default void theCallerClosingAChannel_endsATasksIteration_afterItDrained() throws Exception {
    Engine engine = openForChannels(2);
    Channel<Integer> in = Channel.bounded("to-sum", 4);
    TaskFuture<Integer> sum = engine.submit(() -> {
      int total = 0;
      for (int x : in) {
        total += x;
      }
      return total;
    });
    for (int i = 1; i <= 10; i++) {
      in.send(i);
    }
    in.close();
    assertThat(get(sum)).isEqualTo(55);
    assertThatThrownBy(() -> in.send(11)).isInstanceOf(ChannelClosedException.class);
  }

  @Test
  default void aTaskPoisoningAChannel_failsTheCallerBlockedOnIt_withTheCause() throws Exception {
    Engine engine = openForChannels(2);
    Channel<Integer> ch = Channel.rendezvous("poisoned-by-a-task");
    String dir = dir();
    engine.submit(() -> {
      Signals.awaitInTask(dir, "caller-waits");
      ch.poison(new ContractFailure("the task gave up"));
      return null;
    });
    Signals.raise(dir, "caller-waits");
    assertThatThrownBy(ch::receive).isInstanceOf(ChannelPoisonedException.class).hasMessageContaining("'poisoned-by-a-task'")
        .cause().isInstanceOf(ContractFailure.class).hasMessage("the task gave up");
  }

  @Test
  default void aSelectInATask_withSeveralReadyCases_choosesFairly() throws Exception {
    Engine engine = open();
    assumeChannels(engine);
    int rounds = 200;
    Channel<Integer> a = Channel.bounded("fair-a", rounds);
    Channel<Integer> b = Channel.bounded("fair-b", rounds);
    for (int i = 0; i < rounds; i++) {
      a.send(i);
      b.send(i);
    }
    TaskFuture<int[]> counts = engine.submit(() -> {
      int[] n = new int[2];
      Select<Integer> select = Select.<Integer>create().onReceive(a, x -> 0).onReceive(b, x -> 1);
      for (int i = 0; i < rounds; i++) {
        n[select.select()]++;
      }
      return n;
    });
    int[] n = get(counts);
    assertThat(n[0] + n[1]).isEqualTo(rounds);
    // Both cases are ready every round: a fair choice takes each about half the time (binomial sd ~7).
    assertThat(n[0]).as("rounds won by the first case").isBetween(rounds / 2 - 45, rounds / 2 + 45);
    assertThat(a.tryReceive().isPresent() && b.tryReceive().isPresent()).isTrue();
  }

  @Test
  default void timedCallsInATask_giveUpAtTheirTimeout_andLeaveTheChannelAsItWas() throws Exception {
    Engine engine = open();
    assumeChannels(engine);
    Channel<String> empty = Channel.rendezvous("nobody-sends");
    Channel<String> full = Channel.bounded("full", 1);
    full.send("first");
    TaskFuture<String> f = engine.submit(() -> {
      Optional<String> got = empty.receive(CHANNEL_TIMEOUT);
      boolean sent = full.send("second", CHANNEL_TIMEOUT);
      String chosen = Select.<String>create().onReceive(empty, x -> "received " + x)
          .onTimeout(CHANNEL_TIMEOUT, () -> "timed out").select();
      return got.orElse("nothing") + ", " + sent + ", " + chosen + ", " + empty.tryReceive().orElse("none now");
    });
    assertThat(get(f)).isEqualTo("nothing, false, timed out, none now");
    assertThat(empty.trySend("late")).as("no receiver of the task is left waiting").isFalse();
    assertThat(full.tryReceive()).contains("first");
    assertThat(full.tryReceive()).as("the timed-out send left nothing behind").isEmpty();
  }

  @Test
  default void aScopesFailure_cancelsChildrenBlockedOnChannels_andLeavesNoWaiterBehind() throws Exception {
    Engine engine = openForChannels(3);
    Channel<Integer> ch = Channel.rendezvous("never-fed-in-a-scope");
    String dir = dir();
    try (Scope<Object> scope = engine.openScope()) {
      scope.fork(receiveOnce(dir, ch, 1));
      scope.fork(receiveOnce(dir, ch, 2));
      await().until(() -> Signals.isRaised(dir, "started-1") && Signals.isRaised(dir, "started-2"));
      scope.fork(ContractTasks.throwing("a sibling failed"));
      assertThatThrownBy(scope::join).isInstanceOf(ExecutionException.class).cause().hasMessage("a sibling failed");
    }
    await().until(() -> Signals.isRaised(dir, "interrupted-1") && Signals.isRaised(dir, "interrupted-2"));
    assertThat(ch.trySend(1)).as("both receives were withdrawn").isFalse();
  }

  @Test
  default void shutdownNow_withdrawsTheOperationATaskIsBlockedIn() throws Exception {
    Engine engine = openForChannels(1);
    Channel<Integer> ch = Channel.rendezvous("engine-stopping");
    TaskFuture<Integer> f = engine.submit(receiveOnce(dir(), ch, 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    engine.shutdownNow();
    await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
    assertThat(f).isCancelled();
    assertTerminates(engine);
    assertThat(ch.trySend(1)).as("nothing of the stopped engine's task waits on the channel").isFalse();
  }

  // ---------------------------------------------------------------- a task's process killed mid-operation

  /** Writes the task's process id to {@code pid-<k>}, then raises {@code started-<k>}. */
  private static void announce(String dir, int k) throws IOException {
    Files.writeString(Path.of(dir, "pid-" + k), Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
    Signals.raise(dir, "started-" + k);
  }

  /** Kills with SIGKILL the process of the task that announced itself as {@code k}; skips the test if that is this JVM. */
  private void killProcessOf(int k) throws IOException {
    await().until(() -> Signals.isRaised(dir(), "started-" + k));
    long pid = Long.parseLong(Files.readString(Path.of(dir(), "pid-" + k), StandardCharsets.UTF_8).trim());
    assumeTrue(pid != ProcessHandle.current().pid(), "tasks run in the caller's JVM: there is no process of their own to kill");
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }

  /**
   * Runs {@code op} in a task that first announces its process, kills that process with SIGKILL
   * while {@code op} blocks, and checks that the task failed as crashed.
   */
  private void killWhileBlocked(Task<?> op) throws Exception {
    Engine engine = openForChannels(1);
    String dir = dir();
    TaskFuture<Object> f = engine.submit(() -> {
      announce(dir, 1);
      return op.call();
    });
    killProcessOf(1);
    assertThat(failureOf(f)).isInstanceOf(WorkerCrashedException.class);
  }

  @Test
  default void aProcessKilledWhileBlockedInSend_sentNothing() throws Exception {
    Channel<String> ch = Channel.rendezvous("killed-sender");
    killWhileBlocked(() -> {
      ch.send("from the dead");
      return null;
    });
    assertThat(ch.receive(CHANNEL_TIMEOUT)).as("the send was withdrawn with its process").isEmpty();
  }

  @Test
  default void aProcessKilledWhileBlockedInReceive_leavesNoReceiverToSwallowTheNextElement() throws Exception {
    Channel<String> ch = Channel.rendezvous("killed-receiver");
    killWhileBlocked(ch::receive);
    assertThat(ch.trySend("next")).as("no receiver is left for the element").isFalse();
  }

  @Test
  default void aProcessDyingBetweenReceivingAndAcknowledging_givesTheElementBackToTheHead() throws Exception {
    Engine engine = open();
    assumeChannels(engine);
    long here = ProcessHandle.current().pid();
    assumeTrue(get(engine.submit((Task<Long>) () -> ProcessHandle.current().pid())) != here,
        "tasks run in the caller's JVM: there is no process of their own to die");
    Channel<Object> ch = Channel.bounded("comes-back", 3);
    HaltsElsewhere deadly = new HaltsElsewhere(here);
    ch.send(deadly);
    ch.send("second");
    ch.send("third");
    TaskFuture<Object> f = engine.submit((Task<Object>) ch::receive); // its process dies decoding `deadly`, before it acknowledges
    assertThat(failureOf(f)).isInstanceOf(WorkerCrashedException.class);
    assertThat(ch.tryReceive()).hasValueSatisfying(e -> assertThat(e).isSameAs(deadly));
    assertThat(ch.tryReceive()).contains("second");
    assertThat(ch.tryReceive()).contains("third");
  }

  /** An element whose decoding halts any JVM but the one that made it: a receiver dying before it acknowledges. */
  final class HaltsElsewhere implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long home;

    HaltsElsewhere(long home) {
      this.home = home;
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      if (ProcessHandle.current().pid() != home) {
        Runtime.getRuntime().halt(3);
      }
    }
  }

  // ---------------------------------------------------------------- bounds, and threads a task leaves behind

  /** Skips the test unless the engine's tasks run in a process other than this one. */
  private void assumeTasksInAnotherProcess(Engine engine) throws Exception {
    long here = ProcessHandle.current().pid();
    assumeTrue(get(engine.submit((Task<Long>) () -> ProcessHandle.current().pid())) != here,
        "tasks run in the caller's JVM, where channel calls are not routed: no per-task limit, no task-scoped handle");
  }

  /** Channel calls a task may have open at once where its calls are routed to the engine (README: Channels). */
  int MAX_CALLS_PER_TASK = 16;

  /**
   * Twenty threads of one task receive at once; each element holds its receiver in decoding (its
   * call open) until released. Only {@link #MAX_CALLS_PER_TASK} receivers reach the channel: the
   * others wait in the task's process, and get their elements once the first ones return. None is
   * lost, and the task's process is not taken for a faulty one.
   */
  @Test
  default void aTasksThreads_haveAtMostSixteenChannelCallsOpenAtOnce_theOthersWaitInItsProcess() throws Exception {
    Engine engine = openForChannels(1);
    assumeTasksInAnotherProcess(engine);
    int threads = MAX_CALLS_PER_TASK + 4;
    Channel<Object> ch = Channel.rendezvous("sixteen-at-once");
    String dir = dir();
    TaskFuture<Integer> f = engine.submit(() -> {
      java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
      List<Thread> receivers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Thread t = new Thread(() -> {
          try {
            ch.receive();
            got.incrementAndGet();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        t.start();
        receivers.add(t);
      }
      for (Thread t : receivers) {
        t.join();
      }
      return got.get();
    });
    HeldInDecoding held = new HeldInDecoding(ProcessHandle.current().pid(), dir);
    java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
    await().until(() -> (ch.trySend(held) ? taken.incrementAndGet() : taken.get()) == MAX_CALLS_PER_TASK);
    await().during(Duration.ofMillis(500)).atMost(PROMPTLY).until(() -> !ch.trySend(held));
    Signals.raise(dir, "decode");
    for (int i = MAX_CALLS_PER_TASK; i < threads; i++) {
      ch.send(held);
    }
    assertThat(get(f)).as("every receiver got an element").isEqualTo(threads);
    assertThat(ch.tryReceive()).isEmpty();
  }

  /** An element whose decoding, anywhere but in the JVM that made it, waits for the signal {@code decode}. */
  final class HeldInDecoding implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long home;
    private final String dir;

    HeldInDecoding(long home, String dir) {
      this.home = home;
      this.dir = dir;
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      if (ProcessHandle.current().pid() != home) {
        try {
          Signals.awaitInTask(dir, "decode");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /**
   * A thread the task left running after it returned: its receive, waiting when the task ended, is
   * withdrawn (it fails with {@code IllegalStateException}, leaving no receiver to swallow a later
   * element), and its later calls are refused the same way.
   */
  @Test
  default void channelCallsOfAThreadATaskLeftRunning_areRefusedOnceTheTaskEnded_andLeaveNoWaiterBehind() throws Exception {
    Engine engine = openForChannels(1);
    assumeTasksInAnotherProcess(engine);
    Channel<Integer> ch = Channel.rendezvous("outlived");
    String dir = dir();
    TaskFuture<Integer> f = engine.submit(() -> {
      Thread leftover = new Thread(() -> {
        try {
          Signals.raise(dir, "receiving");
          ch.receive();
          Signals.raise(dir, "received");
        } catch (IllegalStateException e) {
          Signals.raise(dir, "receive-refused");
        } catch (InterruptedException e) {
          Signals.raise(dir, "receive-interrupted");
        }
        try {
          ch.trySend(2);
          Signals.raise(dir, "sent");
        } catch (IllegalStateException e) {
          Signals.raise(dir, "send-refused");
        }
      });
      leftover.setDaemon(true);
      leftover.start();
      Signals.awaitInTask(dir, "end");
      return 1;
    });
    await().until(() -> Signals.isRaised(dir, "receiving"));
    Signals.raise(dir, "end");
    assertThat(get(f)).isEqualTo(1);
    await().until(() -> Signals.isRaised(dir, "receive-refused") && Signals.isRaised(dir, "send-refused"));
    assertThat(ch.trySend(3)).as("no receiver of the ended task is left waiting").isFalse();
    assertThat(Signals.isRaised(dir, "received") || Signals.isRaised(dir, "sent")).isFalse();
  }
}
