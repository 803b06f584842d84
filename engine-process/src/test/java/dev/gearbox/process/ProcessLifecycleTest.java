package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.RetryPolicy;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Parent death and a chaos run, with real parent and worker JVMs. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ProcessLifecycleTest {
  @TempDir
  Path dir;

  @Test
  void whenTheParentJvmIsKilled_itsWorkersExitWithinFiveSeconds() throws Exception {
    Process parent = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
        System.getProperty("java.class.path"), ParentMain.class.getName(), dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("parent.log").toFile()).start();
    List<ProcessHandle> workers = new ArrayList<>();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("pid-1")) && Files.exists(dir.resolve("pid-2")));
      for (int k = 1; k <= 2; k++) {
        long pid = Long.parseLong(Files.readString(dir.resolve("pid-" + k)));
        workers.add(ProcessHandle.of(pid).orElseThrow());
      }
      assertThat(workers).allMatch(ProcessHandle::isAlive);
      parent.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
      assertThat(parent.waitFor(10, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> workers.stream().noneMatch(ProcessHandle::isAlive));
    } finally {
      parent.destroyForcibly();
      workers.forEach(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void chaos_workersKilledAtRandom_everyFutureCompletesOnce_andWithRetriesEveryTaskSucceeds() throws Exception {
    int n = 2_000;
    ConcurrentHashMap<Long, AtomicInteger> completions = new ConcurrentHashMap<>();
    AtomicInteger kills = new AtomicInteger();
    ScheduledExecutorService chaos = Executors.newSingleThreadScheduledExecutor();
    // Workers other engines of this JVM left warm are not this test's to kill, nor to find left over.
    WarmWorkers.RESERVE.stopAll();
    await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.current().children()
        .noneMatch(p -> p.info().commandLine().orElse("").contains(WorkerMain.class.getName())));
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("process").workers(2)
        .option("gearbox.process.poison-threshold", "1000").option("gearbox.process.keep-warm", "0").queueCapacity(n).build())) {
      TaskOptions retry = TaskOptions.newBuilder().retry(RetryPolicy.newBuilder().maxAttempts(50)
          .backoff(Duration.ZERO, 1, Duration.ZERO).build()).build();
      chaos.scheduleAtFixedRate(() -> {
        if (kills.get() >= 12) {
          return;
        }
        List<ProcessHandle> live = ProcessHandle.current().children()
            .filter(p -> p.info().commandLine().orElse("").contains(WorkerMain.class.getName())).toList();
        if (!live.isEmpty()) {
          live.get(ThreadLocalRandom.current().nextInt(live.size())).destroyForcibly();
          kills.incrementAndGet();
        }
      }, 300, 250, TimeUnit.MILLISECONDS);
      List<TaskFuture<Integer>> futures = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        TaskFuture<Integer> f = engine.submit(ChaosTasks.slowSquare(i), retry);
        f.whenComplete((v, t) -> completions.computeIfAbsent(f.taskId(), k -> new AtomicInteger()).incrementAndGet());
        futures.add(f);
      }
      for (int i = 0; i < n; i++) {
        assertThat(futures.get(i).get(120, TimeUnit.SECONDS)).isEqualTo(i * i);
      }
      assertThat(kills.get()).as("workers killed during the run").isGreaterThan(0);
      assertThat(engine.metrics().counter("gearbox.process.process.workers-crashed").getCount()).isGreaterThan(0);
      // A waiter in get() can wake before the completing thread has run the whenComplete callbacks.
      await().atMost(Duration.ofSeconds(30)).until(() -> completions.size() == n);
      assertThat(completions.values()).allMatch(c -> c.get() == 1);
    } finally {
      chaos.shutdownNow();
      chaos.awaitTermination(10, TimeUnit.SECONDS);
    }
    assertThat(ProcessHandle.current().children()
        .filter(p -> p.info().commandLine().orElse("").contains(WorkerMain.class.getName()))
        .map(ProcessHandle::pid).map(Optional::of)).isEmpty();
  }
}
