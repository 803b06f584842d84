package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Channel;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineSnapshot;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Workers an engine left warm at close, taken by the next engine with the same launch; real worker JVMs. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmWorkersTest {
  private static final Duration PROMPTLY = Duration.ofSeconds(30);
  /** Long enough that no parked worker expires during a test that expects it to be taken. */
  private static final String KEEP_WARM = "60s";

  @TempDir
  Path dir;

  /** Gives the workers of this test a key of their own: the environment is part of it. */
  private final String key = "GEARBOX_TEST_WARM_KEY=" + UUID.randomUUID();
  private final List<Engine> engines = new ArrayList<>();
  private final Set<Long> seen = new java.util.HashSet<>();

  private Engine open(UnaryOperator<EngineConfig.Builder> customize) {
    Engine e = Engine.open(customize.apply(EngineConfig.newBuilder().backend("process").workers(2)
        .cancelGrace(Duration.ofMillis(500)).option("gearbox.process.environment", key)
        .option("gearbox.process.keep-warm", KEEP_WARM)).build());
    engines.add(e);
    return e;
  }

  @AfterEach
  void stopEverything() {
    engines.forEach(Engine::shutdownNow);
    engines.forEach(Engine::close);
    WarmWorkers.RESERVE.stopAll();
    await().atMost(PROMPTLY).until(() -> seen.stream().noneMatch(WarmWorkersTest::alive));
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static long counter(Engine e, String name) {
    return e.metrics().counter("gearbox." + e.name() + ".process." + name).getCount();
  }

  /** The pids of the engine's workers now, once {@code n} of them are ready. */
  private Set<Long> workerPids(Engine e, int n) {
    await().atMost(PROMPTLY).until(() -> e.snapshot().workers().stream().filter(w -> "READY".equals(w.state())).count() == n);
    Set<Long> pids = e.snapshot().workers().stream().filter(w -> "READY".equals(w.state())).map(EngineSnapshot.WorkerInfo::pid)
        .collect(Collectors.toSet());
    seen.addAll(pids);
    return pids;
  }

  private static <T> T get(TaskFuture<T> f) throws Exception {
    return f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aSecondEngine_takesTheWorkersTheFirstLeftWarm() throws Exception {
    Engine first = open(b -> b);
    assertThat(get(first.submit(FaultTasks.square(3)))).isEqualTo(9);
    Set<Long> pids = workerPids(first, 2);
    first.close();
    assertThat(pids).allMatch(WarmWorkersTest::alive);

    Engine second = open(b -> b);
    assertThat(workerPids(second, 2)).isEqualTo(pids);
    assertThat(counter(second, "workers-adopted")).isEqualTo(2);
    assertThat(counter(second, "workers-started")).isZero();
    assertThat(get(second.submit(FaultTasks.pid()))).isIn(pids);
  }

  @Test
  void anEngineWithMoreWorkers_takesTheWarmOnes_andStartsTheRest() throws Exception {
    Engine first = open(b -> b.workers(1));
    Set<Long> pids = workerPids(first, 1);
    first.close();

    Engine second = open(b -> b.workers(3));
    Set<Long> now = workerPids(second, 3);
    assertThat(now).containsAll(pids);
    assertThat(counter(second, "workers-adopted")).isEqualTo(1);
    assertThat(counter(second, "workers-started")).isEqualTo(2);
  }

  @Test
  void anEngineWithAnotherLaunch_doesNotTakeThem() throws Exception {
    assertNotTaken(b -> b, b -> b.option("gearbox.process.heap", "96m"));
  }

  @Test
  void anEngineWithAnInitializer_keepsNoneWarm() throws Exception {
    Engine first = open(b -> b.workerInitializer(FaultTasks.failingOnce(dir.toString(), "one")));
    Set<Long> pids = workerPids(first, 2);
    first.close();
    assertThat(pids).noneMatch(WarmWorkersTest::alive); // close waits for them
    assertThat(WarmWorkers.RESERVE.size()).isZero();
  }

  @Test
  void anEngineWithKeepWarmZero_takesNone() throws Exception {
    Engine first = open(b -> b);
    Set<Long> pids = workerPids(first, 2);
    first.close();

    Engine fresh = open(b -> b.option("gearbox.process.keep-warm", "0"));
    assertThat(workerPids(fresh, 2)).doesNotContainAnyElementsOf(pids);
    assertThat(counter(fresh, "workers-adopted")).isZero();
    assertThat(pids).allMatch(WarmWorkersTest::alive); // still kept for an engine that wants them
  }

  @Test
  void afterTheApplicationsClassesChange_theWarmWorkersAreNotTaken() throws Exception {
    Path classes = java.nio.file.Files.createDirectories(dir.resolve("classes"));
    java.nio.file.Files.writeString(classes.resolve("App.class"), "v1");
    String cp = System.getProperty("java.class.path") + java.io.File.pathSeparator + classes;
    UnaryOperator<EngineConfig.Builder> launch = b -> b.option("gearbox.process.classpath", cp);
    Engine first = open(launch);
    Set<Long> pids = workerPids(first, 2);
    first.close();
    Engine same = open(launch);
    assertThat(workerPids(same, 2)).isEqualTo(pids); // unchanged classes: taken
    same.close();

    java.nio.file.Files.writeString(classes.resolve("Added.class"), "recompiled"); // a restart with new classes
    Engine restarted = open(launch);
    assertThat(workerPids(restarted, 2)).doesNotContainAnyElementsOf(pids);
    assertThat(counter(restarted, "workers-adopted")).isZero();
    await().atMost(PROMPTLY).until(() -> pids.stream().noneMatch(WarmWorkersTest::alive)); // stale: shut down
  }

  @Test
  void theShutdownHook_isThereOnlyWhileWorkersAreKept() throws Exception {
    WarmWorkers.RESERVE.stopAll(); // what other engines of this JVM kept would keep the hook
    Engine first = open(b -> b.workers(1));
    workerPids(first, 1);
    first.close();
    assertThat(WarmWorkers.RESERVE.hookRegistered()).isTrue();

    Engine second = open(b -> b.workers(1));
    assertThat(counter(second, "workers-adopted")).isEqualTo(1);
    assertThat(WarmWorkers.RESERVE.hookRegistered()).isFalse();
    second.close();
    assertThat(WarmWorkers.RESERVE.hookRegistered()).isTrue();
  }

  @Test
  void anEngineClosedWhileTheJvmShutsDown_stopsItsWorkers() throws Exception {
    Process app = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
        System.getProperty("java.class.path"), ShutdownCloseMain.class.getName(), dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("app.log").toFile()).start();
    try {
      assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(java.nio.file.Files.readString(dir.resolve("outcome"))).isEqualTo("closed");
      long worker = Long.parseLong(java.nio.file.Files.readString(dir.resolve("pid")));
      seen.add(worker);
      await().atMost(PROMPTLY).until(() -> !alive(worker));
    } finally {
      app.destroyForcibly();
    }
  }

  @Test
  void maxTasksPerWorker_countsTheTasksOfEveryEngine() throws Exception {
    UnaryOperator<EngineConfig.Builder> recycling = b -> b.workers(1).option("gearbox.process.max-tasks-per-worker", "3");
    Engine first = open(recycling);
    get(first.submit(FaultTasks.pid()));
    get(first.submit(FaultTasks.pid()));
    Set<Long> pids = workerPids(first, 1); // two tasks run: kept warm
    first.close();

    Engine second = open(recycling);
    assertThat(get(second.submit(FaultTasks.pid()))).isIn(pids); // its third and last
    await().atMost(PROMPTLY).until(() -> pids.stream().noneMatch(WarmWorkersTest::alive));
    second.close();

    Engine third = open(b -> b.workers(1).option("gearbox.process.max-tasks-per-worker", "2"));
    Set<Long> thirds = workerPids(third, 1);
    get(third.submit(FaultTasks.pid()));
    third.close(); // one task run: kept warm
    Engine stricter = open(b -> b.workers(1).option("gearbox.process.max-tasks-per-worker", "1"));
    assertThat(workerPids(stricter, 1)).doesNotContainAnyElementsOf(thirds); // already due under its limit
    assertThat(counter(stricter, "workers-adopted")).isZero();
    await().atMost(PROMPTLY).until(() -> thirds.stream().noneMatch(WarmWorkersTest::alive));
  }

  /** An engine configured by {@code other} does not take the workers one configured by {@code first} left warm. */
  private void assertNotTaken(UnaryOperator<EngineConfig.Builder> first, UnaryOperator<EngineConfig.Builder> other) {
    Engine a = open(first);
    Set<Long> pids = workerPids(a, 2);
    a.close();

    Engine b = open(other);
    assertThat(workerPids(b, 2)).doesNotContainAnyElementsOf(pids);
    assertThat(counter(b, "workers-adopted")).isZero();
    assertThat(pids).allMatch(WarmWorkersTest::alive); // still kept for an engine like the first
  }

  @Test
  void warmWorkers_stopWhenTheirKeepWarmIsUp() throws Exception {
    Engine first = open(b -> b.option("gearbox.process.keep-warm", "500ms"));
    Set<Long> pids = workerPids(first, 2);
    first.close();
    await().atMost(PROMPTLY).until(() -> pids.stream().noneMatch(WarmWorkersTest::alive));

    Engine second = open(b -> b);
    assertThat(counter(second, "workers-adopted")).isZero();
  }

  @Test
  void keepWarmZero_stopsTheWorkersAtClose() throws Exception {
    Engine first = open(b -> b.option("gearbox.process.keep-warm", "0"));
    Set<Long> pids = workerPids(first, 2);
    first.close();
    assertThat(pids).noneMatch(WarmWorkersTest::alive); // close waits for them
  }

  @Test
  void shutdownNow_parksNothing() throws Exception {
    Engine first = open(b -> b);
    Set<Long> pids = workerPids(first, 2);
    first.shutdownNow();
    first.close();
    assertThat(pids).noneMatch(WarmWorkersTest::alive);

    Engine second = open(b -> b);
    assertThat(counter(second, "workers-adopted")).isZero();
  }

  @Test
  void aWorkerThatCrashed_orWasRecycled_isNeverTaken() throws Exception {
    Engine first = open(b -> b.workers(1).option("gearbox.process.max-tasks-per-worker", "2"));
    long crashed = get(first.submit(FaultTasks.pid()));
    seen.add(crashed);
    assertThatThrownBy(() -> get(first.submit(FaultTasks.exitWith(7)))).isInstanceOf(ExecutionException.class);
    long recycled = get(first.submit(FaultTasks.pid()));
    seen.add(recycled);
    get(first.submit(FaultTasks.pid())); // its second task: due for recycling
    await().atMost(PROMPTLY).until(() -> !alive(recycled) && workerPids(first, 1).size() == 1);
    Set<Long> left = workerPids(first, 1); // its replacement, healthy
    first.close();

    Engine second = open(b -> b.workers(2));
    Set<Long> now = workerPids(second, 2);
    assertThat(now).doesNotContain(crashed, recycled).containsAll(left);
    assertThat(counter(second, "workers-adopted")).isEqualTo(1);
    assertThat(alive(crashed)).isFalse();
  }

  @Test
  void aCrashUnderTheNextEngine_doesNotQuoteWhatTheWorkerPrintedForTheFirst() throws Exception {
    List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    WorkerOutput.LineLog original = WorkerOutput.lineLog;
    WorkerOutput.lineLog = (worker, line, isErr) -> {
      lines.add(line);
      original.log(worker, line, isErr);
    };
    try {
      Engine first = open(b -> b.workers(1));
      Task<String> print = () -> {
        System.err.println("printed-for-the-first-engine");
        return "printed";
      };
      assertThat(get(first.submit(print))).isEqualTo("printed");
      await().atMost(PROMPTLY).until(() -> lines.stream().anyMatch(l -> l.endsWith("printed-for-the-first-engine")));
      Set<Long> pids = workerPids(first, 1);
      first.close();

      Engine second = open(b -> b.workers(1));
      assertThat(workerPids(second, 1)).isEqualTo(pids);
      Task<String> crash = () -> {
        System.err.println("printed-for-the-second-engine");
        System.err.flush();
        Runtime.getRuntime().halt(7);
        return "unreachable";
      };
      assertThatThrownBy(() -> get(second.submit(crash))).isInstanceOf(ExecutionException.class)
          .cause().hasMessageContaining("printed-for-the-second-engine")
          .hasMessageNotContaining("printed-for-the-first-engine");
    } finally {
      WorkerOutput.lineLog = original;
    }
  }

  /** Where a task keeps a channel handle it was given, in the worker's JVM, past its end. */
  static final class KeptHandle {
    static volatile Channel<Integer> kept;

    private KeptHandle() {}
  }

  @Test
  void aChannelOfTheFirstEngine_cannotBeReachedFromTheNextOnesTasks() throws Exception {
    Engine first = open(b -> b.workers(1));
    Channel<Integer> ch = Channel.bounded("first-engine", 4);
    Task<Integer> keep = () -> {
      KeptHandle.kept = ch;
      ch.send(1);
      return 1;
    };
    assertThat(get(first.submit(keep))).isEqualTo(1);
    Set<Long> pids = workerPids(first, 1);
    first.close();

    Engine second = open(b -> b.workers(1));
    assertThat(workerPids(second, 1)).isEqualTo(pids);
    Task<String> reuse = () -> {
      try {
        KeptHandle.kept.trySend(2);
        return "sent";
      } catch (IllegalStateException e) {
        return "refused: " + e.getMessage();
      }
    };
    assertThat(get(second.submit(reuse))).startsWith("refused: ").contains("has ended");
    assertThat(ch.tryReceive()).contains(1);
    assertThat(ch.tryReceive()).isEmpty();
  }

  @Test
  void keepWarm_outOfRange_failsAtOpenNamingTheKey() {
    assertThatThrownBy(() -> open(b -> b.option("gearbox.process.keep-warm", "2h")))
        .isInstanceOfSatisfying(EngineConfigException.class, e -> assertThat(e.key()).isEqualTo(ProcessBackendProvider.KEEP_WARM))
        .hasMessageContaining("gearbox.process.keep-warm");
  }
}
