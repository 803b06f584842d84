package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.Execution;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The core on its own: admission, prefetch, dispatch from reports, and termination, driven
 * through {@link FakeBackend}, which runs nothing and reports each attempt when the test says
 * (or from inside {@code start}, when a test wants a backend that reports at once). The races
 * are run many times over, their threads released together by a barrier.
 */
class DefaultEngineTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final AtomicInteger ENGINE_IDS = new AtomicInteger();

  private final List<DefaultEngine> engines = new ArrayList<>();
  private final ExecutorService helpers = Executors.newCachedThreadPool();

  @AfterEach
  void stopEverything() throws InterruptedException {
    helpers.shutdownNow();
    assertThat(helpers.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("test threads ended").isTrue();
    for (DefaultEngine engine : engines) {
      engine.shutdownNow();
      assertThat(engine.awaitTermination(PATIENCE)).as("%s terminated", engine).isTrue();
    }
  }

  // ------------------------------------------------------------------ admission

  @Test
  void rejectPolicy_racingSubmitters_getExactlyTheFreeSlotsPlusTheQueueCapacity() throws Exception {
    int slots = 2;
    int capacity = 5;
    int submitters = 8;
    int each = 4;
    for (int round = 0; round < 50; round++) {
      FakeBackend backend = new FakeBackend(slots, 0);
      DefaultEngine engine = open(backend, b -> b.queueCapacity(capacity).whenQueueFull(QueueFullPolicy.REJECT));
      AtomicInteger accepted = new AtomicInteger();
      AtomicInteger rejected = new AtomicInteger();
      CyclicBarrier go = new CyclicBarrier(submitters);
      List<Future<Void>> running = new ArrayList<>();
      for (int t = 0; t < submitters; t++) {
        running.add(helpers.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            try {
              engine.submit(() -> 0L);
              accepted.incrementAndGet();
            } catch (RejectedExecutionException e) {
              rejected.incrementAndGet();
            }
          }
          return null;
        }));
      }
      joinAll(running);
      assertThat(accepted.get()).as("accepted in round %d", round).isEqualTo(slots + capacity);
      assertThat(rejected.get()).isEqualTo(submitters * each - slots - capacity);
      assertThat(engine.metrics.rejected.getCount()).isEqualTo(rejected.get());
      assertThat(backend.startOrder).hasSize(slots);
      assertThat(queueDepth(engine)).isEqualTo(capacity);
      engine.shutdownNow();
    }
  }

  @Test
  void blockPolicy_racingSubmittersAndReports_everySubmitterGetsInWithoutOverfillingTheQueue() throws Exception {
    int slots = 2;
    int capacity = 3;
    int submitters = 6;
    int each = 30;
    for (int round = 0; round < 20; round++) {
      FakeBackend backend = new FakeBackend(slots, 0);
      DefaultEngine engine = open(backend, b -> b.queueCapacity(capacity).whenQueueFull(QueueFullPolicy.BLOCK));
      ConcurrentLinkedQueue<TaskFuture<Long>> futures = new ConcurrentLinkedQueue<>();
      AtomicInteger deepest = new AtomicInteger();
      CyclicBarrier go = new CyclicBarrier(submitters + 1);
      List<Future<Void>> running = new ArrayList<>();
      for (int t = 0; t < submitters; t++) {
        running.add(helpers.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            futures.add(engine.submit(() -> 0L));
          }
          return null;
        }));
      }
      running.add(helpers.submit(() -> {
        go.await();
        for (int i = 0; i < submitters * each; i++) {
          deepest.accumulateAndGet(queueDepth(engine), Math::max);
          backend.succeed(backend.nextStarted());
        }
        return null;
      }));
      joinAll(running);
      assertThat(futures).hasSize(submitters * each);
      for (TaskFuture<Long> f : futures) {
        assertThat(f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(f.taskId());
      }
      assertThat(deepest.get()).as("deepest queue in round %d", round).isLessThanOrEqualTo(capacity);
      assertThat(backend.maxHeld.get()).isLessThanOrEqualTo(slots);
    }
  }

  // ------------------------------------------------------------------ prefetch

  @Test
  void prefetch_anAttemptGoesIntoThePrefetchRoomOnlyWhileMoreWorkWaitsBehindIt() throws Exception {
    FakeBackend backend = new FakeBackend(2, 1);
    DefaultEngine engine = open(backend, b -> {});
    engine.submit(() -> 0L);
    engine.submit(() -> 0L);
    TaskFuture<Long> third = engine.submit(() -> 0L);
    assertThat(backend.startOrder).as("the only waiting task stays in the engine").hasSize(2);
    engine.submit(() -> 0L);
    assertThat(ids(backend.startOrder)).as("with another behind it, it is handed over").hasSize(3).last().isEqualTo(third.taskId());
    engine.submit(() -> 0L);
    assertThat(backend.startOrder).as("the prefetch room holds one").hasSize(3);
  }

  @Test
  void prefetch_whatIsNotHandedOverStillRunsInPriorityOrder() throws Exception {
    FakeBackend backend = new FakeBackend(1, 1);
    DefaultEngine engine = open(backend, b -> {});
    long a = engine.submit(() -> 0L).taskId();
    long x = engine.submit(() -> 0L).taskId();
    long y = engine.submit(() -> 0L).taskId(); // x goes into the prefetch room
    long high = engine.submit(() -> 0L, TaskOptions.newBuilder().priority(10).build()).taskId();
    long z = engine.submit(() -> 0L).taskId();
    assertThat(ids(backend.startOrder)).containsExactly(a, x);
    backend.succeed(backend.nextStarted()); // a ends, x runs: high takes the room
    assertThat(ids(backend.startOrder)).containsExactly(a, x, high);
    backend.succeed(backend.nextStarted()); // x ends, high runs: y, with z behind it, takes the room
    assertThat(ids(backend.startOrder)).containsExactly(a, x, high, y);
    backend.succeed(backend.nextStarted()); // high ends, y runs: z is the last, it waits in the engine
    assertThat(ids(backend.startOrder)).containsExactly(a, x, high, y);
    backend.succeed(backend.nextStarted());
    assertThat(ids(backend.startOrder)).containsExactly(a, x, high, y, z);
  }

  @Test
  void prefetch_attemptsHeldInThePrefetchRoomCountAgainstTheQueueCapacity() {
    FakeBackend backend = new FakeBackend(1, 1);
    DefaultEngine engine = open(backend, b -> b.queueCapacity(2).whenQueueFull(QueueFullPolicy.REJECT));
    engine.submit(() -> 0L);
    engine.submit(() -> 0L);
    engine.submit(() -> 0L); // the second goes into the prefetch room, the third waits
    assertThat(backend.startOrder).hasSize(2);
    assertThatThrownBy(() -> engine.submit(() -> 0L)).isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("queue full");
  }

  // ------------------------------------------------------------------ dispatch from reports

  @Test
  void everyThreadWaitingForOneFuture_wakes_whenTheCompletionRacesTheirWaits() throws Exception {
    int waiters = 6;
    for (int round = 0; round < 200; round++) {
      FakeBackend backend = new FakeBackend(1, 0);
      DefaultEngine engine = open(backend, b -> {});
      TaskFuture<Long> f = engine.submit(() -> 0L);
      Attempt attempt = backend.nextStarted();
      CyclicBarrier go = new CyclicBarrier(waiters + 1);
      List<Future<Long>> waiting = new ArrayList<>();
      for (int t = 0; t < waiters; t++) {
        boolean join = t % 2 == 0;
        waiting.add(helpers.submit(() -> {
          go.await();
          return join ? f.join() : f.get();
        }));
      }
      go.await();
      backend.succeed(attempt);
      for (Future<Long> w : waiting) {
        assertThat(w.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("round %d", round).isEqualTo(f.taskId());
      }
    }
  }

  @Test
  void aBackendThatReportsFromInsideStart_isNeverStartedAgainFromInsideThatStart() throws Exception {
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    engine.submit(() -> 0L);
    List<TaskFuture<Long>> queued = submitMany(engine, 500);
    backend.onStart = backend::succeed;
    backend.succeed(backend.nextStarted());
    for (TaskFuture<Long> f : queued) {
      assertThat(f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(f.taskId());
    }
    assertThat(backend.maxStartDepth.get()).as("start calls one thread was inside at once").isEqualTo(1);
    assertThat(backend.stackGrowth()).as("stack frames gained from the second start to the last").isLessThan(8);
  }

  @Test
  void aBackendThatRunsAttemptsInsideStart_isNeverStartedAgainFromInsideThatStart_whenFuturesHaveDependents()
      throws Exception {
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    engine.submit(() -> 0L);
    List<CompletableFuture<Long>> dependents = submitMany(engine, 500).stream().map(f -> f.thenApply(v -> v + 1)).toList();
    backend.onStart = backend::runHereInTurn;
    backend.succeed(backend.nextStarted());
    for (CompletableFuture<Long> f : dependents) {
      assertThat(f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1L);
    }
    assertThat(backend.maxStartDepth.get()).isEqualTo(1);
    assertThat(backend.stackGrowth()).isLessThan(8);
  }

  @Test
  void reportsMadeInsideStart_completeInnermostFirst_soADependentMayWaitForTheTasksStartedAfterIt() throws Exception {
    // Every start fails at once, so each report is made inside the start of the one before it. A
    // dependent of a task runs on the reporting thread: if it waited for the task started after
    // its own, completing the outer one first would make it wait on its own thread for ever.
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    engine.submit(() -> 0L);
    List<TaskFuture<Long>> queued = submitMany(engine, 50);
    List<Boolean> laterOneDoneFirst = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i + 1 < queued.size(); i++) {
      TaskFuture<Long> later = queued.get(i + 1);
      queued.get(i).whenComplete((v, t) -> laterOneDoneFirst.add(later.isDone()));
    }
    backend.onStart = a -> {
      throw new RejectedExecutionException("no room");
    };
    backend.succeed(backend.nextStarted());
    for (TaskFuture<Long> f : queued) {
      assertThat(catchThrowable(() -> f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))).isInstanceOf(ExecutionException.class);
    }
    assertThat(laterOneDoneFirst).hasSize(queued.size() - 1).containsOnly(true);
  }

  @Test
  void aCallerWaitingInGet_isWokenBeforeTheDependentActionsRun_soOneMayWaitForWhatTheCallerDoesNext() throws Exception {
    // A worker that runs the task here (this test's thread, as a pool thread would) completes its
    // future and runs the dependent there. With a dependent attached, the waiters wake first: a
    // dependent that waits for what the caller does after get() returns must not hold that caller
    // until it gives up.
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    TaskFuture<Long> task = engine.submit(() -> 7L);
    Attempt attempt = backend.nextStarted();
    CountDownLatch callerReturned = new CountDownLatch(1);
    AtomicReference<Boolean> dependentSawTheCaller = new AtomicReference<>();
    CompletableFuture<Void> dependent = task.thenRun(() -> {
      try {
        dependentSawTheCaller.set(callerReturned.await(5, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Future<Long> caller = callerParkedInGet(task, callerReturned);

    backend.runHereInTurn(attempt);

    assertThat(dependent).isDone();
    assertThat(dependentSawTheCaller.get()).as("the caller had returned from get() while the dependent ran").isTrue();
    assertThat(caller.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(7L);
  }

  @Test
  void aCallerWaitingInGet_isWokenWhenAWorkerRunningTheTaskHereCompletesIt_withNothingAttached() throws Exception {
    // The other order: with nothing attached, such a worker sets the result first, then wakes.
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    TaskFuture<Long> task = engine.submit(() -> 7L);
    TaskFuture<Long> failing = engine.submit(() -> {
      throw new IllegalStateException("expected by the test");
    });
    Attempt attempt = backend.nextStarted();
    Future<Long> caller = callerParkedInGet(task, new CountDownLatch(1));
    Future<Long> secondCaller = callerParkedInGet(task, new CountDownLatch(1)); // parked on the waiters' stack, not the hand-off slot
    Future<Long> failingCaller = callerParkedInGet(failing, new CountDownLatch(1));

    backend.runHereInTurn(attempt); // runs the second task too: the core hands it back on the slot

    assertThat(caller.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(7L);
    assertThat(secondCaller.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(7L);
    assertThat(catchThrowable(() -> failingCaller.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)))
        .hasRootCauseInstanceOf(IllegalStateException.class);
  }

  /** A helper thread waiting in {@code task.get()}, returned once it is parked there; it counts {@code returned} down after get() returns. */
  private Future<Long> callerParkedInGet(TaskFuture<Long> task, CountDownLatch returned) {
    AtomicReference<Thread> callerThread = new AtomicReference<>();
    Future<Long> caller = helpers.submit(() -> {
      callerThread.set(Thread.currentThread());
      try {
        return task.get();
      } finally {
        returned.countDown();
      }
    });
    org.awaitility.Awaitility.await().atMost(PATIENCE)
        .until(() -> callerThread.get() != null && callerThread.get().getState() == Thread.State.WAITING);
    return caller;
  }

  @Test
  void aBackendWhoseStartThrows_failsEachQueuedTaskInTurnWithoutRecursing() throws Exception {
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    engine.submit(() -> 0L);
    List<TaskFuture<Long>> queued = submitMany(engine, 500);
    queued.forEach(f -> f.whenComplete((v, t) -> {})); // a dependent on each, so none is handed back to the reporter
    backend.onStart = a -> {
      throw new RejectedExecutionException("no room");
    };
    backend.succeed(backend.nextStarted());
    for (TaskFuture<Long> f : queued) {
      assertThatThrownBy(() -> f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).hasCauseInstanceOf(EngineException.class)
          .hasMessageContaining("could not start it");
    }
    assertThat(backend.maxStartDepth.get()).isEqualTo(1);
    assertThat(backend.stackGrowth()).isLessThan(8);
  }

  @Test
  void aFailedAttemptIsCountedBeforeTheAttemptDispatchedOnItsSlotStarts() throws Exception {
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    TaskFuture<Long> first = engine.submit(() -> 0L);
    TaskFuture<Long> second = engine.submit(() -> 0L);
    AtomicLong failedWhenSecondStarted = new AtomicLong(-1);
    backend.onStart = a -> failedWhenSecondStarted.set(engine.metrics.failed.getCount());
    backend.fail(backend.nextStarted(), new IllegalStateException("first fails"));
    assertThat(first).isCompletedExceptionally();
    assertThat(backend.nextStarted().taskId()).isEqualTo(second.taskId());
    assertThat(failedWhenSecondStarted.get()).isEqualTo(1);
  }

  @Test
  void anAttemptLostWithoutACause_failsItsFutureSayingSo_andTheEngineTerminates() throws Exception {
    FakeBackend backend = new FakeBackend(1, 0);
    DefaultEngine engine = open(backend, b -> {});
    TaskFuture<Long> future = engine.submit(() -> 0L);
    assertThat(backend.lose(backend.nextStarted(), null)).isTrue();
    assertThat(future).isCompletedExceptionally();
    assertThatThrownBy(() -> future.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(EngineException.class).hasMessageContaining("lost without a cause")
        .hasCauseInstanceOf(NullPointerException.class);
    engine.shutdown();
    assertThat(engine.awaitTermination(PATIENCE)).isTrue();
  }

  // ------------------------------------------------------------------ termination

  @Test
  void shutdown_racingReports_everyFutureCompletesOnceAndTerminationWaitsForTheBackend() throws Exception {
    for (int round = 0; round < 100; round++) {
      Race race = new Race(4, 16, 3, 1);
      race.go.await();
      race.engine.shutdown();
      assertThat(race.engine.awaitTermination(PATIENCE)).as("terminated in round %d", round).isTrue();
      assertThat(race.backend.shutdownCalls.get()).isEqualTo(1);
      assertThat(race.backend.reportsUnreturned()).as("reports still inside the engine").isZero();
      race.assertEveryFutureCompletedOnce();
      assertThat(race.futures).allSatisfy(f -> assertThat(f).isCompletedWithValue(f.taskId()));
      assertThat(race.engine.metrics.completed.getCount()).isEqualTo(race.futures.size());
      assertThat(race.engine.isTerminated()).isTrue();
      joinAll(race.reporters);
    }
  }

  @Test
  void shutdownNow_racingReports_everyFutureCompletesOnceAndTerminationWaitsForTheBackend() throws Exception {
    for (int round = 0; round < 100; round++) {
      Race race = new Race(4, 16, 3, 1);
      race.go.await();
      race.engine.shutdownNow();
      assertThat(race.engine.awaitTermination(PATIENCE)).as("terminated in round %d", round).isTrue();
      assertThat(race.backend.shutdownNowCalls.get()).isEqualTo(1);
      assertThat(race.backend.reportsUnreturned()).isZero();
      race.assertEveryFutureCompletedOnce();
      EngineMetrics m = race.engine.metrics;
      assertThat(m.completed.getCount() + m.failed.getCount() + m.cancelled.getCount()).isEqualTo(race.futures.size());
      assertThat(race.engine.isTerminated()).isTrue();
      joinAll(race.reporters);
    }
  }

  @Test
  void isTerminated_turnsTrueOnlyOnceEveryFutureIsCompleteAndTheBackendHasEnded() throws Exception {
    for (int round = 0; round < 300; round++) {
      Race race = new Race(4, 16, 3, 2);
      AtomicReference<String> seen = new AtomicReference<>();
      Future<Void> watcher = helpers.submit(() -> {
        race.go.await();
        while (!race.engine.isTerminated()) {
          Thread.onSpinWait();
        }
        seen.set("shutdown=" + race.engine.isShutdown() + " backendShutdown=" + race.backend.shutdownCalls.get()
            + " reportsUnreturned=" + race.backend.reportsUnreturned()
            + " allDone=" + race.futures.stream().allMatch(CompletableFuture::isDone));
        return null;
      });
      race.go.await();
      race.engine.shutdown();
      watcher.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertThat(seen.get()).as("round %d", round)
          .isEqualTo("shutdown=true backendShutdown=1 reportsUnreturned=0 allDone=true");
      joinAll(race.reporters);
    }
  }

  /**
   * An engine whose slots are full and queue holds more, with reporter threads that report every
   * attempt the backend is handed; {@link #go} releases them together with {@code otherParties}
   * more threads.
   */
  private final class Race {
    final FakeBackend backend;
    final DefaultEngine engine;
    final List<TaskFuture<Long>> futures;
    final Map<Long, AtomicInteger> completions = new ConcurrentHashMap<>();
    final Map<Long, AtomicInteger> endEvents = new ConcurrentHashMap<>();
    final CyclicBarrier go;
    final List<Future<Void>> reporters = new ArrayList<>();

    Race(int slots, int tasks, int reporterThreads, int otherParties) {
      backend = new FakeBackend(slots, 0);
      engine = open(backend, b -> {});
      engine.addListener(new EngineListener() {
        @Override
        public void taskSucceeded(TaskEvent event) {
          ended(event);
        }

        @Override
        public void taskFailed(TaskEvent event, Throwable failure) {
          ended(event);
        }

        @Override
        public void taskCancelled(TaskEvent event) {
          ended(event);
        }
      });
      futures = submitMany(engine, tasks);
      CountDownLatch allDone = new CountDownLatch(tasks);
      for (TaskFuture<Long> f : futures) {
        f.whenComplete((v, t) -> {
          completions.computeIfAbsent(f.taskId(), id -> new AtomicInteger()).incrementAndGet();
          allDone.countDown();
        });
      }
      go = new CyclicBarrier(reporterThreads + otherParties);
      for (int i = 0; i < reporterThreads; i++) {
        reporters.add(helpers.submit(() -> {
          go.await();
          while (allDone.getCount() > 0) {
            Attempt a = backend.started.poll(10, TimeUnit.MILLISECONDS);
            if (a != null) {
              backend.succeed(a);
            }
          }
          return null;
        }));
      }
    }

    private void ended(TaskEvent event) {
      endEvents.computeIfAbsent(event.taskId(), id -> new AtomicInteger()).incrementAndGet();
    }

    void assertEveryFutureCompletedOnce() {
      assertThat(futures).allMatch(CompletableFuture::isDone);
      for (TaskFuture<Long> f : futures) {
        assertThat(completions.get(f.taskId())).as("completions of %s", f).hasValue(1);
        assertThat(endEvents.get(f.taskId())).as("end events of %s", f).hasValue(1);
      }
      assertThat(endEvents).hasSize(futures.size());
    }
  }

  // ------------------------------------------------------------------ fixtures

  private DefaultEngine open(FakeBackend backend, Consumer<EngineConfig.Builder> tune) {
    EngineConfig.Builder b = EngineConfig.newBuilder().name("core-test-" + ENGINE_IDS.incrementAndGet());
    tune.accept(b);
    DefaultEngine engine = DefaultEngine.open(b.build(), new BackendProvider() {
      @Override
      public String name() {
        return "fake";
      }

      @Override
      public List<ConfigKey> declaredKeys() {
        return List.of();
      }

      @Override
      public Backend create(BackendSettings settings) {
        return backend;
      }
    });
    engines.add(engine);
    return engine;
  }

  private static List<TaskFuture<Long>> submitMany(Engine engine, int n) {
    return IntStream.range(0, n).mapToObj(i -> engine.submit(() -> 0L)).toList();
  }

  private static int queueDepth(DefaultEngine engine) {
    return (Integer) engine.metrics().getGauges().get(engine.metrics.name("queue-depth")).getValue();
  }

  private static List<Long> ids(List<Attempt> attempts) {
    synchronized (attempts) {
      return attempts.stream().map(Attempt::taskId).toList();
    }
  }

  private static void joinAll(List<Future<Void>> futures) throws Exception {
    for (Future<Void> f : futures) {
      try {
        f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("a test thread failed", e.getCause());
      }
    }
  }

  /**
   * A backend that runs nothing: it records each attempt the core starts, then does
   * {@link #onStart} (nothing unless a test says), and reports an attempt once, when told. It
   * records how deep the Java stack is at each {@code start}, fails a {@code start} called from
   * inside another on the same thread, and terminates once shut down with every attempt reported
   * and every report returned.
   * Thread-safe.
   */
  static final class FakeBackend implements Backend {
    final int parallelism;
    final int prefetch;
    /** Attempts started and not yet taken by the test, in start order. */
    final BlockingQueue<Attempt> started = new LinkedBlockingQueue<>();
    /** Every attempt started, in start order; lock it to iterate. */
    final List<Attempt> startOrder = Collections.synchronizedList(new ArrayList<>());
    /** What {@code start} does once it has recorded the attempt. */
    volatile Consumer<Attempt> onStart = a -> {};
    final AtomicInteger maxStartDepth = new AtomicInteger();
    /** Attempts started and not yet reported, and the most there ever were. */
    final AtomicInteger held = new AtomicInteger();
    final AtomicInteger maxHeld = new AtomicInteger();
    final AtomicInteger shutdownCalls = new AtomicInteger();
    final AtomicInteger shutdownNowCalls = new AtomicInteger();
    private final ThreadLocal<int[]> startDepth = ThreadLocal.withInitial(() -> new int[1]);
    private final List<Integer> stackAtStart = Collections.synchronizedList(new ArrayList<>());
    private final Set<Attempt> unreported = ConcurrentHashMap.newKeySet();
    /** Guarded by this: started attempts whose report has not returned yet; whether shut down. */
    private int unreturned;
    private boolean shut;

    FakeBackend(int parallelism, int prefetch) {
      this.parallelism = parallelism;
      this.prefetch = prefetch;
    }

    @Override
    public BackendCapabilities capabilities() {
      return BackendCapabilities.inProcess();
    }

    @Override
    public int parallelism() {
      return parallelism;
    }

    @Override
    public int prefetch() {
      return prefetch;
    }

    @Override
    public Execution start(Attempt attempt) {
      int[] depth = startDepth.get();
      depth[0]++;
      maxStartDepth.accumulateAndGet(depth[0], Math::max);
      stackAtStart.add(StackWalker.getInstance().walk(s -> (int) s.count()));
      try {
        if (depth[0] > 1) {
          throw new AssertionError("start re-entered from inside start, " + depth[0] + " deep");
        }
        synchronized (this) {
          if (shut) {
            throw new RejectedExecutionException("the fake backend is shut down");
          }
          unreturned++;
        }
        unreported.add(attempt);
        maxHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
        startOrder.add(attempt);
        started.add(attempt);
        try {
          onStart.accept(attempt);
        } catch (RuntimeException e) {
          if (unreported.remove(attempt)) { // not started after all: the core reports it itself
            started.remove(attempt);
            held.decrementAndGet();
            returned();
          }
          throw e;
        }
        return () -> {};
      } finally {
        depth[0]--;
      }
    }

    /** The next started attempt the test has not taken yet, waiting for it to start. */
    Attempt nextStarted() throws InterruptedException {
      Attempt a = started.poll(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertThat(a).as("an attempt started").isNotNull();
      return a;
    }

    /**
     * Runs {@code a} in this thread, then each attempt the core hands back on its slot, as an
     * in-process backend's worker does ({@link Attempt#runHere()}).
     */
    void runHereInTurn(Attempt a) {
      if (!unreported.remove(a)) {
        return;
      }
      started.remove(a);
      held.decrementAndGet();
      try {
        for (Attempt next = a; next != null; ) {
          next = next.runHere();
        }
      } finally {
        returned();
      }
    }

    boolean succeed(Attempt a) {
      return report(a, x -> x.succeeded(x.taskId()));
    }

    boolean fail(Attempt a, Throwable failure) {
      return report(a, x -> x.failed(failure));
    }

    boolean lose(Attempt a, EngineException failure) {
      return report(a, x -> x.lost(failure));
    }

    /** Reports {@code a} as {@code how} says, unless it was reported already. */
    private boolean report(Attempt a, Consumer<Attempt> how) {
      if (!unreported.remove(a)) {
        return false;
      }
      held.decrementAndGet();
      try {
        how.accept(a);
      } finally {
        returned();
      }
      return true;
    }

    /** How many frames deeper the stack was at the deepest start than at the second (the first to follow a report). */
    int stackGrowth() {
      synchronized (stackAtStart) {
        return Collections.max(stackAtStart.subList(1, stackAtStart.size())) - stackAtStart.get(1);
      }
    }

    synchronized int reportsUnreturned() {
      return unreturned;
    }

    private synchronized void returned() {
      unreturned--;
      notifyAll();
    }

    @Override
    public void shutdown() {
      shutdownCalls.incrementAndGet();
      synchronized (this) {
        shut = true;
        notifyAll();
      }
    }

    @Override
    public void shutdownNow() {
      shutdownNowCalls.incrementAndGet();
      synchronized (this) {
        shut = true;
        notifyAll();
      }
      for (Attempt a : List.copyOf(unreported)) {
        report(a, x -> x.lost(new EngineException(x.taskId(), x.taskName(), "the fake backend shut down now", null)));
      }
    }

    @Override
    public synchronized boolean awaitTermination(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!shut || unreturned > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }
}
