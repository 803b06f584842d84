package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.Gauge;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.RemoteTaskException;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.testkit.ContractTasks;
import dev.gearbox.testkit.Signals;
import java.io.NotSerializableException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default in this JVM: what crosses the member boundary, configuration errors, lifecycle. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterBackendTest {
  private static final Duration PROMPTLY = Duration.ofSeconds(20);
  /** How long a child JVM that opens an engine, runs a task and returns from main may take to exit. */
  private static final Duration CHILD_EXIT = Duration.ofSeconds(30);
  private final List<Engine> engines = new ArrayList<>();

  @TempDir
  Path dir;

  /** Stops every engine without waiting for tasks, so a test that left a future pending fails instead of hanging here. */
  @AfterEach
  void close() throws InterruptedException {
    for (Engine e : engines) {
      e.shutdownNow();
      e.close();
    }
  }

  private Engine open(UnaryOperator<EngineConfig.Builder> customize) {
    Engine e = Engine.open(customize.apply(EngineConfig.newBuilder().backend("cluster").workers(2)).build());
    engines.add(e);
    return e;
  }

  private static Throwable failureOf(java.util.concurrent.Future<?> f) {
    Throwable t = catchThrowable(() -> f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    return t.getCause();
  }

  /** An exception whose class cannot be serialized (it holds a thread). */
  static final class HoldsAThread extends RuntimeException {
    private static final long serialVersionUID = 1L;
    @SuppressWarnings({"serial", "unused"})
    private final Thread thread = new Thread(() -> {});

    HoldsAThread(String message) {
      super(message);
    }
  }

  @Test
  void aTaskCapturingSomethingNotSerializable_isRejectedAtSubmit_namingTheClass() {
    Engine engine = open(b -> b);
    Thread captured = new Thread(() -> {});
    assertThatThrownBy(() -> engine.submit(() -> captured.getName()))
        .isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("java.lang.Thread")
        .hasMessageContaining("cluster member");
  }

  @Test
  void aResultThatCannotBeSerialized_failsTheTaskNamingTheClass() {
    Engine engine = open(b -> b);
    Task<Object> makesAThread = () -> new Thread(() -> {});
    assertThat(failureOf(engine.submit(makesAThread))).isInstanceOf(NotSerializableException.class).hasMessageContaining("java.lang.Thread");
  }

  @Test
  void anExceptionThatCannotTravel_arrivesWithItsClassNameMessageAndStack() {
    Engine engine = open(b -> b);
    Task<Object> throwsIt = () -> {
      throw new HoldsAThread("cannot travel");
    };
    Throwable t = failureOf(engine.submit(throwsIt));
    assertThat(t).isInstanceOf(RemoteTaskException.class).hasMessageContaining(HoldsAThread.class.getName()).hasMessageContaining("cannot travel");
    assertThat(((RemoteTaskException) t).originalClassName()).isEqualTo(HoldsAThread.class.getName());
    assertThat(t.getStackTrace()).isNotEmpty();
  }

  /**
   * Even with the same cluster name, two embedded engines on one machine stay two standalone
   * members: embedded mode joins no one (no TCP/IP list, multicast or auto-detection). Were a
   * join method on, the second member would find the first at start and they would form one
   * cluster of two.
   */
  @Test
  void twoEmbeddedEngines_withTheSameClusterName_stayTwoStandaloneMembers() throws Exception {
    String cluster = "gearbox-same-name-" + Long.toHexString(System.nanoTime());
    Engine a = open(b -> b.name("embedded-a").option("gearbox.cluster.cluster-name", cluster));
    Engine b2 = open(b -> b.name("embedded-b").option("gearbox.cluster.cluster-name", cluster));
    assertThat(a.submit(() -> 1).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
    assertThat(b2.submit(() -> 2).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(2);
    List<HazelcastInstance> instances = Hazelcast.getAllHazelcastInstances().stream()
        .filter(hz -> hz.getConfig().getClusterName().equals(cluster)).toList();
    assertThat(instances).hasSize(2);
    for (HazelcastInstance hz : instances) {
      assertThat(hz.getCluster().getMembers()).as("members seen by %s", hz.getName()).hasSize(1);
    }
    for (Engine e : List.of(a, b2)) {
      Gauge<?> members = e.metrics().getGauges().get("gearbox." + e.name() + ".cluster.members");
      assertThat(members.getValue()).isEqualTo(1);
      assertThat(e.metrics().timer("gearbox." + e.name() + ".cluster.instance-startup").getCount()).isEqualTo(1);
      assertThat(e.parallelism()).isEqualTo(2);
    }
  }

  /** The engine's member stopped by something else than the engine (here terminated; Hazelcast does it on fatal errors). */
  @Test
  void durable_afterTheMemberStopsUnderTheEngine_tasksFailInsteadOfHanging() throws Exception {
    String cluster = "gearbox-stopped-" + Long.toHexString(System.nanoTime());
    Engine engine = open(b -> b.name("stopped-under").option("gearbox.cluster.cluster-name", cluster)
        .option("gearbox.cluster.executor", "durable"));
    assertThat(engine.submit(() -> 1).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
    Hazelcast.getAllHazelcastInstances().stream().filter(hz -> hz.getConfig().getClusterName().equals(cluster))
        .forEach(hz -> hz.getLifecycleService().terminate());
    Throwable t = failureOf(engine.submit(() -> 2));
    assertThat(t).isInstanceOf(EngineException.class).hasMessageContaining("shut down");
    await().atMost(PROMPTLY).until(() -> engine.metrics().counter("gearbox.stopped-under.running").getCount() == 0);
  }

  /**
   * The engine's own member applies the cancel before {@code cancel} returns. Its control
   * executor is kept busy here, so a cancel queued there (as a remote member's is) would arrive
   * only after the slot freed and the task started.
   */
  @Test
  void cancelWithoutInterrupt_ofAnAttemptWaitingForASlot_keepsItFromEverStarting() throws Exception {
    String d = dir.toString();
    String cluster = "gearbox-parked-cancel-" + Long.toHexString(System.nanoTime());
    // One slot on the member, two attempts let through by the core: the second waits in the member's queue.
    Engine engine = open(b -> b.name("parked-cancel").option("gearbox.cluster.cluster-name", cluster)
        .option("gearbox.cluster.slots", "1").option("gearbox.cluster.parallelism", "2"));
    HazelcastInstance hz = Hazelcast.getAllHazelcastInstances().stream()
        .filter(h -> h.getConfig().getClusterName().equals(cluster)).findFirst().orElseThrow();
    try {
      // The control executor's two threads, taken on the member's own execution service (a task
      // sent through the executor would have to pass the member's serialization allow-list).
      com.hazelcast.spi.impl.executionservice.ExecutionService executors =
          ((com.hazelcast.instance.impl.HazelcastInstanceProxy) hz).getOriginal().node.getNodeEngine().getExecutionService();
      for (int i = 1; i <= 2; i++) {
        int n = i;
        executors.execute(ClusterConfig.CONTROL_EXECUTOR, () -> {
          Signals.raise(d, "control-held-" + n);
          Signals.awaitIgnoringInterrupts(d, "control-free");
        });
      }
      await().atMost(PROMPTLY).until(() -> Signals.isRaised(d, "control-held-1") && Signals.isRaised(d, "control-held-2"));
      TaskFuture<Integer> first = engine.submit(ContractTasks.blockUntil(d, 1));
      await().atMost(PROMPTLY).until(() -> Signals.isRaised(d, "started-1"));
      Task<String> second = () -> {
        Signals.raise(d, "started-2");
        return "ran";
      };
      TaskFuture<String> parked = engine.submit(second);
      await().atMost(PROMPTLY).until(() -> engine.snapshot().tasks().stream()
          .anyMatch(t -> t.id() == parked.taskId() && t.where() != null)); // placed on the member
      assertThat(parked.cancel(false)).isTrue();
      Signals.raise(d, "release-1");
      assertThat(first.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
      Gauge<?> running = engine.metrics().getGauges().get("gearbox.parked-cancel.in-flight");
      await().atMost(PROMPTLY).until(() -> running.getValue().equals(0));
      // The member's answer for the cancelled attempt came back once its slot freed: it did not run.
      await().atMost(PROMPTLY).until(() -> engine.metrics().counter("gearbox.parked-cancel.running").getCount() == 0);
      assertThat(Signals.isRaised(d, "started-2")).as("the cancelled task ran when the slot freed").isFalse();
    } finally {
      Signals.raise(d, "control-free");
    }
  }

  /** The embedded member stopped by something else than the engine (the application, or Hazelcast after a fatal error). */
  @Test
  void theMemberStoppedUnderTheEngine_failsRunningAndWaitingTasksSayingSo_andLaterTasksAreRefused() throws Exception {
    String d = dir.toString();
    String cluster = "gearbox-shut-under-" + Long.toHexString(System.nanoTime());
    Engine engine = open(b -> b.name("shut-under").option("gearbox.cluster.cluster-name", cluster)
        .option("gearbox.cluster.slots", "1").option("gearbox.cluster.parallelism", "2"));
    TaskFuture<Integer> running = engine.submit(ContractTasks.blockUntil(d, 1));
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(d, "started-1"));
    TaskFuture<Integer> waiting = engine.submit(ContractTasks.value(2)); // the one slot is busy: waits in the backend
    Gauge<?> inFlight = engine.metrics().getGauges().get("gearbox.shut-under.in-flight");
    await().atMost(PROMPTLY).until(() -> inFlight.getValue().equals(2));
    Hazelcast.getAllHazelcastInstances().stream().filter(hz -> hz.getConfig().getClusterName().equals(cluster))
        .forEach(HazelcastInstance::shutdown);
    for (TaskFuture<Integer> f : List.of(running, waiting)) {
      assertThat(failureOf(f)).isInstanceOf(EngineException.class)
          .hasMessageContaining("task " + f.taskName())
          .hasMessageContaining("the Hazelcast member of cluster '" + cluster + "' shut down")
          .hasMessageContaining("not by the engine's close()");
    }
    assertThat(failureOf(engine.submit(() -> 3))).isInstanceOf(EngineException.class)
        .hasMessageContaining("member of cluster '" + cluster + "' shut down");
  }

  /** A Serializable (not DataSerializable) task: Hazelcast would deserialize it with plain Java serialization. */
  static final class JavaSerializedProbe implements Callable<String>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public String call() {
      return "deserialized";
    }
  }

  /** Hazelcast's own Java deserialization, which the backend never needs for user classes, is filtered on the member. */
  @Test
  void theMembersJavaDeserialization_refusesClassesOutsideHazelcastsAndTheBackends() throws Exception {
    String cluster = "gearbox-filtered-" + Long.toHexString(System.nanoTime());
    Engine engine = open(b -> b.name("filtered").option("gearbox.cluster.cluster-name", cluster));
    assertThat(engine.submit(() -> 1).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
    HazelcastInstance hz = Hazelcast.getAllHazelcastInstances().stream()
        .filter(h -> h.getConfig().getClusterName().equals(cluster)).findFirst().orElseThrow();
    Throwable probe = catchThrowable(() -> hz.getExecutorService("probe").submit(new JavaSerializedProbe())
        .get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(probe).hasStackTraceContaining("Resolving class " + JavaSerializedProbe.class.getName() + " is not allowed");
    // A JDK class that gadget chains start from: allowed by Hazelcast's default java* prefix, denied by the backend.
    var map = hz.<String, Object>getMap("probe");
    map.put("gadget", new javax.management.BadAttributeValueExpException("x"));
    assertThat(catchThrowable(() -> map.get("gadget")))
        .hasStackTraceContaining("Resolving class javax.management.BadAttributeValueExpException is not allowed");
  }

  @Test
  void close_leavesNoHazelcastThread() throws Exception {
    Engine engine = open(b -> b.name("no-threads-left"));
    assertThat(engine.submit(() -> "ran").get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("ran");
    engine.close();
    assertThat(engine.awaitTermination(PROMPTLY)).isTrue();
    await().atMost(PROMPTLY).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && (t.getName().startsWith("hz.gearbox-") || t.getName().startsWith("gearbox-no-threads-left"))));
  }

  @Test
  void anEngineNeverClosed_doesNotKeepTheJvmAlive() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1"));
    String flags = System.getProperty("gearbox.test.member.flags", "").trim();
    if (!flags.isEmpty()) {
      cmd.addAll(List.of(flags.split("\\s+")));
    }
    cmd.add(UnclosedEngineMain.class.getName());
    Path out = dir.resolve("unclosed.log");
    Process app = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      // Wait first, read after: a JVM that does not exit (the regression) must fail the test, not hang it.
      boolean exited = app.waitFor(CHILD_EXIT.toMillis(), TimeUnit.MILLISECONDS);
      String output = Files.readString(out, StandardCharsets.UTF_8);
      assertThat(exited).as("the JVM exited; output:%n%s", output).isTrue();
      assertThat(output).contains("result 42");
      assertThat(app.exitValue()).isZero();
    } finally {
      app.descendants().forEach(ProcessHandle::destroyForcibly);
      app.destroyForcibly();
      app.waitFor(CHILD_EXIT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  // ---------------------------------------------------------------- configuration

  @Test
  void anUnknownMode_failsAtOpenNamingKeyValueAndTheAcceptedOnes() {
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.mode", "swarm")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.cluster.mode=swarm")
        .hasMessageContaining("embedded, member, client")
        .satisfies(e -> assertThat(((EngineConfigException) e).key()).isEqualTo("gearbox.cluster.mode"));
  }

  @Test
  void anUnknownExecutor_failsAtOpenNamingTheAcceptedOnes() {
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.executor", "fast")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.cluster.executor=fast")
        .hasMessageContaining("plain, durable");
  }

  @Test
  void malformedMembers_failAtOpenNamingTheBadPart() {
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.mode", "client").option("gearbox.cluster.members", "10.0.0.1:5701,nowhere")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.cluster.members=10.0.0.1:5701,nowhere")
        .hasMessageContaining("'nowhere'")
        .hasMessageContaining("host:port");
  }

  @Test
  void settingsThatDoNotApplyToTheMode_failAtOpenSayingWhy() {
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.members", "127.0.0.1:5701")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.members").hasMessageContaining("mode=member or client");
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.mode", "client").option("gearbox.cluster.slots", "4")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.slots").hasMessageContaining("client");
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.durable-capacity", "10")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.executor=durable");
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.kill", "member")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.kill=member")
        .hasMessageContaining("application's own JVM");
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.kill", "worker")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("none, member");
  }

  @Test
  void outOfRangeAndMalformedValues_failAtOpenNamingTheKey() {
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.slots", "0")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.slots=0").hasMessageContaining("from 1");
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.interface", "localhost")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.interface=localhost");
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.member-timeout", "soon")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.member-timeout");
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.serial-filter", "maxdepth=oops")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.cluster.serial-filter");
  }

  @Test
  void aClientWithNoClusterToJoin_failsAtOpenWithinTheStartupTimeout() {
    int nobody = MemberJvm.freePort();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> open(b -> b.option("gearbox.cluster.mode", "client").option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.members", "127.0.0.1:" + nobody).option("gearbox.cluster.startup-timeout", "2s")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("could not connect to cluster 'gearbox-cluster'")
        .hasMessageContaining("127.0.0.1:" + nobody)
        .hasMessageContaining("WorkerMember");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(PROMPTLY);
    await().atMost(PROMPTLY).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("hz.gearbox-client-")));
  }

  @Test
  void workerMember_ignoresEngineOnlyKeysOfTheSharedConfiguration_andTakesTheRest() {
    Map<String, String> shared = Map.of("gearbox.cluster.mode", "client", "gearbox.cluster.min-members", "3",
        "gearbox.cluster.cluster-name", "acme", "gearbox.cluster.slots", "4", "gearbox.process.workers", "2");
    Map<String, String> options = WorkerMember.memberOptions(shared, "--slots=6");
    assertThat(options).containsEntry("gearbox.cluster.mode", "member").containsEntry("gearbox.cluster.cluster-name", "acme")
        .containsEntry("gearbox.cluster.slots", "6").doesNotContainKeys("gearbox.cluster.min-members", "gearbox.process.workers");
    assertThatThrownBy(() -> WorkerMember.memberOptions(Map.of(), "--min-members=3"))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("--min-members").hasMessageContaining("engine setting");
    assertThatThrownBy(() -> WorkerMember.memberOptions(Map.of(), "--mode=client"))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("engine setting");
  }

  /** The README's three machines: the application's gearbox.properties, read by its members too, sets min-members. */
  @Test
  void workerMember_startsWithAnEngineOnlyKeyInTheSharedConfiguration() throws Exception {
    String key = "gearbox.cluster.min-members";
    assertThat(System.getProperty(key)).isNull();
    System.setProperty(key, "3");
    HazelcastInstance hz = null;
    try {
      int port = MemberJvm.freePort();
      hz = WorkerMember.start("--cluster-name=gearbox-shared-" + Long.toHexString(System.nanoTime()), "--port=" + port,
          "--members=127.0.0.1:" + port, "--slots=1", "--secret-file=" + MemberJvm.secretFile(MemberJvm.SECRET));
      assertThat(hz.getCluster().getMembers()).hasSize(1);
    } finally {
      System.clearProperty(key);
      if (hz != null) {
        hz.shutdown();
      }
    }
  }

  @Test
  void workerMember_unknownOrMisplacedOptions_failNamingThem() {
    assertThatThrownBy(() -> WorkerMember.start("--slotz=3"))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("--slotz").hasMessageContaining("--slots");
    assertThatThrownBy(() -> WorkerMember.start("--executor=durable"))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("engine setting");
    assertThatThrownBy(() -> WorkerMember.start("slots"))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("--key=value");
  }

  /** On a machine whose common pool has no parallelism, Hazelcast's callbacks run on reused threads, not a new one each. */
  @Test
  void onASmallMachine_hazelcastCallbacksReuseThreads() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() <= 1,
        "the common pool has parallelism here: Hazelcast uses it, and Gearbox leaves it alone");
    try (Engine e = open(b -> b)) {
      assertThat(e.submit(() -> 1).get()).isEqualTo(1);
      java.util.concurrent.Executor async = com.hazelcast.internal.util.ConcurrencyUtil.getDefaultAsyncExecutor();
      // 50 callbacks one after another: a thread per callback would name 50 threads; reused ones, a few.
      java.util.Set<String> names = new java.util.HashSet<>();
      for (int i = 0; i < 50; i++) {
        names.add(threadThatRuns(async));
      }
      assertThat(names).allMatch(n -> n.startsWith("gearbox-hazelcast-async-")).hasSizeLessThan(10);
    }
  }

  private static String threadThatRuns(java.util.concurrent.Executor executor) throws Exception {
    java.util.concurrent.CompletableFuture<String> name = new java.util.concurrent.CompletableFuture<>();
    executor.execute(() -> name.complete(Thread.currentThread().getName()));
    return name.get(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  /**
   * Prefetch: with every slot busy and more work waiting, the next attempt waits in the member's
   * queue, and its deadline starts when it starts there, not when it was sent.
   */
  @Test
  void aHeldAttempt_isSentAhead_andItsDeadlineStartsWhenItStarts() throws Exception {
    Engine e = open(b -> b.workers(1).option("gearbox.cluster.prefetch", "1"));
    String started = dir.resolve("a-started").toString();
    String release = dir.resolve("release").toString();
    TaskFuture<String> a = e.submit(() -> {
      Files.createFile(Path.of(started));
      while (!Files.exists(Path.of(release))) {
        Thread.sleep(5); // polls the test's release file
      }
      return "a";
    });
    await().atMost(PROMPTLY).until(() -> Files.exists(Path.of(started)));
    TaskFuture<String> b = e.submit(() -> "b", TaskOptions.newBuilder().timeout(Duration.ofSeconds(1)).build());
    TaskFuture<String> c = e.submit(() -> "c");
    await().atMost(PROMPTLY).until(() -> sentToMembers(e) == 2); // a runs, b is held on the member, c waits here
    // Held for twice its timeout, b stays pending: its deadline has not started.
    await().during(Duration.ofSeconds(2)).atMost(PROMPTLY).until(() -> !b.isDone());
    Files.createFile(Path.of(release));
    assertThat(a.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("a");
    assertThat(b.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("b");
    assertThat(c.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("c");
  }

  private static long sentToMembers(Engine e) {
    return e.metrics().getCounters().entrySet().stream().filter(en -> en.getKey().contains(".cluster.member-tasks."))
        .mapToLong(en -> en.getValue().getCount()).sum();
  }

  /** A result of hash sets nested in each other (a deserialization bomb) fails its task at once instead of holding an engine thread. */
  @Test
  void aResultOfSetsNestedInEachOther_failsAtOnce_insteadOfHoldingAnEngineThread() throws Exception {
    Engine e = open(b -> b);
    Throwable t = failureOf(e.submit(() -> (java.io.Serializable) SecureClusterTest.serialDos(100)));
    assertThat(t).isInstanceOf(EngineException.class);
    assertThat(e.submit(() -> 2).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).as("the engine goes on").isEqualTo(2);
  }
}
