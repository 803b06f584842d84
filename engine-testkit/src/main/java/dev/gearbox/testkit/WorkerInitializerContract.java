package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.gearbox.ContextTask;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.TaskFuture;
import dev.gearbox.WorkerInitializerException;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Per-worker initializers and state ({@code WorkerInitializer}, {@code TaskContext.workerState}):
 * the initializer runs once per worker, however many tasks run there (every backend's test runs two
 * workers at most); its state reaches tasks; configured by class name too; a failing one stops the
 * worker from starting with an error that names it and keeps its cause, and leaves no process behind.
 */
public interface WorkerInitializerContract extends ContractFixture {

  /** Tasks that need the state: enough that a per-task initializer could not hide. */
  int TASKS = 40;

  /**
   * Whether this backend's engine starts its workers, and so runs their initializers, at open.
   * False where the workers are started elsewhere (a cluster member the engine joins as a client, a
   * member's isolated worker processes): there the first task on a worker makes its state.
   */
  default boolean initializesWorkersAtOpen() {
    return true;
  }

  static ContextTask<String> stateOfItsWorker() {
    return ctx -> ctx.workerState(String.class);
  }

  @Test
  default void workerInitializer_runsOncePerWorker_andEveryTaskSeesItsWorkersState() throws Exception {
    Engine engine = open(b -> b.workerInitializer(ContractInitializers.counting(dir())));
    if (engine.capabilities().sharedMemory()) {
      assertThat(Signals.lines(dir(), "inits")).as("the engine's JVM is its one worker: made at open").hasSize(1);
    }
    List<TaskFuture<String>> futures = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      futures.add(engine.submit(stateOfItsWorker()));
    }
    Set<String> seen = new HashSet<>();
    for (TaskFuture<String> f : futures) {
      seen.add(get(f));
    }
    List<String> inits = Signals.lines(dir(), "inits");
    assertThat(inits).as("one run per worker, not per task").hasSizeBetween(1, 2).doesNotHaveDuplicates();
    assertThat(seen).as("the states the tasks saw").isNotEmpty().doesNotContainNull().isSubsetOf(inits);
  }

  @Test
  default void workerInitializer_namedByItsConfigurationKey_isMadeWithItsNoArgumentConstructor() throws Exception {
    Engine engine = open(b -> b.option(EngineConfig.WORKER_INITIALIZER, ContractInitializers.Named.class.getName()));
    assertThat(get(engine.submit(stateOfItsWorker()))).isEqualTo(ContractInitializers.Named.STATE);
  }

  @Test
  default void workerState_withoutAnInitializer_failsTheTaskNamingTheKeyThatSetsOne() {
    Engine engine = open();
    Throwable t = failureOf(engine.submit(stateOfItsWorker()));
    assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining(EngineConfig.WORKER_INITIALIZER);
  }

  @Test
  default void workerInitializer_capturingSomethingNotSerializable_underTheCheck_failsAtOpenNamingTheKeyAndTheClass() {
    Throwable t = catchThrowable(() -> open(b -> b.checkSerialization(true)
        .workerInitializer(ContractInitializers.capturing(new SerializationCheckContract.Unserializable(1)))));
    assertThat(t).isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("the worker initializer")
        .hasMessageContaining(SerializationCheckContract.Unserializable.class.getName());
    assertThat(((EngineConfigException) t).key()).isEqualTo(EngineConfig.WORKER_INITIALIZER);
  }

  @Test
  default void workerInitializer_thatThrows_stopsTheWorkerWithAnErrorNamingItAndItsCause_andLeavesNoProcess() {
    Set<Long> before = children();
    Throwable failure;
    if (initializesWorkersAtOpen()) {
      failure = catchThrowable(() -> open(b -> b.workerInitializer(ContractInitializers.failing("no database here"))));
    } else {
      Engine engine = open(b -> b.workerInitializer(ContractInitializers.failing("no database here")));
      failure = failureOf(engine.submit(ContractTasks.value(1)));
    }
    assertThat(failure).as("the initializer's failure").isInstanceOf(WorkerInitializerException.class)
        .hasMessageContaining(ContractInitializers.Failing.class.getName())
        .hasMessageContaining("no database here");
    assertThat(failure.getCause()).isInstanceOf(ContractFailure.class).hasMessage("no database here");
    await().untilAsserted(() -> assertThat(children()).as("processes started for the engine, still alive")
        .isSubsetOf(before));
  }

  private static Set<Long> children() {
    return ProcessHandle.current().children().filter(ProcessHandle::isAlive).map(ProcessHandle::pid)
        .collect(Collectors.toSet());
  }
}
