package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.Task;
import dev.gearbox.TaskFunction;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code gearbox.serialization.check}: with {@code always}, a task or {@code map} function that
 * could not cross to a worker process or a cluster member is rejected at submit on every backend,
 * naming the class that cannot be serialized; with the default {@code off}, the in-process levels
 * run it. A plain lambda {@code Callable} or {@code Runnable} given to the executor view is rejected
 * showing the cast that makes it serializable.
 */
public interface SerializationCheckContract extends ContractFixture {

  /** Not serializable: what a task must not capture to cross a process boundary. */
  final class Unserializable {
    final int value;

    Unserializable(int value) {
      this.value = value;
    }
  }

  static Task<Integer> capturing(Unserializable captured) {
    return () -> captured.value;
  }

  static TaskFunction<Integer, Integer> addingFrom(Unserializable captured) {
    return x -> x + captured.value;
  }

  @Test
  default void checkAlways_aTaskCapturingANonSerializableObject_isRejectedAtSubmit_namingItsClass() {
    Engine engine = open(b -> b.option(EngineConfig.SERIALIZATION_CHECK, "always"));
    assertThatThrownBy(() -> engine.submit(capturing(new Unserializable(1))))
        .isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining(Unserializable.class.getName())
        .hasMessageContaining("not Serializable");
    assertThat(counter(engine, "rejected")).isEqualTo(1);
  }

  @Test
  default void checkAlways_aMapFunctionCapturingANonSerializableObject_isRejected_namingItsClass() {
    Engine engine = open(b -> b.checkSerialization(true));
    assertThatThrownBy(() -> {
      try (Stream<Integer> out = engine.map(addingFrom(new Unserializable(1)), List.of(1, 2, 3))) {
        out.toList();
      }
    }).isInstanceOf(RejectedExecutionException.class).hasMessageContaining(Unserializable.class.getName());
  }

  @Test
  default void checkOff_onAnInProcessLevel_aTaskCapturingANonSerializableObjectRuns() throws Exception {
    Engine engine = open();
    assumeFalse(engine.capabilities().requiresSerializable(), "the backend serializes every task");
    assertThat(get(engine.submit(capturing(new Unserializable(7))))).isEqualTo(7);
  }

  @Test
  default void checkAlways_serializableTasksAndMapFunctionsStillRun() throws Exception {
    Engine engine = open(b -> b.checkSerialization(true));
    assertThat(get(engine.submit(ContractTasks.value(3)))).isEqualTo(3);
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, List.of(1, 2, 3))) {
      assertThat(out.toList()).containsExactly(2, 4, 6);
    }
  }

  @Test
  default void checkAlways_aPlainLambdaGivenToTheExecutorView_isRejectedShowingTheCastThatFixesIt() {
    ExecutorService es = open(b -> b.checkSerialization(true)).asExecutorService();
    Callable<Integer> call = () -> 1;
    Runnable run = () -> { };
    assertThatThrownBy(() -> es.submit(call)).isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("(Callable<T> & Serializable) () -> ...");
    assertThatThrownBy(() -> es.execute(run)).isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("(Runnable & Serializable) () -> { ... }");
  }
}
