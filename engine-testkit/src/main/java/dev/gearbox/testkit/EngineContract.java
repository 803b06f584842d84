package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.blockUntilReleased;
import static dev.gearbox.testkit.ContractTasks.describeContext;
import static dev.gearbox.testkit.ContractTasks.failEveryAttempt;
import static dev.gearbox.testkit.ContractTasks.hangOnFirstAttempt;
import static dev.gearbox.testkit.ContractTasks.ignoreInterruptsUntilReleased;
import static dev.gearbox.testkit.ContractTasks.logOrder;
import static dev.gearbox.testkit.ContractTasks.pollCancellation;
import static dev.gearbox.testkit.ContractTasks.reportProgress;
import static dev.gearbox.testkit.ContractTasks.sleepUntilInterrupted;
import static dev.gearbox.testkit.ContractTasks.succeedOnAttempt;
import static dev.gearbox.testkit.ContractTasks.throwing;
import static dev.gearbox.testkit.ContractTasks.throwingChecked;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.codahale.metrics.MetricRegistry;
import com.google.common.util.concurrent.MoreExecutors;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineListener;
import dev.gearbox.MapOptions;
import dev.gearbox.QueueFullPolicy;
import dev.gearbox.RetryPolicy;
import dev.gearbox.TaskEvent;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every backend passes: extend it, implement {@link #configure}, and the backend is
 * held to DESIGN.md's invariants. Tests that need a capability the backend lacks (queueing
 * behind a bounded pool, killing) are skipped by assumption, never weakened.
 *
 * <p>Tasks are serializable lambdas from {@link ContractTasks}; they coordinate with the test
 * through {@link Signals} files, so the same suite runs against worker processes. Every wait is
 * an Awaitility condition or a future's {@code get} with a bound; nothing sleeps "long enough".
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class EngineContract {

  /** The bound on every wait for something that should happen promptly. */
  protected static final Duration PROMPTLY = Duration.ofSeconds(20);
  /** A timeout short enough for tests and long enough for any backend to start a task. */
  protected static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);

  @TempDir
  Path tempDir;

  private final List<Engine> opened = new ArrayList<>();

  /** Selects and configures the backend under test; called for every engine a test opens. */
  protected abstract EngineConfig.Builder configure(EngineConfig.Builder builder);

  @BeforeAll
  static void awaitility() {
    Awaitility.setDefaultTimeout(PROMPTLY);
    Awaitility.setDefaultPollInterval(Duration.ofMillis(5));
    Awaitility.setDefaultPollDelay(Duration.ZERO);
  }

  /** Opens an engine of the backend under test, closed after the test. */
  protected final Engine open() {
    return open(b -> b);
  }

  protected final Engine open(UnaryOperator<EngineConfig.Builder> customize) {
    Engine e = Engine.open(customize.apply(configure(EngineConfig.newBuilder())).build());
    opened.add(e);
    return e;
  }

  /** The signal directory shared with tasks. */
  protected final String dir() {
    return tempDir.toString();
  }

  @AfterEach
  void closeEngines() throws InterruptedException {
    Signals.raise(dir(), "release"); // let tasks that ignore interrupts finish
    for (Engine e : opened) {
      e.shutdownNow();
      e.close();
      assertThat(e.awaitTermination(PROMPTLY)).as("engine %s terminated after close", e.name()).isTrue();
    }
  }

  /** Skips tests that need tasks to wait in the queue behind a bounded pool (not {@code direct}). */
  private static void assumeQueueing(Engine engine) {
    assumeTrue(engine.parallelism() < Integer.MAX_VALUE, "backend runs every task at submit; nothing queues");
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Throwable failureOf(Future<?> f) {
    Throwable t = catchThrowable(() -> f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).as("future failed").isInstanceOf(ExecutionException.class);
    return t.getCause();
  }

  /** Occupies every slot of a one-worker engine with a task blocked until {@code release}. */
  private TaskFuture<Integer> occupyOnlyWorker(Engine engine) {
    TaskFuture<Integer> blocker = engine.submit(blockUntilReleased(dir(), 0));
    await().until(() -> Signals.isRaised(dir(), "started-0"));
    return blocker;
  }

  // ------------------------------------------------------------------ results and failures

  @Test
  void submit_returnsTheTaskResult() throws Exception {
    Engine engine = open();
    assertThat(get(engine.submit(value(42)))).isEqualTo(42);
  }

  @Test
  void submit_nullResult_completesWithNull() throws Exception {
    Engine engine = open();
    Object result = get(engine.submit(ContractTasks.nothing()));
    assertThat(result).isNull();
  }

  @Test
  void submit_taskThrows_futureFailsWithTheOriginalClassAndMessage() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submit(throwing("boom 7")));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("boom 7");
  }

  @Test
  void submit_checkedException_arrivesAsItself() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submit(throwingChecked("disk on fire")));
    assertThat(cause).isInstanceOf(IOException.class).hasMessage("disk on fire");
  }

  @Test
  void contextTask_seesItsIdNameAndAttempt() throws Exception {
    Engine engine = open();
    TaskFuture<String> f = engine.submit(describeContext(), TaskOptions.named("ctx-probe"));
    assertThat(get(f)).isEqualTo(f.taskId() + " ctx-probe 1");
  }

  @Test
  void future_isComposableAndListenable() throws Exception {
    Engine engine = open();
    TaskFuture<Integer> f = engine.submit(value(20));
    CountDownLatch listened = new CountDownLatch(1);
    f.addListener(listened::countDown, MoreExecutors.directExecutor());
    assertThat(f.thenApply(x -> x + 1).toCompletableFuture().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(21);
    assertThat(listened.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
  }

  @Test
  void future_cannotBeCompletedByHand() throws Exception {
    Engine engine = open();
    TaskFuture<Integer> f = engine.submit(value(1));
    assertThatThrownBy(() -> f.complete(2)).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("cancel");
    assertThatThrownBy(() -> f.completeExceptionally(new RuntimeException())).isInstanceOf(UnsupportedOperationException.class);
    assertThat(get(f)).isEqualTo(1);
  }

  @Test
  void submit_nullArguments_throwNullPointerException() {
    Engine engine = open();
    assertThatThrownBy(() -> engine.submit((dev.gearbox.Task<Object>) null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> engine.submit(value(1), null)).isInstanceOf(NullPointerException.class);
  }

  // ------------------------------------------------------------------ async tasks

  @Test
  void submitAsync_completesWithTheStagesResult() throws Exception {
    Engine engine = open();
    assertThat(get(engine.submitAsync(ContractTasks.asyncValue(11)))).isEqualTo(11);
  }

  @Test
  void submitAsync_failedStage_failsWithTheTasksOwnExceptionUnwrapped() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submitAsync(ContractTasks.asyncFailing("stage broke")));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("stage broke");
  }

  @Test
  void submitAsync_callThrows_failsWithThatException() {
    Engine engine = open();
    Throwable cause = failureOf(engine.submitAsync(ContractTasks.asyncThrowing("no stage")));
    assertThat(cause).isInstanceOf(IOException.class).hasMessage("no stage");
  }

  @Test
  void submitAsync_cancel_cancelsTheStage() {
    Engine engine = open();
    assumeQueueing(engine); // direct would await the stage inside submit
    TaskFuture<Object> f = engine.submitAsync(ContractTasks.asyncNeverCompleting(dir(), 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    f.cancel(true);
    await().until(() -> Signals.isRaised(dir(), "stage-cancelled-1"));
    await().until(() -> counter(engine, "running") == 0);
  }

  @Test
  void submitAsync_timeout_failsTheFutureAndCancelsTheStage() {
    Engine engine = open();
    TaskFuture<Object> f = engine.submitAsync(ContractTasks.asyncNeverCompleting(dir(), 1),
        TaskOptions.newBuilder().timeout(SHORT_TIMEOUT).build());
    assertThat(failureOf(f)).isInstanceOf(TaskTimeoutException.class);
    await().until(() -> Signals.isRaised(dir(), "stage-cancelled-1"));
  }

  // ------------------------------------------------------------------ cancellation

  @Test
  void cancel_beforeStart_taskNeverRuns() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeQueueing(engine);
    TaskFuture<Integer> blocker = occupyOnlyWorker(engine);
    TaskFuture<String> queued = engine.submit(logOrder(dir(), "cancelled-one"));
    assertThat(queued.cancel(false)).isTrue();
    TaskFuture<String> after = engine.submit(logOrder(dir(), "after"));
    Signals.raise(dir(), "release");
    assertThat(get(blocker)).isZero();
    assertThat(get(after)).isEqualTo("after");
    assertThat(queued).isCancelled();
    assertThat(Signals.lines(dir(), "order")).containsExactly("after");
  }

  @Test
  void cancel_whileRunning_interruptsTheTask() throws Exception {
    Engine engine = open();
    assumeQueueing(engine);
    TaskFuture<Object> f = engine.submit(sleepUntilInterrupted(dir(), 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    assertThat(f.cancel(true)).isTrue();
    assertThat(f).isCancelled();
    await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
  }

  @Test
  void cancel_withoutInterrupt_setsTheCooperativeFlag() throws Exception {
    Engine engine = open();
    assumeQueueing(engine);
    TaskFuture<Object> f = engine.submit(pollCancellation(dir(), 1));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    f.cancel(false);
    await().until(() -> Signals.isRaised(dir(), "saw-cancel-1"));
    assertThat(f).isCancelled();
  }

  @Test
  void cancel_isIdempotentAndCountedOnce() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeQueueing(engine);
    TaskFuture<Integer> blocker = occupyOnlyWorker(engine);
    TaskFuture<Integer> queued = engine.submit(value(5));
    assertThat(queued.cancel(true)).isTrue();
    assertThat(queued.cancel(true)).isTrue();
    Signals.raise(dir(), "release");
    get(blocker);
    assertThat(counter(engine, "cancelled")).isEqualTo(1);
  }

  // ------------------------------------------------------------------ timeouts

  @Test
  void timeout_failsTheFutureAndInterruptsTheTask() {
    Engine engine = open();
    TaskFuture<Object> f = engine.submit(sleepUntilInterrupted(dir(), 1), TaskOptions.newBuilder().timeout(SHORT_TIMEOUT).build());
    Throwable cause = failureOf(f);
    assertThat(cause).isInstanceOf(TaskTimeoutException.class).hasMessageContaining(f.taskName());
    assertThat(((TaskTimeoutException) cause).timeout()).isEqualTo(SHORT_TIMEOUT);
    await().until(() -> Signals.isRaised(dir(), "interrupted-1"));
    assertThat(counter(engine, "timed-out")).isEqualTo(1);
  }

  @Test
  void timeout_taskIgnoringInterrupts_callerStillGetsTheTimeoutAtTheDeadline() throws Exception {
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
  void timeout_fromConfiguration_appliesToTasksWithoutOne() {
    Engine engine = open(b -> b.taskTimeout(SHORT_TIMEOUT));
    assertThat(failureOf(engine.submit(sleepUntilInterrupted(dir(), 1)))).isInstanceOf(TaskTimeoutException.class);
  }

  @Test
  void strictTimeouts_onABackendThatCannotKill_failAtOpen() {
    Engine probe = open();
    assumeFalse(probe.capabilities().canKill(), "backend can kill: strict timeouts are allowed");
    assertThatThrownBy(() -> open(b -> b.strictTimeouts(true)))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.timeout.strict")
        .hasMessageContaining(probe.backendName());
  }

  // ------------------------------------------------------------------ retries

  @Test
  void retry_transientFailure_succeedsOnALaterAttempt() throws Exception {
    Engine engine = open();
    RetryPolicy retry = RetryPolicy.newBuilder().maxAttempts(3).backoff(Duration.ofMillis(10), 2, Duration.ofMillis(50)).build();
    assertThat(get(engine.submit(succeedOnAttempt(3), TaskOptions.newBuilder().retry(retry).build()))).isEqualTo(3);
    assertThat(counter(engine, "retried")).isEqualTo(2);
    assertThat(counter(engine, "completed")).isEqualTo(1);
    assertThat(counter(engine, "failed")).isZero();
  }

  @Test
  void retry_exhausted_failsWithTheLastAttemptsException() {
    Engine engine = open();
    RetryPolicy retry = RetryPolicy.newBuilder().maxAttempts(3).backoff(Duration.ZERO, 1, Duration.ZERO).build();
    Throwable cause = failureOf(engine.submit(failEveryAttempt(), TaskOptions.newBuilder().retry(retry).build()));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("attempt 3");
  }

  @Test
  void retry_exceptionNotRetryable_failsAfterOneAttempt() {
    Engine engine = open();
    RetryPolicy retry = RetryPolicy.newBuilder().maxAttempts(5).retryOn(IOException.class).build();
    Throwable cause = failureOf(engine.submit(failEveryAttempt(), TaskOptions.newBuilder().retry(retry).build()));
    assertThat(cause).hasMessage("attempt 1");
    assertThat(counter(engine, "retried")).isZero();
  }

  @Test
  void retry_waitsTheBackoffBetweenAttempts() throws Exception {
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
  void retry_afterATimeout_runsTheTaskAgain() throws Exception {
    Engine engine = open();
    // The second attempt must finish within the same per-attempt timeout, including a remote
    // backend's round trip on a loaded 2-vCPU machine: a second, not SHORT_TIMEOUT.
    TaskOptions options = TaskOptions.newBuilder().timeout(Duration.ofSeconds(1))
        .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ZERO, 1, Duration.ZERO).build()).build();
    assertThat(get(engine.submit(hangOnFirstAttempt(dir()), options))).isEqualTo(2);
  }

  @Test
  void retry_aRetriedAttemptThatHangs_stillTimesOut() {
    Engine engine = open();
    TaskOptions options = TaskOptions.newBuilder().timeout(SHORT_TIMEOUT)
        .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ofMillis(10), 1, Duration.ofMillis(10)).build()).build();
    assertThat(failureOf(engine.submit(ContractTasks.failThenHang(dir()), options))).isInstanceOf(TaskTimeoutException.class);
  }

  @Test
  void retry_aPolicyThatThrows_endsTheTaskWithItsFailure() {
    Engine engine = open();
    RetryPolicy broken = RetryPolicy.newBuilder().maxAttempts(3).retryIf(t -> {
      throw new IllegalStateException("retry predicate bug (expected by the test)");
    }).build();
    Throwable cause = failureOf(engine.submit(failEveryAttempt(), TaskOptions.newBuilder().retry(broken).build()));
    assertThat(cause).isInstanceOf(ContractFailure.class).hasMessage("attempt 1");
    assertThat(cause.getSuppressed()).singleElement().isInstanceOf(IllegalStateException.class);
  }

  @Test
  void retry_fromConfiguration_appliesToTasksWithoutAPolicy() throws Exception {
    Engine engine = open(b -> b.taskRetries(2).taskBackoff(Duration.ofMillis(1)));
    assertThat(get(engine.submit(succeedOnAttempt(3)))).isEqualTo(3);
  }

  // ------------------------------------------------------------------ map

  @Test
  void map_returnsOutputsInInputOrder() {
    Engine engine = open();
    List<Integer> inputs = IntStream.range(0, 500).boxed().toList();
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, inputs)) {
      assertThat(out.toList()).isEqualTo(inputs.stream().map(x -> 2 * x).toList());
    }
  }

  @Test
  void mapUnordered_returnsEveryOutputExactlyOnce() {
    Engine engine = open();
    List<Integer> inputs = IntStream.range(0, 500).boxed().toList();
    try (Stream<Integer> out = engine.mapUnordered(ContractFunctions::jitteredDouble, inputs)) {
      assertThat(out.toList()).containsExactlyInAnyOrderElementsOf(inputs.stream().map(x -> 2 * x).toList());
    }
  }

  @Test
  void map_fixedChunkSize_batchesInputsAndKeepsOrder() {
    Engine engine = open();
    List<Integer> inputs = IntStream.range(0, 100).boxed().toList();
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, inputs, MapOptions.newBuilder().chunkSize(7).build())) {
      assertThat(out.toList()).isEqualTo(inputs.stream().map(x -> 2 * x).toList());
    }
    assertThat(counter(engine, "submitted")).isEqualTo(15); // ceil(100 / 7) jobs, not 100
  }

  @Test
  void map_isLazyAndTheWindowBoundsInputsInFlight() {
    Engine engine = open();
    AtomicLong pulled = new AtomicLong();
    Iterable<Integer> endless = () -> new Iterator<>() {
      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Integer next() {
        return (int) pulled.incrementAndGet();
      }
    };
    int window = 8;
    int chunk = 3;
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, endless,
        MapOptions.newBuilder().window(window).chunkSize(chunk).build())) {
      assertThat(pulled).hasValue(0); // nothing runs before the first element is asked for
      List<Integer> first = out.limit(200).toList();
      assertThat(first).hasSize(200);
      assertThat(pulled.get()).isLessThanOrEqualTo(200 + (long) window * chunk);
    }
  }

  @Test
  void map_overAStream_consumesItLazilyAndClosesIt() {
    Engine engine = open();
    AtomicInteger closed = new AtomicInteger();
    Stream<Integer> source = Stream.iterate(0, x -> x + 1).onClose(closed::incrementAndGet);
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, source, MapOptions.newBuilder().window(4).build())) {
      assertThat(out.limit(20).toList()).isEqualTo(IntStream.range(0, 20).map(x -> 2 * x).boxed().toList());
    }
    assertThat(closed).hasValue(1);
  }

  @Test
  void map_failingInput_throwsCompletionExceptionNamingTheInputAfterTheEarlierOutputs() {
    Engine engine = open();
    List<Integer> seen = new ArrayList<>();
    for (int chunk : new int[] {1, 4}) {
      seen.clear();
      Throwable t;
      try (Stream<Integer> out = engine.map(ContractFunctions::failOnFive, IntStream.range(0, 20).boxed().toList(),
          MapOptions.newBuilder().chunkSize(chunk).build())) {
        t = catchThrowable(() -> out.forEach(seen::add));
      }
      assertThat(t).as("chunk size %s", chunk).isInstanceOf(CompletionException.class).hasMessageContaining("input #5");
      assertThat(t.getCause()).isInstanceOf(ContractFailure.class).hasMessage("input 5 is bad");
      assertThat(seen).containsExactly(0, 1, 2, 3, 4);
    }
  }

  @Test
  void map_closingEarly_cancelsTheJobsInFlight() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeQueueing(engine);
    String d = dir();
    Stream<Object> out = engine.map(ContractFunctions.blockingBy(d), IntStream.range(0, 1000).boxed().toList(),
        MapOptions.newBuilder().window(4).build());
    Iterator<Object> it = out.iterator();
    Thread consumer = new Thread(() -> catchThrowable(it::hasNext));
    consumer.start();
    await().until(() -> counter(engine, "submitted") == 4);
    out.close();
    await().until(() -> counter(engine, "cancelled") == 4);
    consumer.join(PROMPTLY.toMillis());
    assertThat(consumer.isAlive()).isFalse();
    assertThat(counter(engine, "submitted")).isEqualTo(4);
  }

  @Test
  void map_retriesAFailingInputOnItsOwn() {
    Engine engine = open();
    MapOptions options = MapOptions.newBuilder().chunkSize(5).taskOptions(TaskOptions.newBuilder()
        .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ZERO, 1, Duration.ZERO).build()).build()).build();
    String d = dir();
    try (Stream<Integer> out = engine.map(ContractFunctions.failFirstTimeOn(d, 3), IntStream.range(0, 10).boxed().toList(), options)) {
      assertThat(out.toList()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }
  }

  // ------------------------------------------------------------------ admission

  @Test
  void queueFull_rejectPolicy_rejectsAtSubmit() throws Exception {
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
  void queueFull_blockPolicy_makesTheSubmitterWaitForSpace() throws Exception {
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
  void queueFull_blockPolicy_taskSubmittingToItsOwnEngineIsRejectedInsteadOfDeadlocking() throws Exception {
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
  void queueFull_blockPolicy_everyBlockedSubmitterGetsIn() throws Exception {
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
  void aDependentActionThatWaitsForTheNextQueuedTask_doesNotDeadlock() throws Exception {
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
  void priority_higherPriorityQueuedTaskRunsFirst() throws Exception {
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

  // ------------------------------------------------------------------ lifecycle

  @Test
  void shutdown_drainsQueuedAndRunningTasksThenRejects() throws Exception {
    Engine engine = open(b -> b.workers(1));
    List<TaskFuture<Integer>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(engine.submit(value(i)));
    }
    engine.shutdown();
    assertThat(engine.isShutdown()).isTrue();
    assertThatThrownBy(() -> engine.submit(value(99))).isInstanceOf(RejectedExecutionException.class).hasMessageContaining("shut down");
    assertThat(engine.awaitTermination(PROMPTLY)).isTrue();
    for (int i = 0; i < 20; i++) {
      assertThat(futures.get(i).getNow(-1)).isEqualTo(i);
    }
    assertThat(engine.isTerminated()).isTrue();
  }

  @Test
  void shutdownNow_cancelsQueuedAndRunningTasks_andLeavesNoFuturePending() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeQueueing(engine);
    List<TaskFuture<Object>> running = List.of(engine.submit(sleepUntilInterrupted(dir(), 1)), engine.submit(sleepUntilInterrupted(dir(), 2)));
    await().until(() -> Signals.isRaised(dir(), "started-1") && Signals.isRaised(dir(), "started-2"));
    List<TaskFuture<Integer>> queued = IntStream.range(0, 10).mapToObj(i -> engine.submit(value(i))).toList();
    engine.shutdownNow();
    assertThat(engine.awaitTermination(PROMPTLY)).isTrue();
    assertThat(running).allMatch(TaskFuture::isCancelled);
    assertThat(queued).allMatch(TaskFuture::isCancelled);
    await().until(() -> Signals.isRaised(dir(), "interrupted-1") && Signals.isRaised(dir(), "interrupted-2"));
  }

  @Test
  void close_completesEveryFutureAndTerminates() throws Exception {
    Engine engine = open();
    List<TaskFuture<Integer>> futures = IntStream.range(0, 50).mapToObj(i -> engine.submit(value(i))).toList();
    engine.close();
    assertThat(engine.isTerminated()).isTrue();
    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThatThrownBy(() -> engine.submit(value(1))).isInstanceOf(RejectedExecutionException.class);
  }

  @Test
  void everyFutureCompletesExactlyOnce_underConcurrentSubmitAndCancel() throws Exception {
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

  // ------------------------------------------------------------------ events and metrics

  @Test
  void events_andMetrics_matchWhatHappened() throws Exception {
    Engine engine = open(b -> b.workers(1));
    ConcurrentHashMap<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    engine.addListener(countingListener(seen));
    get(engine.submit(value(1)));
    failureOf(engine.submit(throwing("x")));
    // Cancelling a running task needs the task to run while this thread goes on (not direct).
    boolean wasCancelled = engine.parallelism() < Integer.MAX_VALUE;
    if (wasCancelled) {
      TaskFuture<Object> cancelled = engine.submit(sleepUntilInterrupted(dir(), 9));
      await().until(() -> Signals.isRaised(dir(), "started-9"));
      cancelled.cancel(true);
    } else {
      failureOf(engine.submit(throwing("y")));
    }
    await().until(() -> count(seen, "submitted") == 3
        && count(seen, "succeeded") + count(seen, "failed") + count(seen, "cancelled") == 3);
    assertThat(count(seen, "succeeded")).isEqualTo(1);
    assertThat(count(seen, "cancelled")).isEqualTo(wasCancelled ? 1 : 0);
    assertThat(count(seen, "started")).isGreaterThanOrEqualTo(2);

    assertThat(counter(engine, "submitted")).isEqualTo(3);
    assertThat(counter(engine, "completed")).isEqualTo(1);
    assertThat(counter(engine, "cancelled")).isEqualTo(wasCancelled ? 1 : 0);
    assertThat(counter(engine, "failed")).isEqualTo(wasCancelled ? 1 : 2);
    assertThat(engine.metrics().timer(name(engine, "run-time")).getCount()).isGreaterThanOrEqualTo(2);
    assertThat(engine.metrics().timer(name(engine, "queue-wait")).getCount()).isGreaterThanOrEqualTo(2);
    await().until(() -> counter(engine, "running") == 0);
    assertThat(engine.metrics().getGauges().get(name(engine, "queue-depth")).getValue()).isEqualTo(0);
  }

  @Test
  void progress_reachesListeners() throws Exception {
    Engine engine = open();
    List<String> progress = new CopyOnWriteArrayList<>();
    engine.addListener(new EngineListener() {
      @Override
      public void taskProgress(TaskEvent event, double fraction, String message) {
        progress.add(fraction + " " + message);
      }
    });
    assertThat(get(engine.submit(reportProgress()))).isEqualTo("ok");
    await().until(() -> progress.size() == 2);
    assertThat(progress).containsExactly("0.5 half", "1.0 done");
  }

  @Test
  void aListenerThatThrows_breaksNothing() throws Exception {
    Engine engine = open();
    ConcurrentHashMap<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    engine.addListener(new EngineListener() {
      @Override
      public void taskSubmitted(TaskEvent event) {
        throw new IllegalStateException("listener bug (expected by the test)");
      }

      @Override
      public void taskSucceeded(TaskEvent event) {
        throw new IllegalStateException("listener bug (expected by the test)");
      }
    });
    engine.addListener(countingListener(seen));
    for (int i = 0; i < 5; i++) {
      assertThat(get(engine.submit(value(i)))).isEqualTo(i);
    }
    await().until(() -> count(seen, "succeeded") == 5);
  }

  @Test
  void metrics_goToAGivenRegistry_underTheEngineName() throws Exception {
    MetricRegistry registry = new MetricRegistry();
    Engine engine = open(b -> b.metricRegistry(registry).name("contract-metrics"));
    get(engine.submit(value(1)));
    assertThat(registry.counter("gearbox.contract-metrics.completed").getCount()).isEqualTo(1);
    assertThatThrownBy(() -> open(b -> b.metricRegistry(registry).name("contract-metrics")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.name");
  }

  // ------------------------------------------------------------------ ExecutorService view

  @Test
  void executorService_invokeAllAndInvokeAny() throws Exception {
    Engine engine = open();
    ExecutorService es = engine.asExecutorService();
    List<Callable<Integer>> calls = List.of(ContractFunctions.callable(1), ContractFunctions.callable(2), ContractFunctions.callable(3));
    List<Future<Integer>> all = es.invokeAll(calls);
    assertThat(all.stream().map(f -> f.isDone() ? f.resultNow() : -1).toList()).containsExactly(1, 2, 3);
    assertThat(es.invokeAny(calls)).isIn(1, 2, 3);
    assertThat(es.submit(ContractFunctions.callable(7)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(7);
  }

  @Test
  void executorService_invokeAny_allFailing_throwsExecutionException() {
    Engine engine = open();
    ExecutorService es = engine.asExecutorService();
    assertThatThrownBy(() -> es.invokeAny(List.of(ContractFunctions.failingCallable(), ContractFunctions.failingCallable())))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ContractFailure.class);
  }

  @Test
  void executorService_shutdownNow_returnsTheTasksThatNeverStarted() throws Exception {
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

  // ------------------------------------------------------------------ configuration

  @Test
  void config_unknownKeyInTheBackendsNamespace_failsAtOpenNamingIt() {
    Engine probe = open();
    String key = "gearbox." + probe.backendName() + ".no-such-setting";
    assertThatThrownBy(() -> open(b -> b.option(key, "1")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining(key)
        .hasMessageContaining("Known keys");
  }

  @Test
  void config_unknownBackend_failsListingTheAvailableOnes() {
    Engine probe = open();
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("warp-drive").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("warp-drive")
        .hasMessageContaining(probe.backendName())
        .hasMessageContaining("direct");
  }

  // ------------------------------------------------------------------ helpers

  private static String name(Engine engine, String suffix) {
    return "gearbox." + engine.name() + "." + suffix;
  }

  protected static long counter(Engine engine, String suffix) {
    return engine.metrics().counter(name(engine, suffix)).getCount();
  }

  private static int count(ConcurrentHashMap<String, AtomicInteger> seen, String key) {
    AtomicInteger n = seen.get(key);
    return n == null ? 0 : n.get();
  }

  private static EngineListener countingListener(ConcurrentHashMap<String, AtomicInteger> seen) {
    return new EngineListener() {
      private void bump(String key) {
        seen.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      }

      @Override
      public void taskSubmitted(TaskEvent event) {
        bump("submitted");
      }

      @Override
      public void taskStarted(TaskEvent event) {
        bump("started");
      }

      @Override
      public void taskSucceeded(TaskEvent event) {
        bump("succeeded");
      }

      @Override
      public void taskFailed(TaskEvent event, Throwable failure) {
        bump("failed");
      }

      @Override
      public void taskCancelled(TaskEvent event) {
        bump("cancelled");
      }
    };
  }
}
