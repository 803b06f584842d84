package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.PoisonTaskException;
import dev.gearbox.RemoteTaskException;
import dev.gearbox.RetryPolicy;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.testkit.Signals;
import java.io.NotSerializableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Workers that die, print, or send what cannot travel: every failure is a test with real processes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessFaultTest {
  private static final Duration PROMPTLY = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  private final List<Engine> engines = new ArrayList<>();

  private Engine open(UnaryOperator<EngineConfig.Builder> customize) {
    // Workers of their own: never taken warm from another test's engine (the environment is part of
    // the key), never left warm for one, so the counts of started workers are this test's.
    Engine e = Engine.open(customize.apply(EngineConfig.newBuilder().backend("process").workers(2)
        .cancelGrace(Duration.ofMillis(500)).option("gearbox.process.environment", "GEARBOX_TEST_CLASS=fault")
        .option("gearbox.process.keep-warm", "0")).build());
    engines.add(e);
    return e;
  }

  @AfterEach
  void close() {
    Signals.raise(dir.toString(), "release");
    engines.forEach(Engine::shutdownNow);
    engines.forEach(Engine::close);
  }

  private static <T> T get(TaskFuture<T> f) throws Exception {
    return f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
  }

  private static Throwable failure(TaskFuture<?> f) {
    Throwable t = catchThrowable(() -> f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    return t.getCause();
  }

  private static long counter(Engine e, String name) {
    return e.metrics().counter("gearbox." + e.name() + "." + name).getCount();
  }

  @Test
  void aReplacementWhoseInitializerFails_countsAsAFailedStart_andTheWaitingTaskFailsQuotingIt_thenStartsStop() throws Exception {
    Engine engine = open(b -> b.workers(1).workerInitializer(FaultTasks.failingOnce(dir.toString(), "break")));
    assertThat(get(engine.submit(FaultTasks.square(3)))).isEqualTo(9);
    Signals.raise(dir.toString(), "break");
    assertThat(failure(engine.submit(FaultTasks.exitWith(3)))).isInstanceOf(WorkerCrashedException.class);
    Throwable t = failure(engine.submit(FaultTasks.square(4), TaskOptions.named("waits")));
    assertThat(t).isInstanceOf(EngineException.class)
        .hasMessageContaining("waits")
        .hasMessageContaining("keep failing to start")
        .hasMessageContaining("the worker initializer")
        .hasMessageContaining("initializer broken on purpose");
    // The first worker, then three replacements that could not start, and no more until the next
    // task; the replacements begin at the crash, so if all three failed before "waits" was queued,
    // "waits" itself tried three more.
    assertThat(counter(engine, "process.workers-started")).isIn(4L, 7L);
  }

  @Test
  void aCancelledTaskThatEndsAtItsInterrupt_leavesNoKillPending_soCloseDoesNotWaitOutTheGrace() throws Exception {
    Engine engine = open(b -> b.workers(1).cancelGrace(Duration.ofMinutes(2)));
    TaskFuture<Object> f = engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 1));
    await().atMost(PROMPTLY).until(() -> Files.exists(dir.resolve("pid-1")));
    assertThat(f.cancel(true)).isTrue();
    // The task ends at the interrupt and reports; the kill scheduled for after the grace must go
    // with that report, or the engine's timer (and so termination) waits the whole two minutes.
    engine.shutdown();
    assertThat(engine.awaitTermination(PROMPTLY)).isTrue();
  }

  @Test
  void systemExit_failsOnlyThatTask_namingTaskExitCodeAndStderr_andThePoolHeals() throws Exception {
    Engine engine = open(b -> b);
    java.util.Queue<String> crashes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    engine.addListener(new dev.gearbox.EngineListener() {
      @Override
      public void workerCrashed(dev.gearbox.WorkerEvent event) {
        crashes.add(event.detail());
      }
    });
    TaskFuture<Object> other = engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 1));
    await().atMost(PROMPTLY).until(() -> Files.exists(dir.resolve("pid-1")));
    Throwable t = failure(engine.submit(FaultTasks.exitWith(3), TaskOptions.named("exits")));
    assertThat(t).isInstanceOf(WorkerCrashedException.class)
        .hasMessageContaining("exits")
        .hasMessageContaining("exited with code 3")
        .hasMessageContaining("calling System.exit(3)");
    assertThat(((WorkerCrashedException) t).exitCode()).hasValue(3);
    Signals.raise(dir.toString(), "release");
    assertThat(get(other)).isNull(); // the other worker's task was unaffected
    assertThat(get(engine.submit(FaultTasks.square(7)))).isEqualTo(49); // healed
    await().atMost(PROMPTLY).until(() -> counter(engine, "process.workers-started") == 3);
    // The crash event says the exit code once (the reason already names it).
    await().atMost(PROMPTLY).until(() -> !crashes.isEmpty());
    assertThat(crashes.peek()).contains("exited with code 3").doesNotContain("exit code 3");
  }

  @Test
  void runtimeHalt_isReportedWithItsExitCode() {
    Engine engine = open(b -> b);
    Throwable t = failure(engine.submit(FaultTasks.halt(7)));
    assertThat(t).isInstanceOf(WorkerCrashedException.class).hasMessageContaining("code 7");
  }

  @Test
  void outOfMemory_killsOnlyItsWorker_withTheJvmsMessage() throws Exception {
    Engine engine = open(b -> b.option("gearbox.process.heap", "64m"));
    Throwable t = failure(engine.submit(FaultTasks.exhaustHeap()));
    assertThat(t).isInstanceOf(WorkerCrashedException.class).hasMessageContaining("OutOfMemoryError");
    assertThat(get(engine.submit(FaultTasks.square(3)))).isEqualTo(9);
  }

  @Test
  void sigkillFromOutside_isReportedAsTheSignal() throws Exception {
    Engine engine = open(b -> b);
    TaskFuture<Object> f = engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 1));
    await().atMost(PROMPTLY).until(() -> Files.exists(dir.resolve("pid-1")));
    long pid = Long.parseLong(Files.readString(dir.resolve("pid-1")));
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    Throwable t = failure(f);
    assertThat(t).isInstanceOf(WorkerCrashedException.class).hasMessageContaining("SIGKILL").hasMessageContaining("pid " + pid);
    assertThat(get(engine.submit(FaultTasks.square(4)))).isEqualTo(16);
  }

  @Test
  void aCrashedAttempt_isRetriedWhenThePolicyAllows() throws Exception {
    Engine engine = open(b -> b);
    TaskOptions retry = TaskOptions.newBuilder().retry(RetryPolicy.newBuilder().maxAttempts(2)
        .backoff(Duration.ZERO, 1, Duration.ZERO).build()).build();
    assertThat(get(engine.submit(FaultTasks.crashOnFirstAttempt(), retry))).isEqualTo(2);
  }

  @Test
  void aTaskThatKeepsKillingItsWorker_isQuarantinedAsPoison() {
    Engine engine = open(b -> b.option("gearbox.process.poison-threshold", "3"));
    TaskOptions retry = TaskOptions.newBuilder().name("poison").retry(RetryPolicy.newBuilder().maxAttempts(10)
        .backoff(Duration.ZERO, 1, Duration.ZERO).build()).build();
    Throwable t = failure(engine.submit(FaultTasks.halt(5), retry));
    assertThat(t).isInstanceOf(PoisonTaskException.class).hasMessageContaining("poison").hasMessageContaining("3 times");
    assertThat(t.getCause()).isInstanceOf(WorkerCrashedException.class);
    assertThat(counter(engine, "retried")).isEqualTo(2);
  }

  @Test
  void nothingATaskPrints_corruptsTheChannel() throws Exception {
    Engine engine = open(b -> b);
    for (int i = 0; i < 3; i++) {
      assertThat(get(engine.submit(FaultTasks.printEverywhere()))).isEqualTo(42);
    }
    List<TaskFuture<Integer>> more = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      more.add(engine.submit(FaultTasks.square(i)));
    }
    for (int i = 0; i < 50; i++) {
      assertThat(get(more.get(i))).isEqualTo(i * i);
    }
    assertThat(counter(engine, "process.workers-crashed")).isZero();
  }

  @Test
  void aTaskThatCannotBeSerialized_isRejectedAtSubmit_namingTheClass() {
    Engine engine = open(b -> b);
    Object notSerializable = new Object();
    Task<Integer> captures = () -> notSerializable.hashCode();
    assertThatThrownBy(() -> engine.submit(captures))
        .isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("java.lang.Object")
        .hasMessageContaining("not Serializable");
    assertThat(counter(engine, "rejected")).isEqualTo(1);
  }

  @Test
  void aResultThatCannotBeSerialized_failsTheTaskNamingTheClass() {
    Engine engine = open(b -> b);
    Throwable t = failure(engine.submit(FaultTasks.unserializableResult()));
    assertThat(t).isInstanceOf(NotSerializableException.class).hasMessageContaining("java.lang.Thread");
  }

  @Test
  void anExceptionThatCannotTravel_arrivesWithItsClassNameMessageAndStack() {
    Engine engine = open(b -> b);
    Throwable t = failure(engine.submit(FaultTasks.unserializableException()));
    assertThat(t).isInstanceOf(RemoteTaskException.class)
        .hasMessageContaining(FaultTasks.HoldsAThread.class.getName())
        .hasMessageContaining("cannot travel as itself");
    assertThat(((RemoteTaskException) t).originalClassName()).isEqualTo(FaultTasks.HoldsAThread.class.getName());
    assertThat(t.getStackTrace()).isNotEmpty();
  }

  @Test
  void badJvmOptions_failAtOpen_withTheWorkersOwnError() {
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("process").workers(1)
        .option("gearbox.process.jvm-options", "-XX:+NoSuchJvmFlag").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("exited during startup")
        .hasMessageContaining("NoSuchJvmFlag");
  }

  @Test
  void aWorkerThatNeverBecomesReady_isKilledAtTheStartupTimeout_andWaitingTasksFail() throws Exception {
    // -XX:+PauseAtStartup makes each worker JVM wait, before main, for a file to be deleted.
    Engine engine = open(b -> b.workers(1)
        .option("gearbox.process.prestart", "0")
        .option("gearbox.process.startup-timeout", "1s")
        .option("gearbox.process.working-dir", dir.toString())
        .option("gearbox.process.jvm-options", "-XX:+UnlockDiagnosticVMOptions -XX:+PauseAtStartup"));
    TaskFuture<Integer> f = engine.submit(() -> 1);
    Throwable t = catchThrowable(() -> f.get(30, TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(EngineException.class)
        .hasMessageContaining("did not report ready within 1000 ms")
        .hasMessageContaining("gearbox.process.startup-timeout");
    await().atMost(PROMPTLY).untilAsserted(() -> assertThat(counter(engine, "process.workers-crashed")).isEqualTo(3));
  }

  @Test
  void aTaskReadingSystemIn_seesNothing_andStealsNoFrames() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assertThat(get(engine.submit(FaultTasks.readStdin()))).isEqualTo(7);
    assertThat(get(engine.submit(FaultTasks.square(5)))).isEqualTo(25);
  }

  @Test
  void aRetryRunningBesideItsTimedOutAttemptOnTheSameWorker_getsItsOwnResult() throws Exception {
    Engine engine = open(b -> b.workers(1).option("gearbox.process.concurrency", "2"));
    // The second attempt must finish within the timeout too: 1 s leaves room for a loaded machine.
    TaskOptions options = TaskOptions.newBuilder().timeout(Duration.ofSeconds(1))
        .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ZERO, 1, Duration.ZERO).build()).build();
    assertThat(get(engine.submit(FaultTasks.hangOnFirstAttempt(dir.toString()), options))).isEqualTo(2);
  }

  @Test
  void anInvalidSerialFilter_failsAtOpenNamingTheKey() {
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("process").workers(1)
        .option("gearbox.process.serial-filter", "maxdepth=oops").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.process.serial-filter");
  }

  @Test
  void aTaskWhoseCapturingClassTheFilterDenies_failsInTheWorker_namingTheClassAndTheKey() throws Exception {
    // square's lambda captures only an int, so it travels in the codec's compact form: the filter must still see its class.
    Engine engine = open(b -> b.workers(1).option("gearbox.process.serial-filter", "!" + FaultTasks.class.getName()));
    Throwable t = failure(engine.submit(FaultTasks.square(3)));
    assertThat(t).isInstanceOf(java.io.InvalidClassException.class).hasMessageContaining("REJECTED")
        .hasMessageContaining(FaultTasks.class.getName()).hasMessageContaining("gearbox.process.serial-filter");
    int x = 5;
    assertThat(get(engine.submit(() -> x * x))).isEqualTo(25); // another class's task runs, on the same worker
  }

  @Test
  void maxPayloadOutOfRange_failsAtOpen_namingTheKeyAndTheRange() {
    for (String bad : new String[] {"512", "3g"}) {
      assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("process").workers(1)
          .option("gearbox.process.max-payload", bad).build()))
          .isInstanceOf(EngineConfigException.class)
          .hasMessageContaining("gearbox.process.max-payload=" + bad)
          .hasMessageContaining("from 1k to");
    }
  }

  @Test
  void aResultArrayLargerThanFiftyMillion_passesWhenMaxPayloadAllowsIt() throws Exception {
    Engine engine = open(b -> b.workers(1).option("gearbox.process.max-payload", "96m"));
    assertThat(get(engine.submit(FaultTasks.bigArray(60_000_000)))).hasSize(60_000_000);
  }

  @Test
  void aTaskNamedLongerThanAFrameCarries_runs_underItsCutName() throws Exception {
    Engine engine = open(b -> b.workers(1));
    String name = "n".repeat(100_000);
    assertThat(get(engine.submit(FaultTasks.square(6), TaskOptions.newBuilder().name(name).build()))).isEqualTo(36);
  }

  @Test
  void aTaskPrintingWithoutNewlines_cannotExhaustItsWorkersHeap() throws Exception {
    // 64 MB in one endless line, in a 32 MB worker heap: buffered whole, it would kill the worker.
    Engine engine = open(b -> b.workers(1).option("gearbox.process.heap", "32m"));
    assertThat(get(engine.submit(FaultTasks.printWithoutNewline(64)))).isEqualTo(42);
  }

  @Test
  void aResultOfSetsNestedInEachOther_failsAtOnce_insteadOfHoldingAnEngineThreadForEver() throws Exception {
    Engine engine = open(b -> b.workers(1));
    Throwable t = failure(engine.submit(FaultTasks.nestedHashSets(60)));
    assertThat(t).isInstanceOf(EngineException.class).hasMessageContaining("could not be read back")
        .hasMessageContaining("denial-of-service");
    assertThat(get(engine.submit(FaultTasks.square(4)))).isEqualTo(16); // the engine and the worker carry on
  }

  @Test
  void aResultTooDeeplyNestedToSerialize_failsSayingSoAndWhatToDo() throws Exception {
    Engine engine = open(b -> b.workers(1));
    Throwable t = failure(engine.submit(FaultTasks.linkedChain(100_000)));
    assertThat(t).hasMessageContaining("cannot be sent back").hasMessageContaining("nested too deeply to serialize")
        .hasMessageContaining("ArrayList");
  }

  @Test
  void idleWorkersBeyondTheMinimum_retire_andComeBackOnDemand() throws Exception {
    Engine engine = open(b -> b.workers(2).option("gearbox.process.prestart", "1")
        .option("gearbox.process.idle-timeout", "300ms"));
    List<TaskFuture<Object>> busy = List.of(engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 1)),
        engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 2)));
    await().atMost(PROMPTLY).until(() -> Files.exists(dir.resolve("pid-1")) && Files.exists(dir.resolve("pid-2")));
    Signals.raise(dir.toString(), "release");
    for (TaskFuture<Object> f : busy) {
      get(f);
    }
    await().atMost(PROMPTLY).until(() -> counter(engine, "process.workers-recycled") == 1);
    assertThat(engine.metrics().getGauges().get("gearbox.process.process.live-workers").getValue()).isEqualTo(1);
    assertThat(get(engine.submit(FaultTasks.square(6)))).isEqualTo(36);
  }

  @Test
  void idleRetirement_neverTakesThePoolBelowPrestart_whileARetiringWorkerIsStillExiting() throws Exception {
    Engine engine = open(b -> b.workers(2).option("gearbox.process.prestart", "1")
        .option("gearbox.process.idle-timeout", "200ms"));
    List<TaskFuture<Object>> busy = List.of(engine.submit(FaultTasks.slowToExitReportPidAndBlock(dir.toString(), 1)),
        engine.submit(FaultTasks.slowToExitReportPidAndBlock(dir.toString(), 2)));
    await().atMost(PROMPTLY).until(() -> Files.exists(dir.resolve("pid-1")) && Files.exists(dir.resolve("pid-2")));
    Signals.raise(dir.toString(), "release");
    for (TaskFuture<Object> f : busy) {
      get(f);
    }
    // The first idle worker to retire spends a second in its shutdown hook; the reaper looks
    // every 50 ms meanwhile and must not count it as one of the workers prestart keeps.
    await().atMost(PROMPTLY).until(() -> counter(engine, "process.workers-recycled") >= 1);
    try (var exiting = Files.list(dir)) {
      assertThat(exiting.filter(p -> p.getFileName().toString().startsWith("exiting-")).count())
          .as("workers told to exit").isEqualTo(1);
    }
    assertThat(engine.metrics().getGauges().get("gearbox.process.process.live-workers").getValue()).isEqualTo(1);
  }

  @Test
  void aResultWhoseClassCannotInitializeInTheEngine_failsItsTaskSayingWhy() throws Exception {
    Engine engine = open(b -> b.workers(1).option("gearbox.process.jvm-options", "-Dgearbox.test.in-worker=true"));
    TaskFuture<Object> f = engine.submit(FaultTasks.workerOnlyResult());
    assertThatThrownBy(() -> f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(EngineException.class)
        .hasMessageContaining("could not be read back").hasMessageContaining(FaultTasks.WorkerOnlyResult.class.getName());
    assertThat(get(engine.submit(FaultTasks.square(4)))).isEqualTo(16);
  }

  @Test
  void aPrefetchedTask_whoseWorkerDiesBeforeItStarts_runsElsewhere_withoutARetry() throws Exception {
    Engine engine = open(b -> b.workers(1).option("gearbox.process.prefetch", "1"));
    TaskFuture<Object> crasher = engine.submit(FaultTasks.haltWhen(dir.toString(), "crash"));
    await().atMost(PROMPTLY).until(() -> counter(engine, "process.frames-sent") >= 1);
    TaskFuture<Long> held = engine.submit(FaultTasks.pid()); // prefetched: more work waits behind it
    TaskFuture<Long> queued = engine.submit(FaultTasks.pid());
    await().atMost(PROMPTLY).until(() -> counter(engine, "process.frames-sent") >= 2); // RUN crasher, RUN held
    Signals.raise(dir.toString(), "crash");
    assertThat(failure(crasher)).isInstanceOf(WorkerCrashedException.class);
    // No retry policy: the held task never started on the dead worker, so it simply runs on the next one.
    assertThat(get(held)).isPositive();
    assertThat(get(queued)).isPositive();
    assertThat(counter(engine, "retried")).isZero();
  }

  @Test
  void aPrefetchedTask_cancelledBeforeItStarts_neverRuns() throws Exception {
    Engine engine = open(b -> b.workers(1).option("gearbox.process.prefetch", "1"));
    TaskFuture<Object> slow = engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 1));
    await().atMost(PROMPTLY).until(() -> Files.exists(dir.resolve("pid-1")));
    TaskFuture<Object> held = engine.submit(FaultTasks.raise(dir.toString(), "held-ran")); // prefetched
    TaskFuture<Integer> last = engine.submit(FaultTasks.square(3));
    await().atMost(PROMPTLY).until(() -> counter(engine, "process.frames-sent") >= 2); // RUN slow, RUN held
    // The snapshot shows the held task on the worker it was sent to, not started there.
    await("the engine has read the slow task's STARTED").atMost(PROMPTLY).until(() -> engine.snapshot(10).tasks().stream()
        .anyMatch(t -> t.id() == slow.taskId() && t.startedAt() != null));
    java.util.Map<Long, dev.gearbox.EngineSnapshot.TaskInfo> tasks = new java.util.HashMap<>();
    engine.snapshot(10).tasks().forEach(t -> tasks.put(t.id(), t));
    assertThat(tasks.get(held.taskId()).where()).as("where the held task was sent").isNotNull()
        .isEqualTo(tasks.get(slow.taskId()).where());
    assertThat(tasks.get(held.taskId()).startedAt()).isNull();
    assertThat(held.cancel(true)).isTrue();
    // The cancel is a frame on its way to the worker: once the worker has taken the held task out,
    // its report frees the slot (the last task stays queued, as nothing waits behind it).
    await().atMost(PROMPTLY).until(() -> counter(engine, "running") == 1);
    Signals.raise(dir.toString(), "release");
    get(slow);
    assertThat(get(last)).isEqualTo(9);
    assertThat(held).isCancelled();
    assertThat(Signals.isRaised(dir.toString(), "held-ran")).as("the cancelled task ran").isFalse();
  }

  @Test
  void aPrefetchedTask_behindALongTask_isRevokedWhenAnotherWorkerIdles() throws Exception {
    Engine engine = open(b -> b.workers(2).option("gearbox.process.prefetch", "1"));
    TaskFuture<Object> slow = engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 1)); // worker 0 (first slot)
    TaskFuture<Object> brief = engine.submit(FaultTasks.reportPidAndBlock(dir.toString(), 2)); // worker 1
    await().atMost(PROMPTLY).until(() -> Files.exists(dir.resolve("pid-1")) && Files.exists(dir.resolve("pid-2")));
    TaskFuture<Long> held = engine.submit(FaultTasks.pid()); // prefetched behind the slow task (ties go to the first slot)
    TaskFuture<Long> last = engine.submit(FaultTasks.pid()); // waits in the engine
    long slowPid = Long.parseLong(Files.readString(dir.resolve("pid-1")));
    // Only the brief task ends: its worker runs the last task, then idles, and takes the held one
    // back from behind the slow task, which is still blocked.
    brief.cancel(true);
    assertThat(get(last)).isNotEqualTo(slowPid);
    assertThat(get(held)).as("ran on the idle worker, not behind the blocked one").isNotEqualTo(slowPid);
    assertThat(slow).isNotDone();
    Signals.raise(dir.toString(), "release");
    get(slow);
  }

  @Test
  void aTaskThatNeverBlocks_onTheThreadThatReadIt_stillHearsItsInterrupt() throws Exception {
    // Only the interrupt can raise "interrupted": a kill at the end of the grace would leave it unraised.
    Engine engine = open(b -> b.workers(1).cancelGrace(Duration.ofSeconds(5)));
    for (int i = 0; i < 50; i++) { // back-to-back short tasks: the thread that reads each one runs it and reads on
      assertThat(get(engine.submit(FaultTasks.square(i)))).isEqualTo(i * i);
    }
    TaskFuture<Object> spinning = engine.submit(FaultTasks.spinUntilInterrupted(dir.toString(), "spinning", "interrupted"));
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(dir.toString(), "spinning"));
    assertThat(spinning.cancel(true)).isTrue();
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(dir.toString(), "interrupted"));
    assertThat(get(engine.submit(FaultTasks.square(7)))).isEqualTo(49);
    assertThat(counter(engine, "process.workers-crashed")).isZero();
  }

  @Test
  void recycling_afterMaxTasksPerWorker_replacesTheWorker() throws Exception {
    Engine engine = open(b -> b.workers(1).option("gearbox.process.max-tasks-per-worker", "3"));
    List<Long> pids = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      pids.add(get(engine.submit(FaultTasks.pid())));
    }
    assertThat(pids.stream().distinct().count()).isEqualTo(3);
    assertThat(counter(engine, "process.workers-recycled")).isGreaterThanOrEqualTo(2);
    assertThat(counter(engine, "process.workers-crashed")).isZero();
  }

  @Test
  void close_withKeepWarmZero_leavesNoWorkerProcess() throws Exception {
    List<Long> before = workerChildren(); // workers other engines of this JVM left warm
    Engine engine = open(b -> b.option("gearbox.process.keep-warm", "0"));
    List<Long> pids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pids.add(get(engine.submit(FaultTasks.pid())));
    }
    assertThat(pids).hasSizeGreaterThanOrEqualTo(1);
    engine.close();
    for (long pid : pids.stream().distinct().toList()) {
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("worker %s alive", pid).isFalse();
    }
    assertThat(workerChildren()).isSubsetOf(before);
  }

  private static List<Long> workerChildren() {
    return ProcessHandle.current().children().filter(p -> p.info().commandLine().orElse("").contains("WorkerMain"))
        .map(ProcessHandle::pid).toList();
  }
}
