package dev.gearbox.async;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.AsyncTask;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What only the async backend promises: huge numbers of waiting tasks, and stages without threads. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AsyncBackendTest {
  private static final Duration PROMPTLY = Duration.ofSeconds(60);

  private static Engine open(EngineConfig.Builder b) {
    return Engine.open(b.backend("async").build());
  }

  @Test
  void map_ofCheapInputs_learnsItsChunkSizeFromTheFirstJobs_insteadOfSendingAWindowOfSingleInputs() {
    // The async engine's window is a thousand jobs. Adaptive chunks start at one input per job and
    // grow from what the jobs took: learnt only as the caller consumed outputs, the whole first
    // window went out one input per job (1,000+ jobs for 20,000 inputs of a few nanoseconds).
    try (Engine engine = open(EngineConfig.newBuilder().name("map-learns"))) {
      int inputs = 20_000;
      long expected = (long) inputs * (inputs + 1) / 2;
      assertThat(sumOfMap(engine, inputs, false)).isEqualTo(expected); // compiles the path: a cold JVM's first jobs are slow
      long before = engine.metrics().counter("gearbox.map-learns.submitted").getCount();
      // The inputs hold back at the 33rd until every job submitted so far has completed: the rest
      // of the window is then sized from jobs whose outputs the caller has not reached yet.
      assertThat(sumOfMap(engine, inputs, true)).isEqualTo(expected);
      long jobs = engine.metrics().counter("gearbox.map-learns.submitted").getCount() - before;
      assertThat(jobs).as("jobs for %d inputs", inputs).isLessThan(1_000); // before: the window, 1,024 jobs, and more (1,045-1,055)
    }
  }

  /** Maps {@code x -> x + 1} over 0..inputs-1; if {@code gate}, the 33rd input waits until every job submitted has completed. */
  private static long sumOfMap(Engine engine, int inputs, boolean gate) {
    com.codahale.metrics.Counter submitted = engine.metrics().counter("gearbox.map-learns.submitted");
    com.codahale.metrics.Counter completed = engine.metrics().counter("gearbox.map-learns.completed");
    java.util.Iterator<Integer> source = new java.util.Iterator<>() {
      int next;

      @Override
      public boolean hasNext() {
        return next < inputs;
      }

      @Override
      public Integer next() {
        if (next == 32 && gate) {
          await().atMost(Duration.ofSeconds(30)).until(() -> completed.getCount() >= submitted.getCount());
        }
        return next++;
      }
    };
    try (java.util.stream.Stream<Integer> out = engine.map(x -> x + 1, () -> source)) {
      return out.mapToLong(Integer::longValue).sum();
    }
  }

  @Test
  void hundredThousandBlockingTasks_areAllAliveAtOnce() throws Exception {
    int n = 100_000;
    CountDownLatch allStarted = new CountDownLatch(n);
    try (Engine engine = open(EngineConfig.newBuilder())) {
      List<TaskFuture<Integer>> futures = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int k = i;
        // Each task waits until every task has started: only possible if all n run at once.
        futures.add(engine.submit(() -> {
          allStarted.countDown();
          allStarted.await();
          return k;
        }));
      }
      assertThat(allStarted.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
      long sum = 0;
      for (TaskFuture<Integer> f : futures) {
        sum += f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
      }
      assertThat(sum).isEqualTo((long) n * (n - 1) / 2);
      assertThat(engine.metrics().counter("gearbox.async.queued").getCount()).isZero();
    }
  }

  @Test
  void asyncTasks_holdNoThreadWhileTheirStageIsPending() throws Exception {
    int n = 10_000;
    List<CompletableFuture<Integer>> stages = new CopyOnWriteArrayList<>();
    List<Thread> starters = new CopyOnWriteArrayList<>();
    try (Engine engine = open(EngineConfig.newBuilder())) {
      List<TaskFuture<Integer>> futures = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        futures.add(engine.submitAsync(pendingStage(stages, starters)));
      }
      await().atMost(PROMPTLY).until(() -> stages.size() == n);
      // Every thread that started a stage has ended although no stage has completed.
      await().atMost(PROMPTLY).until(() -> starters.stream().noneMatch(Thread::isAlive));
      assertThat(futures).noneMatch(TaskFuture::isDone);
      assertThat(engine.metrics().counter("gearbox.async.running").getCount()).isEqualTo(n);
      for (int i = 0; i < n; i++) {
        stages.get(i).complete(1);
      }
      int sum = 0;
      for (TaskFuture<Integer> f : futures) {
        sum += f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
      }
      assertThat(sum).isEqualTo(n);
    }
  }

  private static AsyncTask<Integer> pendingStage(List<CompletableFuture<Integer>> stages, List<Thread> starters) {
    return ctx -> {
      CompletableFuture<Integer> f = new CompletableFuture<>();
      starters.add(Thread.currentThread());
      stages.add(f);
      return f;
    };
  }

  @Test
  void concurrencyLimit_queuesTheRest_andCountsTheWaits() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    Task<Integer> task = () -> {
      peak.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
      try {
        release.await();
      } finally {
        concurrent.decrementAndGet();
      }
      return 1;
    };
    try (Engine engine = open(EngineConfig.newBuilder().option("gearbox.async.max-concurrency", "10"))) {
      List<TaskFuture<Integer>> futures = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        futures.add(engine.submit(task));
      }
      await().atMost(PROMPTLY).until(() -> concurrent.get() == 10);
      assertThat(engine.metrics().counter("gearbox.async.queued").getCount()).isEqualTo(40);
      assertThat(engine.metrics().counter("gearbox.async.running").getCount()).isEqualTo(10);
      release.countDown();
      for (TaskFuture<Integer> f : futures) {
        f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
      }
      assertThat(peak.get()).isEqualTo(10);
    }
  }

  @Test
  void anAsyncTaskThatBlocksBeforeReturningItsStage_isInterruptedAtItsTimeout_andFreesItsSlot() {
    CountDownLatch interrupted = new CountDownLatch(1);
    AsyncTask<Integer> blocksInCall = ctx -> {
      try {
        new CountDownLatch(1).await(); // the mistake the javadoc warns about: blocking in call()
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
      return CompletableFuture.completedFuture(1);
    };
    try (Engine engine = open(EngineConfig.newBuilder())) {
      TaskFuture<Integer> f = engine.submitAsync(blocksInCall, dev.gearbox.TaskOptions.newBuilder().timeout(Duration.ofMillis(200)).build());
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS))
          .hasCauseInstanceOf(dev.gearbox.TaskTimeoutException.class);
      await().atMost(PROMPTLY).until(() -> interrupted.getCount() == 0);
      await().atMost(PROMPTLY).until(() -> engine.metrics().counter("gearbox.async.running").getCount() == 0);
    }
  }

  @Test
  void anAsyncTaskReturningNull_failsWithAClearMessage() {
    AsyncTask<Integer> nullStage = ctx -> null;
    try (Engine engine = open(EngineConfig.newBuilder())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.submitAsync(nullStage).get(PROMPTLY.toSeconds(), TimeUnit.SECONDS))
          .hasCauseInstanceOf(NullPointerException.class)
          .hasStackTraceContaining("null CompletionStage");
    }
  }

  @Test
  void shutdownNow_withPendingStages_cancelsThemAndTerminates() throws Exception {
    List<CompletableFuture<Integer>> stages = new CopyOnWriteArrayList<>();
    List<Thread> starters = new CopyOnWriteArrayList<>();
    Engine engine = open(EngineConfig.newBuilder());
    List<TaskFuture<Integer>> futures = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      futures.add(engine.submitAsync(pendingStage(stages, starters)));
    }
    await().atMost(PROMPTLY).until(() -> stages.size() == 100);
    engine.shutdownNow();
    assertThat(engine.awaitTermination(PROMPTLY)).isTrue();
    assertThat(futures).allMatch(TaskFuture::isCancelled);
    assertThat(stages).allMatch(CompletableFuture::isCancelled);
    engine.close();
  }

  @Test
  void explicitWorkers_areTheLimit_whenMaxConcurrencyIsNotSet() {
    try (Engine a = open(EngineConfig.newBuilder().workers(7).name("w7"));
        Engine b = open(EngineConfig.newBuilder().name("dflt"))) {
      assertThat(a.parallelism()).isEqualTo(7);
      assertThat(b.parallelism()).isEqualTo(AsyncBackendProvider.DEFAULT_MAX_CONCURRENCY);
    }
  }

  @Test
  void threadsAreUnnamed_andSnapshotsShowTheirIds_unlessAPrefixNamesThem() throws Exception {
    for (String prefix : new String[] {null, "mine-"}) {
      EngineConfig.Builder b = EngineConfig.newBuilder();
      if (prefix != null) {
        b.option(AsyncBackendProvider.NAME_PREFIX, prefix);
      }
      try (Engine engine = open(b)) {
        CountDownLatch release = new CountDownLatch(1);
        TaskFuture<Thread> f = engine.submit(() -> {
          Thread me = Thread.currentThread();
          release.await();
          return me;
        });
        String where;
        try {
          await().atMost(PROMPTLY).until(() -> engine.snapshot(10).tasks().stream()
              .anyMatch(t -> t.state() == dev.gearbox.EngineSnapshot.TaskState.RUNNING && t.where() != null));
          where = engine.snapshot(10).tasks().get(0).where();
        } finally {
          release.countDown(); // a failed wait must fail the test, not hang its close
        }
        Thread runner = f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
        assertThat(runner.isVirtual()).isTrue();
        if (prefix == null) {
          assertThat(runner.getName()).isEmpty();
          assertThat(where).isEqualTo("VirtualThread[#" + runner.threadId() + "]");
        } else {
          assertThat(runner.getName()).startsWith(prefix);
          assertThat(where).isEqualTo(runner.getName());
        }
      }
    }
  }

  /**
   * The backend's own shutdownNow reaches every running thread: tasks that ignore the engine's
   * interrupt run on until the backend's shutdownNow interrupts them again (when the engine
   * terminates, or when close() forces it after the grace period), and that interrupt they obey.
   */
  @Test
  void closeAfterShutdownNow_interruptsEveryThreadStillRunning_throughTheBackend() throws Exception {
    int n = 50;
    CountDownLatch firstInterrupts = new CountDownLatch(n);
    CountDownLatch stopped = new CountDownLatch(n);
    java.util.concurrent.atomic.AtomicBoolean obeyNext = new java.util.concurrent.atomic.AtomicBoolean();
    Engine engine = open(EngineConfig.newBuilder().cancelGrace(Duration.ofMillis(100)));
    CountDownLatch started = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      engine.submit(() -> {
        started.countDown();
        boolean first = true;
        for (;;) {
          try {
            new CountDownLatch(1).await();
          } catch (InterruptedException e) {
            if (obeyNext.get()) {
              stopped.countDown();
              return null;
            }
            if (first) {
              first = false;
              firstInterrupts.countDown(); // the engine's interrupt: ignored
            }
          }
        }
      });
    }
    try {
      assertThat(started.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
      engine.shutdownNow();
      assertThat(firstInterrupts.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
      obeyNext.set(true); // from now on only the backend interrupts them
      engine.close();
      assertThat(stopped.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(engine.awaitTermination(PROMPTLY)).isTrue();
    } finally {
      obeyNext.set(true); // whatever failed above, the tasks end at the next interrupt
      engine.shutdownNow();
    }
  }
}
