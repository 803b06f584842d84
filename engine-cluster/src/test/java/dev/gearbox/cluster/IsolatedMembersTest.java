package dev.gearbox.cluster;

import static dev.gearbox.testkit.ContractTasks.blockUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.PoisonTaskException;
import dev.gearbox.RetryPolicy;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.testkit.ContractTasks;
import dev.gearbox.testkit.Signals;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Worker member JVMs with {@code --isolation=process}: each task runs in a worker JVM of the
 * member's own pool, so a task that ignores its interrupt, or takes down its JVM, ends alone while
 * the member and its other tasks go on. The class's member gives its own stop ladder a long grace,
 * so that only the engine's {@code kill=task} rung can kill within the times asserted here. Every
 * member and engine started here is stopped after its test or class, workers included.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IsolatedMembersTest {
  private static final Duration DONE = Duration.ofSeconds(60);
  /** How long something that must not happen is watched for not happening. */
  private static final Duration STILL = Duration.ofMillis(500);
  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static final Duration GRACE = Duration.ofMillis(300);
  /** What a kill may take beyond timeout + grace: a request to the member, SIGKILL, the exit seen. */
  private static final Duration DELIVERY = Duration.ofSeconds(3);
  private static final String CLUSTER = "gearbox-isolated-" + Long.toHexString(System.nanoTime());
  private static MemberJvm member;

  @TempDir
  Path dir;

  private final List<Engine> engines = new ArrayList<>();
  private final List<MemberJvm> ownMembers = new ArrayList<>();

  @BeforeAll
  static void startMember() throws Exception {
    member = MemberJvm.startAlone("worker-i", CLUSTER, MemberJvm.testClasspath(), 3, "-Dgearbox.cancel.grace=60s",
        "--isolation=process");
  }

  @AfterAll
  static void stopMember() {
    if (member != null) {
      member.close();
    }
  }

  @AfterEach
  void stopEverything() throws InterruptedException {
    Signals.raise(dir.toString(), "release");
    try {
      for (Engine e : engines) {
        e.shutdownNow();
        e.close();
      }
    } finally {
      ownMembers.forEach(MemberJvm::close);
    }
  }

  private Engine open(String name, MemberJvm m, String... options) {
    EngineConfig.Builder b = EngineConfig.newBuilder().backend("cluster").name(name).cancelGrace(GRACE)
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.cluster-name", m == member ? CLUSTER : "gearbox-own-" + m.name)
        .option("gearbox.cluster.members", m.address())
        .option("gearbox.cluster.member-timeout", "3s");
    for (int i = 0; i < options.length; i += 2) {
      b.option(options[i], options[i + 1]);
    }
    Engine e = Engine.open(b.build());
    engines.add(e);
    return e;
  }

  private MemberJvm startOwnMember(String name, String classpath, String... options) throws Exception {
    int port = MemberJvm.freePort();
    List<String> all = new ArrayList<>(List.of("--cluster-name=gearbox-own-" + name, "--members=127.0.0.1:" + port,
        "--slots=2", "--member-timeout=3s"));
    all.addAll(List.of(options));
    MemberJvm m = MemberJvm.start(dir, name, port, classpath, all.toArray(String[]::new));
    ownMembers.add(m);
    return m;
  }

  private static long count(Engine e, String suffix) {
    return e.metrics().counter("gearbox." + e.name() + "." + suffix).getCount();
  }

  private long pidOf(int k) {
    await().atMost(DONE).until(() -> !Signals.lines(dir.toString(), "pid-" + k).isEmpty());
    return Long.parseLong(Signals.lines(dir.toString(), "pid-" + k).get(0));
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** The pid of the member's JVM that is the parent of {@code pid}: the task ran in one of the member's workers. */
  private static long parentOf(long pid) {
    return ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
  }

  @Test
  void killTask_aTaskIgnoringItsInterrupt_hasItsWorkerKilledWithinTimeoutPlusGrace_whileTheMemberAndItsOtherTasksGoOn()
      throws Exception {
    Engine engine = open("kill-task", member, "gearbox.cluster.kill", "task", "gearbox.timeout.strict", "true");
    assertThat(engine.capabilities().canKill()).isTrue();
    String d = dir.toString();
    TaskFuture<Integer> other1 = engine.submit(blockUntil(d, 1));
    TaskFuture<Integer> other2 = engine.submit(blockUntil(d, 2));
    await().atMost(DONE).until(() -> Signals.isRaised(d, "started-1") && Signals.isRaised(d, "started-2"));
    // The member's third worker (perhaps a replacement still starting after an earlier test's
    // crash) runs a task first: the hung task's deadline runs from its send, so it must not wait
    // for that worker's start.
    assertThat(engine.submit(ContractTasks.value(5)).get(DONE.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(5);

    long submitted = System.nanoTime();
    TaskFuture<Object> hung = engine.submit(MemberTasks.ignoreInterruptsSayingWhere(d, 3),
        TaskOptions.newBuilder().timeout(TIMEOUT).build());
    long worker = pidOf(3);
    assertThat(parentOf(worker)).as("the task runs in a worker process of the member").isEqualTo(member.pid());
    assertThat(catchThrowable(() -> hung.get(DONE.toMillis(), TimeUnit.MILLISECONDS)).getCause())
        .isInstanceOf(TaskTimeoutException.class);
    await().atMost(TIMEOUT.plus(GRACE).plus(DELIVERY).minusNanos(System.nanoTime() - submitted))
        .until(() -> !alive(worker));
    await().atMost(DONE).until(() -> count(engine, "running") == 2); // its slot is free; the others still run

    assertThat(member.isAlive()).isTrue();
    Signals.raise(d, "release-1");
    Signals.raise(d, "release-2");
    assertThat(other1.get(DONE.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
    assertThat(other2.get(DONE.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(2);
    // Released now, the hung task would finish within milliseconds if it still ran anywhere: it must not.
    Signals.raise(d, "release");
    await().during(STILL).atMost(STILL.multipliedBy(4)).until(() -> !Signals.isRaised(d, "finished-3"));
    String next = engine.submit(MemberTasks.whereAmI(4, 0)).get(DONE.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(parentOf(Long.parseLong(next.substring(next.indexOf(':') + 1)))).isEqualTo(member.pid());
    assertThat(count(engine, "cluster.members-left")).isZero();
    assertThat(member.output()).contains("task " + hung.taskName() + " did not stop within gearbox.cancel.grace");
  }

  @Test
  void aTaskThatHaltsItsJvm_failsAloneNamingItsWorkerAndMember_andTheNextTaskRuns() throws Exception {
    Engine engine = open("halt", member);
    String d = dir.toString();
    TaskFuture<Integer> other = engine.submit(blockUntil(d, 1));
    await().atMost(DONE).until(() -> Signals.isRaised(d, "started-1"));

    TaskFuture<String> halts = engine.submit(MemberTasks.haltTheMember());
    Throwable t = catchThrowable(() -> halts.get(DONE.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(WorkerCrashedException.class)
        .hasMessageContaining("task " + halts.taskName())
        .hasMessageContaining("exited with code 3")
        .hasMessageContaining("on member worker-i at " + member.address());
    WorkerCrashedException crash = (WorkerCrashedException) t.getCause();
    assertThat(crash.worker()).matches("worker-\\d+ pid \\d+ on member worker-i at .*");
    assertThat(crash.exitCode()).hasValue(3);

    assertThat(member.isAlive()).isTrue();
    Signals.raise(d, "release-1");
    assertThat(other.get(DONE.toMillis(), TimeUnit.MILLISECONDS)).as("the member's other task").isEqualTo(1);
    assertThat(engine.submit(MemberTasks.whereAmI(2, 0)).get(DONE.toMillis(), TimeUnit.MILLISECONDS)).startsWith("2:");
    assertThat(count(engine, "cluster.members-left")).isZero();
  }

  @Test
  void aTaskThatKeepsHaltingItsWorker_isQuarantinedAsPoison_andItsMemberStays() throws Exception {
    Engine engine = open("poison", member, "gearbox.cluster.poison-threshold", "2");
    TaskOptions retry = TaskOptions.newBuilder().retry(RetryPolicy.newBuilder().maxAttempts(10)
        .backoff(Duration.ofMillis(50), 1, Duration.ofMillis(50)).build()).build();
    TaskFuture<String> f = engine.submit(MemberTasks.haltTheMember(), retry);
    Throwable t = catchThrowable(() -> f.get(DONE.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t.getCause()).isInstanceOf(PoisonTaskException.class).hasMessageContaining("2 times");
    assertThat(t.getCause().getCause()).isInstanceOf(WorkerCrashedException.class).hasMessageContaining("on member worker-i");
    assertThat(member.isAlive()).isTrue();
    assertThat(engine.submit(MemberTasks.whereAmI(1, 0)).get(DONE.toMillis(), TimeUnit.MILLISECONDS)).startsWith("1:");
  }

  @Test
  void withoutKillTask_theIsolatedMembersOwnLadder_killsATaskIgnoringItsInterruptAfterTheMembersGrace() throws Exception {
    MemberJvm own = startOwnMember("worker-g", MemberJvm.testClasspath(), "-Dgearbox.cancel.grace=300ms",
        "--isolation=process");
    own.awaitReady();
    Engine engine = open("member-ladder", own);
    assertThat(engine.capabilities().canKill()).isFalse();
    String d = dir.toString();
    long submitted = System.nanoTime();
    TaskFuture<Object> hung = engine.submit(MemberTasks.ignoreInterruptsSayingWhere(d, 1),
        TaskOptions.newBuilder().timeout(TIMEOUT).build());
    long worker = pidOf(1);
    assertThat(catchThrowable(() -> hung.get(DONE.toMillis(), TimeUnit.MILLISECONDS)).getCause())
        .isInstanceOf(TaskTimeoutException.class);
    await().atMost(TIMEOUT.plus(GRACE).plus(DELIVERY).minusNanos(System.nanoTime() - submitted))
        .until(() -> !alive(worker));
    await().atMost(DONE).until(() -> count(engine, "running") == 0);
    assertThat(own.isAlive()).isTrue();
  }

  @Test
  void killTask_givesNoTaskToAMemberWithoutIsolation_andOpenSaysHowToStartOne() throws Exception {
    MemberJvm plain = startOwnMember("worker-p", MemberJvm.testClasspath());
    plain.awaitReady();
    assertThat(plain.output()).contains("isolation none");
    assertThatThrownBy(() -> open("not-isolated", plain, "gearbox.cluster.kill", "task",
        "gearbox.cluster.startup-timeout", "3s"))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.cluster.min-members")
        .hasMessageContaining("--isolation=process");
  }

  @Test
  void isolationWithoutTheProcessBackendOnTheClasspath_failsAtStartNamingTheArtifact() throws Exception {
    String withoutProcess = Arrays.stream(MemberJvm.testClasspath().split(File.pathSeparator))
        .filter(e -> !e.replace('\\', '/').contains("engine-process"))
        .collect(Collectors.joining(File.pathSeparator));
    MemberJvm m = startOwnMember("worker-x", withoutProcess, "--isolation=process");
    assertThatThrownBy(m::awaitReady).hasMessageContaining("exited with 2")
        .hasMessageContaining(IsolatedTasks.PROCESS_ARTIFACT)
        .hasMessageContaining("gearbox.cluster.isolation");
  }

  @Test
  void killTask_isRefusedAtOpen_whereTheEnginesOwnMemberWouldRunTasksWithoutIsolation() {
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("cluster")
        .option("gearbox.cluster.kill", "task").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.cluster.kill=task needs gearbox.cluster.isolation=process");
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("cluster")
        .option("gearbox.cluster.mode", "member").option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.kill", "task").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.cluster.slots=0");
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("cluster")
        .option("gearbox.cluster.mode", "client").option("gearbox.cluster.isolation", "process").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.cluster.isolation=process does not apply to gearbox.cluster.mode=client");
  }

  @Test
  void anEmbeddedEngineWithIsolation_leavesNoWorkerProcessAfterClose() throws Exception {
    Engine engine = Engine.open(EngineConfig.newBuilder().backend("cluster").workers(2)
        .option("gearbox.cluster.isolation", "process").build());
    String where = engine.submit(MemberTasks.whereAmI(1, 0)).get(DONE.toMillis(), TimeUnit.MILLISECONDS);
    long worker = Long.parseLong(where.substring(where.indexOf(':') + 1));
    assertThat(worker).isNotEqualTo(ProcessHandle.current().pid());
    assertThat(parentOf(worker)).isEqualTo(ProcessHandle.current().pid());
    engine.close();
    assertThat(engine.awaitTermination(DONE)).isTrue();
    assertThat(alive(worker)).isFalse();
    assertThat(ProcessHandle.current().children().filter(p -> p.info().commandLine()
        .map(c -> c.contains("dev.gearbox.process.WorkerMain")).orElse(false)).toList()).as("worker processes left").isEmpty();
  }
}
