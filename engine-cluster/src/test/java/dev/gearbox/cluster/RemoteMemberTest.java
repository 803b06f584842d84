package dev.gearbox.cluster;

import static dev.gearbox.testkit.ContractTasks.pollCancellation;
import static dev.gearbox.testkit.ContractTasks.reportProgress;
import static dev.gearbox.testkit.ContractTasks.sleepUntilInterrupted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineException;
import dev.gearbox.EngineListener;
import dev.gearbox.RemoteTaskException;
import dev.gearbox.TaskEvent;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.TaskTimeoutException;
import dev.gearbox.testkit.ContractTasks;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import dev.gearbox.testkit.Signals;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * One worker member JVM whose classpath lacks this module's test classes (as a member started
 * without the application's jar would): the engine, a client, reaches tasks there with cancels,
 * timeouts and progress, and a task whose class the member lacks fails saying so.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RemoteMemberTest {
  private static final Duration PROMPTLY = Duration.ofSeconds(20);
  private static final String CLUSTER = "gearbox-remote-" + Long.toHexString(System.nanoTime());
  private static MemberJvm member;

  @TempDir
  Path dir;

  private Engine engine;

  @BeforeAll
  static void startMember() throws Exception {
    String withoutTestClasses = Arrays.stream(MemberJvm.testClasspath().split(File.pathSeparator))
        .filter(e -> !e.replace('\\', '/').endsWith("engine-cluster/target/test-classes"))
        .collect(Collectors.joining(File.pathSeparator));
    member = MemberJvm.startAlone("worker-r", CLUSTER, withoutTestClasses, 2);
  }

  @AfterAll
  static void stopMember() throws Exception {
    if (member != null) {
      member.close();
    }
  }

  @AfterEach
  void closeEngine() throws InterruptedException {
    Signals.raise(dir.toString(), "release");
    if (engine != null) {
      engine.shutdownNow();
      engine.close();
      assertThat(engine.awaitTermination(PROMPTLY)).isTrue();
    }
  }

  private Engine open() {
    engine = Engine.open(EngineConfig.newBuilder().backend("cluster").name("remote").cancelGrace(Duration.ofMillis(500))
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.cluster-name", CLUSTER)
        .option("gearbox.cluster.members", member.address())
        .build());
    return engine;
  }

  @Test
  void aTaskWhoseClassTheMemberLacks_failsNamingTheClassTheMemberAndTheFix() {
    Engine e = open();
    TaskFuture<Integer> f = e.submit(() -> 42); // a lambda of this test class: not on the member's classpath
    Throwable t = catchThrowable(() -> f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(EngineException.class)
        .hasMessageContaining("task " + f.taskName())
        .hasMessageContaining(RemoteMemberTest.class.getName())
        .hasMessageContaining("is not on the classpath of member worker-r")
        .hasMessageContaining("every member's classpath")
        .hasMessageContaining("WorkerMember");
  }

  @Test
  void aTaskWhoseClassTheMemberHas_runsThere_andItsExceptionArrivesAsItself() throws Exception {
    Engine e = open();
    assertThat(e.submit(ContractTasks.value(7)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(7);
    Throwable t = catchThrowable(() -> e.submit(ContractTasks.throwing("remote boom")).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t.getCause()).isInstanceOf(ContractFailure.class).hasMessage("remote boom");
  }

  @Test
  void aResultWhoseClassCannotInitializeOnTheEngine_failsTheTaskNamingTheClass() {
    Engine e = open();
    // The first read fails with ExceptionInInitializerError, every later one with NoClassDefFoundError.
    for (int i = 0; i < 2; i++) {
      TaskFuture<Object> f = e.submit(MemberSideTasks.returnsAMemberOnlyResult());
      Throwable t = catchThrowable(() -> f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
      assertThat(t).as("attempt %d", i).isInstanceOf(ExecutionException.class);
      assertThat(t.getCause()).isInstanceOf(EngineException.class)
          .hasMessageContaining("task " + f.taskName())
          .hasMessageContaining("could not be read back from member worker-r")
          .hasMessageContaining(MemberSideTasks.MemberOnlyResult.class.getName());
      assertThat(t.getCause().getCause()).isInstanceOf(LinkageError.class);
    }
  }

  @Test
  void anExceptionWhoseClassCannotInitializeOnTheEngine_arrivesAsItsDescription() {
    Engine e = open();
    Throwable t = catchThrowable(() -> e.submit(MemberSideTasks.throwsAMemberOnlyException())
        .get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(RemoteTaskException.class).hasMessageContaining("thrown on the member");
    assertThat(((RemoteTaskException) t.getCause()).originalClassName()).isEqualTo(MemberSideTasks.MemberOnlyException.class.getName());
  }

  /** The engine's client stopped by something else than the engine (the application, or Hazelcast itself). */
  @Test
  void theClientStoppedUnderTheEngine_failsItsTasksSayingSo_andLaterTasksAreRefused() {
    Engine e = open();
    String d = dir.toString();
    TaskFuture<Integer> running = e.submit(ContractTasks.blockUntil(d, 1));
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(d, "started-1"));
    HazelcastClient.getAllHazelcastClients().stream().filter(c -> c.getName().contains(CLUSTER))
        .forEach(HazelcastInstance::shutdown);
    Throwable t = catchThrowable(() -> running.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(EngineException.class)
        .hasMessageContaining("task " + running.taskName())
        .hasMessageContaining("the Hazelcast client of cluster '" + CLUSTER + "' shut down")
        .hasMessageContaining("not by the engine's close()");
    Throwable later = catchThrowable(() -> e.submit(ContractTasks.value(1)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(later).isInstanceOf(ExecutionException.class);
    assertThat(later.getCause()).isInstanceOf(EngineException.class).hasMessageContaining("client of cluster '" + CLUSTER
        + "' shut down");
  }

  @Test
  void cancel_interruptsTheTaskOnTheMember_andFreesItsSlotWhenItReturns() {
    Engine e = open();
    TaskFuture<Object> f = e.submit(sleepUntilInterrupted(dir.toString(), 1));
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(dir.toString(), "started-1"));
    assertThat(f.cancel(true)).isTrue();
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(dir.toString(), "interrupted-1"));
    await().atMost(PROMPTLY).until(() -> e.metrics().counter("gearbox.remote.running").getCount() == 0);
  }

  @Test
  void cancelWithoutInterrupt_setsTheCooperativeFlagOnTheMember() {
    Engine e = open();
    TaskFuture<Object> f = e.submit(pollCancellation(dir.toString(), 1));
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(dir.toString(), "started-1"));
    f.cancel(false);
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(dir.toString(), "saw-cancel-1"));
  }

  @Test
  void timeout_failsAtTheDeadlineAndInterruptsTheTaskOnTheMember() {
    Engine e = open();
    TaskFuture<Object> f = e.submit(sleepUntilInterrupted(dir.toString(), 1), TaskOptions.newBuilder().timeout(Duration.ofSeconds(1)).build());
    Throwable t = catchThrowable(() -> f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(t.getCause()).isInstanceOf(TaskTimeoutException.class);
    await().atMost(PROMPTLY).until(() -> Signals.isRaised(dir.toString(), "interrupted-1"));
  }

  @Test
  void progress_travelsFromTheMemberToListenersInOrder() throws Exception {
    Engine e = open();
    List<String> progress = new CopyOnWriteArrayList<>();
    e.addListener(new EngineListener() {
      @Override
      public void taskProgress(TaskEvent event, double fraction, String message) {
        progress.add(fraction + " " + message);
      }
    });
    assertThat(e.submit(reportProgress()).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("ok");
    await().atMost(PROMPTLY).until(() -> progress.size() == 2);
    assertThat(progress).containsExactly("0.5 half", "1.0 done");
  }
}
