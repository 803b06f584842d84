package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.ignoreInterruptsUntilReleased;
import static dev.gearbox.testkit.ContractTasks.sleepUntilInterrupted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfigException;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Timeouts: a task past its deadline fails with {@link TaskTimeoutException} and is
 * interrupted; one that ignores interrupts still times out for the caller at the deadline, and is
 * killed where the backend can kill or otherwise keeps its slot until it returns; the configured
 * default applies to tasks without a timeout; strict timeouts fail at open on a backend that
 * cannot kill; an async task's timeout cancels its stage.
 */
public interface TimeoutsContract extends ContractFixture {

  @Test
  default void timeout_failsTheFutureAndInterruptsTheTask() {
    Engine engine = open();
    TaskFuture<Object> f = engine.submit(sleepUntilInterrupted(dir(), 1), TaskOptions.newBuilder().timeout(SHORT_TIMEOUT).build());
    Throwable cause = failureOf(f);
    assertThat(cause).isInstanceOf(TaskTimeoutException.class).hasMessageContaining(f.taskName());
    assertThat(((TaskTimeoutException) cause).timeout()).isEqualTo(SHORT_TIMEOUT);
    await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
    assertThat(counter(engine, "timed-out")).isEqualTo(1);
  }

  @Test
  default void timeout_taskIgnoringInterrupts_callerStillGetsTheTimeoutAtTheDeadline() throws Exception {
    Engine engine = open();
    assumeQueueing(engine);
    TaskFuture<Object> f = engine.submit(ignoreInterruptsUntilReleased(dir(), 1),
        TaskOptions.newBuilder().timeout(SHORT_TIMEOUT).build());
    assertThat(failureOf(f)).isInstanceOf(TaskTimeoutException.class);
    if (engine.capabilities().canKill()) {
      // The ladder kills what runs the task: it never finishes.
      await().until(() -> counter(engine, "running") == 0);
      assertThat(Signals.isRaised(dir(), "finished-1")).isFalse();
    } else {
      // The task runs on, and keeps its slot, until it returns by itself.
      assertThat(counter(engine, "running")).isEqualTo(1);
      Signals.raise(dir(), "release");
      await().until(() -> Signals.isRaised(dir(), "finished-1"));
      await().until(() -> counter(engine, "running") == 0);
    }
  }

  @Test
  default void timeout_fromConfiguration_appliesToTasksWithoutOne() {
    Engine engine = open(b -> b.taskTimeout(SHORT_TIMEOUT));
    assertThat(failureOf(engine.submit(sleepUntilInterrupted(dir(), 1)))).isInstanceOf(TaskTimeoutException.class);
  }

  @Test
  default void strictTimeouts_onABackendThatCannotKill_failAtOpen() {
    Engine probe = open();
    assumeFalse(probe.capabilities().canKill(), "backend can kill: strict timeouts are allowed");
    assertThatThrownBy(() -> open(b -> b.strictTimeouts(true)))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.timeout.strict")
        .hasMessageContaining(probe.backendName());
  }

  @Test
  default void submitAsync_timeout_failsTheFutureAndCancelsTheStage() {
    Engine engine = open();
    TaskFuture<Object> f = engine.submitAsync(ContractTasks.asyncNeverCompleting(dir(), 1),
        TaskOptions.newBuilder().timeout(SHORT_TIMEOUT).build());
    assertThat(failureOf(f)).isInstanceOf(TaskTimeoutException.class);
    await().until(() -> Signals.isRaised(dir(), "stage-cancelled-1"));
  }
}
