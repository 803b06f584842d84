package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.describeContext;
import static dev.gearbox.testkit.ContractTasks.throwing;
import static dev.gearbox.testkit.ContractTasks.throwingChecked;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.MoreExecutors;
import dev.gearbox.Engine;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Results and failures: a task's value (or {@code null}) arrives as itself, a task's exception
 * arrives with its own class and message (checked ones too), a context task sees its id, name
 * and attempt, futures compose and take listeners but cannot be completed by hand, null
 * arguments are refused, and {@code submitAsync} ends with its stage's value or failure.
 */
public interface ResultsContract extends ContractFixture {

  @Test
  default void submit_returnsTheTaskResult() throws Exception {
    Engine engine = open();
    assertThat(get(engine.submit(value(42)))).isEqualTo(42);
  }

  @Test
  default void submit_nullResult_completesWithNull() throws Exception {
    Engine engine = open();
    Object result = get(engine.submit(ContractTasks.nothing()));
    assertThat(result).isNull();
  }

  @Test
  default void submit_taskThrows_futureFailsWithTheOriginalClassAndMessage() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submit(throwing("boom 7")));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("boom 7");
  }

  @Test
  default void submit_checkedException_arrivesAsItself() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submit(throwingChecked("disk on fire")));
    assertThat(cause).isInstanceOf(IOException.class).hasMessage("disk on fire");
  }

  @Test
  default void contextTask_seesItsIdNameAndAttempt() throws Exception {
    Engine engine = open();
    TaskFuture<String> f = engine.submit(describeContext(), TaskOptions.named("ctx-probe"));
    assertThat(get(f)).isEqualTo(f.taskId() + " ctx-probe 1");
  }

  @Test
  default void future_isComposableAndListenable() throws Exception {
    Engine engine = open();
    TaskFuture<Integer> f = engine.submit(value(20));
    CountDownLatch listened = new CountDownLatch(1);
    f.addListener(listened::countDown, MoreExecutors.directExecutor());
    assertThat(f.thenApply(x -> x + 1).toCompletableFuture().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(21);
    assertThat(listened.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
  }

  @Test
  default void future_cannotBeCompletedByHand() throws Exception {
    Engine engine = open();
    TaskFuture<Integer> f = engine.submit(value(1));
    assertThatThrownBy(() -> f.complete(2)).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("cancel");
    assertThatThrownBy(() -> f.completeExceptionally(new RuntimeException())).isInstanceOf(UnsupportedOperationException.class);
    assertThat(get(f)).isEqualTo(1);
  }

  @Test
  default void submit_nullArguments_throwNullPointerException() {
    Engine engine = open();
    assertThatThrownBy(() -> engine.submit((dev.gearbox.Task<Object>) null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> engine.submit(value(1), null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  default void submitAsync_completesWithTheStagesResult() throws Exception {
    Engine engine = open();
    assertThat(get(engine.submitAsync(ContractTasks.asyncValue(11)))).isEqualTo(11);
  }

  @Test
  default void submitAsync_failedStage_failsWithTheTasksOwnExceptionUnwrapped() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submitAsync(ContractTasks.asyncFailing("stage broke")));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("stage broke");
  }

  @Test
  default void submitAsync_callThrows_failsWithThatException() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submitAsync(ContractTasks.asyncThrowing("no stage")));
    assertThat(cause).isInstanceOf(IOException.class).hasMessage("no stage");
  }
}
