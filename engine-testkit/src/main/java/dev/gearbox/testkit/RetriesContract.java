package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.failEveryAttempt;
import static dev.gearbox.testkit.ContractTasks.hangOnFirstAttempt;
import static dev.gearbox.testkit.ContractTasks.succeedOnAttempt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.EngineListener;
import dev.gearbox.RetryPolicy;
import dev.gearbox.TaskEvent;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Retries: success on a later attempt, exhaustion with the last attempt's exception, exceptions
 * that are not retryable, the exponential backoff between attempts, a retry after a timeout (and
 * a retried attempt that hangs timing out in turn), a retry policy that throws, and the
 * configured default policy.
 */
public interface RetriesContract extends ContractFixture {

  @Test
  default void retry_transientFailure_succeedsOnALaterAttempt() throws Exception {
    Engine engine = open();
    RetryPolicy retry = RetryPolicy.newBuilder().maxAttempts(3).backoff(Duration.ofMillis(10), 2, Duration.ofMillis(50)).build();
    assertThat(get(engine.submit(succeedOnAttempt(3), TaskOptions.newBuilder().retry(retry).build()))).isEqualTo(3);
    assertThat(counter(engine, "retried")).isEqualTo(2);
    assertThat(counter(engine, "completed")).isEqualTo(1);
    assertThat(counter(engine, "failed")).isZero();
  }

  @Test
  default void retry_exhausted_failsWithTheLastAttemptsException() {
    Engine engine = open();
    RetryPolicy retry = RetryPolicy.newBuilder().maxAttempts(3).backoff(Duration.ZERO, 1, Duration.ZERO).build();
    Throwable cause = failureOf(engine.submit(failEveryAttempt(), TaskOptions.newBuilder().retry(retry).build()));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("attempt 3");
  }

  @Test
  default void retry_exceptionNotRetryable_failsAfterOneAttempt() {
    Engine engine = open();
    RetryPolicy retry = RetryPolicy.newBuilder().maxAttempts(5).retryOn(IOException.class).build();
    Throwable cause = failureOf(engine.submit(failEveryAttempt(), TaskOptions.newBuilder().retry(retry).build()));
    assertThat(cause).hasMessage("attempt 1");
    assertThat(counter(engine, "retried")).isZero();
  }

  @Test
  default void retry_waitsTheBackoffBetweenAttempts() throws Exception {
    Engine engine = open();
    List<Duration> delays = new CopyOnWriteArrayList<>();
    List<Long> retriedAt = new CopyOnWriteArrayList<>();
    engine.addListener(new EngineListener() {
      @Override
      public void taskRetried(TaskEvent event, Throwable failure, Duration delay) {
        delays.add(delay);
        retriedAt.add(event.elapsedNanos());
      }
    });
    RetryPolicy retry = RetryPolicy.newBuilder().maxAttempts(3).backoff(Duration.ofMillis(100), 2, Duration.ofSeconds(1)).build();
    long start = System.nanoTime();
    assertThat(get(engine.submit(succeedOnAttempt(3), TaskOptions.newBuilder().retry(retry).build()))).isEqualTo(3);
    long elapsed = System.nanoTime() - start;
    await().until(() -> delays.size() == 2);
    assertThat(delays).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @Test
  default void retry_afterATimeout_runsTheTaskAgain() throws Exception {
    Engine engine = open();
    // The second attempt must finish within the same per-attempt timeout, including a remote
    // backend's round trip on a loaded 2-vCPU machine: a second, not SHORT_TIMEOUT.
    TaskOptions options = TaskOptions.newBuilder().timeout(Duration.ofSeconds(1))
        .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ZERO, 1, Duration.ZERO).build()).build();
    assertThat(get(engine.submit(hangOnFirstAttempt(dir()), options))).isEqualTo(2);
  }

  @Test
  default void retry_aRetriedAttemptThatHangs_stillTimesOut() {
    Engine engine = open();
    TaskOptions options = TaskOptions.newBuilder().timeout(SHORT_TIMEOUT)
        .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ofMillis(10), 1, Duration.ofMillis(10)).build()).build();
    assertThat(failureOf(engine.submit(ContractTasks.failThenHang(dir()), options))).isInstanceOf(TaskTimeoutException.class);
  }

  @Test
  default void retry_aPolicyThatThrows_endsTheTaskWithItsFailure() {
    Engine engine = open();
    RetryPolicy broken = RetryPolicy.newBuilder().maxAttempts(3).retryIf(t -> {
      throw new IllegalStateException("retry predicate bug (expected by the test)");
    }).build();
    Throwable cause = failureOf(engine.submit(failEveryAttempt(), TaskOptions.newBuilder().retry(broken).build()));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("attempt 1");
    assertThat(cause.getSuppressed()).singleElement().isInstanceOf(IllegalStateException.class);
  }

  @Test
  default void retry_fromConfiguration_appliesToTasksWithoutAPolicy() throws Exception {
    Engine engine = open(b -> b.taskRetries(2).taskBackoff(Duration.ofMillis(1)));
    assertThat(get(engine.submit(succeedOnAttempt(3)))).isEqualTo(3);
  }
}
