package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.impl.clientside.HazelcastClientProxy;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineListener;
import dev.gearbox.PoisonTaskException;
import dev.gearbox.RetryPolicy;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import dev.gearbox.testkit.ContractTasks;
import dev.gearbox.testkit.Signals;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.WorkerEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two worker member JVMs on loopback and a submitting engine (client, or lite member): tasks spread
 * across both; one member SIGKILLed mid-run. Every process started here is stopped after each test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterMembersTest {
  private static final Duration DONE = Duration.ofSeconds(60);
  /** How long something that must not happen is watched for not happening. */
  private static final Duration STILL = Duration.ofMillis(500);

  @TempDir
  Path dir;

  private final List<MemberJvm> members = new ArrayList<>();
  private final List<Engine> engines = new ArrayList<>();
  private final String clusterName = "gearbox-test-" + Long.toHexString(System.nanoTime());

  @AfterEach
  void stopEverything() throws InterruptedException {
    try {
      for (Engine e : engines) {
        e.shutdownNow();
        e.close();
      }
    } finally {
      for (MemberJvm m : members) {
        m.close();
      }
    }
  }

  /**
   * Starts two members, the second joining the first at the port the first really bound (read
   * from its ready line, so a port taken in the meantime cannot split them), and waits until both are up.
   */
  private List<MemberJvm> twoMembers() throws Exception {
    MemberJvm a = startMember("worker-a", List.of());
    MemberJvm b = startMember("worker-b", List.of(a));
    return List.of(a, b);
  }

  private MemberJvm startMember(String name, List<MemberJvm> others) throws Exception {
    int port = MemberJvm.freePort();
    String list = "--members=" + others.stream().map(MemberJvm::address).map(m -> m + ",").collect(Collectors.joining())
        + "127.0.0.1:" + port;
    MemberJvm m = MemberJvm.start(dir, name, port, MemberJvm.testClasspath(), list, "--cluster-name=" + clusterName,
        "--slots=2", "--member-timeout=3s");
    members.add(m);
    m.awaitReady();
    return m;
  }

  private Engine open(String name, List<MemberJvm> ms, String mode, String... options) {
    EngineConfig.Builder b = EngineConfig.newBuilder().backend("cluster").name(name).queueCapacity(10_000)
        .option("gearbox.cluster.mode", mode)
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.cluster-name", clusterName)
        .option("gearbox.cluster.members", ms.stream().map(MemberJvm::address).collect(Collectors.joining(",")))
        .option("gearbox.cluster.min-members", Integer.toString(ms.size()))
        .option("gearbox.cluster.member-timeout", "3s");
    for (int i = 0; i < options.length; i += 2) {
      b.option(options[i], options[i + 1]);
    }
    Engine e = Engine.open(b.build());
    engines.add(e);
    if (mode.equals("client")) {
      // Open waits until the client has a connection of its own to every member: before that, a task
      // meant for one member travels through another, and is reported lost with the wrong one if that dies.
      HazelcastClientProxy client = (HazelcastClientProxy) HazelcastClient.getAllHazelcastClients().stream()
          .filter(c -> c.getName().contains(clusterName + "-")).reduce((x, y) -> y).orElseThrow();
      for (var m : client.getCluster().getMembers()) {
        assertThat(client.client.getConnectionManager().getActiveConnection(m.getUuid())).as("connection to %s", m).isNotNull();
      }
    }
    return e;
  }

  private static long count(Engine e, String suffix) {
    return e.metrics().counter("gearbox." + e.name() + "." + suffix).getCount();
  }

  /** Submits n tasks, SIGKILLs {@code victim} once {@code killAfter} have completed, and returns the futures. */
  private List<TaskFuture<String>> runAndKill(Engine engine, int n, long micros, int killAfter, MemberJvm victim,
      TaskOptions options, ConcurrentHashMap<Long, AtomicInteger> completions) throws Exception {
    AtomicInteger done = new AtomicInteger();
    List<TaskFuture<String>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      TaskFuture<String> f = engine.submit(MemberTasks.whereAmI(i, micros), options);
      f.whenComplete((v, t) -> {
        completions.computeIfAbsent(f.taskId(), k -> new AtomicInteger()).incrementAndGet();
        done.incrementAndGet();
      });
      futures.add(f);
    }
    await().atMost(DONE).until(() -> done.get() >= killAfter);
    assertThat(done.get()).as("the kill lands mid-run").isLessThan(n);
    victim.kill();
    // Counted in the callback, not by isDone(): a future is done before its callbacks have run.
    await().atMost(DONE).until(() -> done.get() == n);
    return futures;
  }

  private static Set<String> pids(List<String> results) {
    return results.stream().map(r -> r.substring(r.indexOf(':') + 1)).collect(Collectors.toSet());
  }

  @Test
  void plainExecutor_memberKilledMidRun_lostTasksAreRetriedElsewhereAndEveryTaskSucceeds() throws Exception {
    List<MemberJvm> ms = twoMembers();
    Engine engine = open("plain-retry", ms, "client");
    assertThat(engine.parallelism()).isEqualTo(4); // 2 members x 2 slots
    List<WorkerEvent> crashed = new CopyOnWriteArrayList<>();
    engine.addListener(new EngineListener() {
      @Override
      public void workerCrashed(WorkerEvent event) {
        crashed.add(event);
      }
    });
    ConcurrentHashMap<Long, AtomicInteger> completions = new ConcurrentHashMap<>();
    TaskOptions retry = TaskOptions.newBuilder().retry(RetryPolicy.newBuilder().maxAttempts(5)
        .backoff(Duration.ofMillis(50), 2, Duration.ofMillis(500)).build()).build();
    int n = 2_000;
    List<TaskFuture<String>> futures = runAndKill(engine, n, 1_000, 400, ms.get(1), retry, completions);
    List<String> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String r = futures.get(i).get();
      assertThat(r).startsWith(i + ":");
      results.add(r);
    }
    assertThat(pids(results)).as("tasks ran on both members").contains(Long.toString(ms.get(0).pid()), Long.toString(ms.get(1).pid()));
    assertThat(completions).hasSize(n);
    assertThat(completions.values()).allMatch(c -> c.get() == 1);
    assertThat(count(engine, "retried")).as("tasks the killed member held were retried").isPositive();
    await().atMost(DONE).until(() -> crashed.stream().anyMatch(e -> e.worker().contains("worker-b")));
    assertThat(count(engine, "cluster.members-left")).isEqualTo(1);
    assertThat(count(engine, "cluster.member-tasks.worker-a")).isPositive();
    assertThat(count(engine, "cluster.member-tasks.worker-b")).isPositive();
  }

  @Test
  void plainExecutor_withoutRetries_lostTasksFailNamingTheTaskAndTheMember() throws Exception {
    List<MemberJvm> ms = twoMembers();
    Engine engine = open("plain-noretry", ms, "client");
    ConcurrentHashMap<Long, AtomicInteger> completions = new ConcurrentHashMap<>();
    int n = 600;
    List<TaskFuture<String>> futures = runAndKill(engine, n, 3_000, 100, ms.get(1), TaskOptions.defaults(), completions);
    int failed = 0;
    for (TaskFuture<String> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        failed++;
        assertThat(e.getCause()).isInstanceOf(WorkerCrashedException.class)
            .hasMessageContaining("task " + f.taskName())
            .hasMessageContaining("worker-b")
            .hasMessageContaining("left the cluster");
        assertThat(((WorkerCrashedException) e.getCause()).worker()).contains("worker-b").contains(ms.get(1).address());
      }
    }
    assertThat(failed).as("the killed member held tasks").isPositive().isLessThanOrEqualTo(4);
    assertThat(completions).hasSize(n);
    assertThat(count(engine, "cluster.tasks-lost")).isEqualTo(failed);
  }

  @Test
  void durableExecutor_memberKilledMidRun_everyTaskCompletesWithoutRetries() throws Exception {
    List<MemberJvm> ms = twoMembers();
    // The engine joins as a lite member (slots=0): it submits, holds no partitions, runs nothing.
    Engine engine = open("durable", ms, "member", "gearbox.cluster.executor", "durable", "gearbox.cluster.slots", "0",
        "gearbox.cluster.port", Integer.toString(MemberJvm.freePort()));
    ConcurrentHashMap<Long, AtomicInteger> completions = new ConcurrentHashMap<>();
    int n = 600;
    List<TaskFuture<String>> futures = runAndKill(engine, n, 3_000, 100, ms.get(1), TaskOptions.defaults(), completions);
    List<String> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String r = futures.get(i).get();
      assertThat(r).startsWith(i + ":");
      results.add(r);
    }
    assertThat(pids(results)).contains(Long.toString(ms.get(0).pid()), Long.toString(ms.get(1).pid()));
    assertThat(count(engine, "retried")).isZero();
    assertThat(completions.values()).allMatch(c -> c.get() == 1);
  }

  @Test
  void aTaskThatKeepsTakingDownItsMember_isQuarantinedAsPoison_insteadOfRetriedUntilNoMemberIsLeft() throws Exception {
    List<MemberJvm> ms = twoMembers();
    Engine engine = open("poison", ms, "client", "gearbox.cluster.poison-threshold", "2");
    TaskOptions retry = TaskOptions.newBuilder().retry(RetryPolicy.newBuilder().maxAttempts(10)
        .backoff(Duration.ofMillis(50), 1, Duration.ofMillis(50)).build()).build();
    TaskFuture<String> f = engine.submit(MemberTasks.haltTheMember(), retry);
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> f.get(DONE.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(PoisonTaskException.class)
        .hasMessageContaining("task " + f.taskName())
        .hasMessageContaining("2 times");
    assertThat(t.getCause().getCause()).isInstanceOf(WorkerCrashedException.class).hasMessageContaining("worker-");
    await().atMost(DONE).until(() -> ms.stream().noneMatch(MemberJvm::isAlive)); // each attempt took one member down
  }

  @Test
  void killMember_aTaskIgnoringItsInterruptPastTheGrace_getsItsMemberHalted_andWorkGoesOnElsewhere() throws Exception {
    List<MemberJvm> ms = twoMembers();
    Engine engine = open("kill", ms, "client", "gearbox.cluster.kill", "member", "gearbox.timeout.strict", "true",
        "gearbox.cancel.grace", "300ms");
    assertThat(engine.capabilities().canKill()).isTrue();
    String d = dir.toString();
    TaskFuture<Object> f = engine.submit(ContractTasks.ignoreInterruptsUntilReleased(d, 1),
        TaskOptions.newBuilder().timeout(Duration.ofSeconds(1)).build()); // runs from the send: covers the hop
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> f.get(DONE.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t.getCause()).isInstanceOf(TaskTimeoutException.class);
    await().atMost(DONE).until(() -> ms.stream().filter(m -> !m.isAlive()).count() == 1);
    MemberJvm halted = ms.stream().filter(m -> !m.isAlive()).findFirst().orElseThrow();
    MemberJvm survivor = ms.stream().filter(MemberJvm::isAlive).findFirst().orElseThrow();
    assertThat(halted.output()).contains("halting this member: task " + f.taskName());
    await().atMost(DONE).until(() -> count(engine, "running") == 0);
    // Released now, the task would finish within milliseconds wherever it still ran: it must not.
    Signals.raise(d, "release");
    await().during(STILL).atMost(STILL.multipliedBy(4)).until(() -> !Signals.isRaised(d, "finished-1"));
    assertThat(engine.submit(MemberTasks.whereAmI(1, 0)).get(DONE.toMillis(), TimeUnit.MILLISECONDS))
        .isEqualTo("1:" + survivor.pid());
  }
}
