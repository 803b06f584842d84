package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.logOrder;
import static dev.gearbox.testkit.ContractTasks.sleepUntilInterrupted;
import static dev.gearbox.testkit.ContractTasks.throwing;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.Scope;
import dev.gearbox.ScopeOptions;
import dev.gearbox.TaskFuture;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Structured scopes ({@code Engine.openScope}): results in fork order; fail-fast cancelling and
 * interrupting the siblings of a failed child; collect-all reporting every failure; a deadline
 * cancelling the unfinished children; close cancelling what a scope left running; forks refused
 * after close and from foreign threads; nested scopes shut down with their enclosing scope and
 * sharing its deadline. A scope only submits and cancels, so every backend passes all of this.
 */
public interface ScopesContract extends ContractFixture {

  /** A scope deadline long enough for any backend to start a task once it has a warm worker. */
  Duration SCOPE_DEADLINE = Duration.ofSeconds(2);

  /** Runs one task first, so that a backend with workers to start has one when a scope's clock runs. */
  private Engine warmed(Engine engine) throws Exception {
    assertThat(get(engine.submit(value(0)))).isZero();
    return engine;
  }

  @Test
  default void join_returnsTheResultsInForkOrder() throws Exception {
    Engine engine = open();
    try (Scope<Integer> scope = engine.openScope()) {
      for (int i = 1; i <= 5; i++) {
        scope.fork(value(i));
      }
      assertThat(scope.join()).containsExactly(1, 2, 3, 4, 5);
    }
  }

  @Test
  default void failFast_theFirstFailure_cancelsAndInterruptsTheSiblings_andJoinThrowsIt() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeQueueing(engine);
    try (Scope<Object> scope = engine.openScope(ScopeOptions.newBuilder().name("ff").build())) {
      TaskFuture<Object> sibling = scope.fork(sleepUntilInterrupted(dir(), 1));
      await().until(() -> Signals.isRaised(dir(), "started-1"));
      scope.fork(throwing("child failed"));
      assertThatThrownBy(scope::join).isInstanceOf(ExecutionException.class).hasMessageContaining("'ff'")
          .cause().isInstanceOf(ContractFailure.class).hasMessage("child failed");
      assertThat(sibling).isCancelled();
      await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
      assertThatThrownBy(() -> scope.fork(value(1))).as("a shut-down scope starts no more children")
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("child failed");
    }
  }

  @Test
  default void collectAll_letsEveryChildFinish_andReportsEveryFailure() throws Exception {
    Engine engine = open();
    try (Scope<Object> scope = engine.openScope(ScopeOptions.collectAll())) {
      TaskFuture<Object> first = scope.fork(throwing("first"));
      TaskFuture<Integer> ok = scope.fork(value(2));
      TaskFuture<Object> second = scope.fork(throwing("second"));
      Throwable t = catchThrowable(scope::join);
      assertThat(t).isInstanceOf(ExecutionException.class).hasMessageContaining("2 of 3 children failed");
      assertThat(t.getCause()).isInstanceOf(ContractFailure.class).hasMessage("first");
      assertThat(t.getSuppressed()).singleElement().satisfies(s -> assertThat(s).hasMessage("second"));
      assertThat(get(ok)).isEqualTo(2);
      assertThat(first).isCompletedExceptionally().isNotCancelled();
      assertThat(second).isCompletedExceptionally().isNotCancelled();
    }
  }

  @Test
  default void deadline_cancelsTheUnfinishedChildren_andJoinThrowsTimeoutException() throws Exception {
    Engine engine = warmed(open());
    assumeQueueing(engine);
    try (Scope<Object> scope = engine.openScope(ScopeOptions.newBuilder().name("timed").timeout(SCOPE_DEADLINE).build())) {
      TaskFuture<Integer> quick = scope.fork(value(3));
      TaskFuture<Object> slow = scope.fork(sleepUntilInterrupted(dir(), 1));
      await().until(() -> Signals.isRaised(dir(), "started-1"));
      assertThatThrownBy(scope::join).isInstanceOf(TimeoutException.class)
          .hasMessageContaining("'timed'").hasMessageContaining("1 of 2 children were cancelled");
      assertThat(get(quick)).isEqualTo(3);
      assertThat(slow).isCancelled();
      await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
    }
  }

  @Test
  default void close_withoutJoin_cancelsTheUnfinishedChildren_andLeavesNoneRunning() throws Exception {
    Engine engine = open();
    assumeQueueing(engine);
    TaskFuture<Object> child;
    try (Scope<Object> scope = engine.openScope()) {
      child = scope.fork(sleepUntilInterrupted(dir(), 1));
      await().until(() -> Signals.isRaised(dir(), "started-1"));
    }
    assertThat(child).isCancelled();
    await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
    await().until(() -> counter(engine, "running") == 0);
  }

  @Test
  default void fork_afterClose_failsNamingTheScope() throws Exception {
    Engine engine = open();
    Scope<Object> scope = engine.openScope(ScopeOptions.newBuilder().name("finished").build());
    scope.close();
    assertThatThrownBy(() -> scope.fork(logOrder(dir(), "never"))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'finished'").hasMessageContaining("closed");
    assertThat(Signals.lines(dir(), "order")).isEmpty();
  }

  @Test
  default void fork_fromAnotherThread_isRefused_unlessTheScopeAllowsIt() throws Exception {
    Engine engine = open();
    try (Scope<Integer> confined = engine.openScope(ScopeOptions.newBuilder().name("mine").build())) {
      CompletableFuture<Object> attempt = CompletableFuture.supplyAsync(() -> confined.fork(value(1)));
      Throwable t = failureOf(attempt);
      assertThat(t).isInstanceOf(WrongThreadException.class).hasMessageContaining("'mine'").hasMessageContaining("confined(false)");
      assertThat(confined.join()).isEmpty();
    }
    try (Scope<Integer> shared = engine.openScope(ScopeOptions.newBuilder().confined(false).build())) {
      shared.fork(value(1));
      get(CompletableFuture.supplyAsync(() -> shared.fork(value(2))));
      assertThat(shared.join()).containsExactly(1, 2);
    }
  }

  @Test
  default void aNestedScope_isShutDownWhenItsEnclosingScopeFails() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeQueueing(engine);
    try (Scope<Object> outer = engine.openScope(ScopeOptions.newBuilder().name("outer").build())) {
      try (Scope<Object> inner = engine.openScope(ScopeOptions.newBuilder().name("inner").policy(dev.gearbox.ScopePolicy.COLLECT_ALL).build())) {
        TaskFuture<Object> innerChild = inner.fork(sleepUntilInterrupted(dir(), 1));
        await().until(() -> Signals.isRaised(dir(), "started-1"));
        outer.fork(throwing("outer child failed"));
        assertThatThrownBy(inner::join).isInstanceOf(CancellationException.class)
            .hasMessageContaining("'inner'").hasMessageContaining("'outer'");
        assertThat(innerChild).isCancelled();
        await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
      }
      assertThatThrownBy(outer::join).isInstanceOf(ExecutionException.class).cause().hasMessage("outer child failed");
    }
  }

  @Test
  default void aNestedScope_sharesTheEnclosingDeadline() throws Exception {
    Engine engine = warmed(open());
    assumeQueueing(engine);
    try (Scope<Object> outer = engine.openScope(ScopeOptions.newBuilder().name("outer").timeout(SCOPE_DEADLINE).build())) {
      try (Scope<Object> inner = engine.openScope(ScopeOptions.newBuilder().name("inner").timeout(Duration.ofHours(1)).build())) {
        TaskFuture<Object> child = inner.fork(sleepUntilInterrupted(dir(), 1));
        await().until(() -> Signals.isRaised(dir(), "started-1"));
        assertThatThrownBy(inner::join).isInstanceOf(TimeoutException.class).hasMessageContaining("scope 'outer'");
        assertThat(child).isCancelled();
        await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
      }
      assertThatThrownBy(outer::join).isInstanceOf(TimeoutException.class);
    }
  }

  @Test
  default void closingAnEnclosingScopeFirst_closesTheNestedOne_andSaysSo() throws Exception {
    Engine engine = open();
    Scope<Object> outer = engine.openScope(ScopeOptions.newBuilder().name("outer").build());
    Scope<Object> inner = engine.openScope(ScopeOptions.newBuilder().name("inner").build());
    assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("'inner'");
    assertThatThrownBy(() -> inner.fork(value(1))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    try (Scope<Integer> next = engine.openScope()) {
      next.fork(value(4));
      assertThat(next.join()).as("a scope opened afterwards is not nested in the closed ones").containsExactly(4);
    }
  }

  /**
   * A scope that is never closed, with a deadline far away: the engine's close neither waits for
   * that deadline nor leaves its timer behind. The scope is opened in a thread of its own, so that
   * it is not the test thread's current scope afterwards.
   */
  @Test
  default void aScopeLeftOpen_withADistantDeadline_doesNotDelayTheEnginesClose() throws Exception {
    Engine engine = open();
    TaskFuture<Integer> child = CompletableFuture.supplyAsync(() -> engine.<Integer>openScope(
        ScopeOptions.newBuilder().name("left-open").timeout(Duration.ofHours(1)).build()).fork(value(7))).get();
    assertThat(get(child)).isEqualTo(7);
    CompletableFuture<Void> closing = CompletableFuture.runAsync(engine::close);
    closing.get(PROMPTLY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    assertThat(engine.isTerminated()).as("terminated, the open scope's deadline timer included").isTrue();
  }
}
