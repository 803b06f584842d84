package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.Engine;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@link ExecutorService} view ({@code Engine.asExecutorService()}):
 * {@code invokeAll}, {@code invokeAny} (and its failure when every task fails), and
 * {@code shutdownNow} returning the tasks that never started.
 */
public interface ExecutorViewContract extends ContractFixture {

  @Test
  default void executorService_invokeAllAndInvokeAny() throws Exception {
    Engine engine = open();
    ExecutorService es = engine.asExecutorService();
    List<Callable<Integer>> calls = List.of(ContractFunctions.callable(1), ContractFunctions.callable(2), ContractFunctions.callable(3));
    List<Future<Integer>> all = es.invokeAll(calls);
    assertThat(all.stream().map(f -> f.isDone() ? f.resultNow() : -1).toList()).containsExactly(1, 2, 3);
    assertThat(es.invokeAny(calls)).isIn(1, 2, 3);
    assertThat(es.submit(ContractFunctions.callable(7)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(7);
  }

  @Test
  default void executorService_invokeAny_allFailing_throwsExecutionException() {
    Engine engine = open();
    ExecutorService es = engine.asExecutorService();
    assertThatThrownBy(() -> es.invokeAny(List.of(ContractFunctions.failingCallable(), ContractFunctions.failingCallable())))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ContractFailure.class);
  }

  @Test
  default void executorService_shutdownNow_returnsTheTasksThatNeverStarted() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeQueueing(engine);
    ExecutorService es = engine.asExecutorService();
    occupyOnlyWorker(engine);
    Runnable r = ContractFunctions.runnable();
    es.execute(r);
    es.submit(ContractFunctions.callable(5));
    List<Runnable> never = es.shutdownNow();
    assertThat(never).hasSize(2).contains(r);
    assertThat(es.isShutdown()).isTrue();
    assertThat(es.awaitTermination(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
  }
}
