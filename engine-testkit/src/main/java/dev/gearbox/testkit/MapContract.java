package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.MapOptions;
import dev.gearbox.RetryPolicy;
import dev.gearbox.TaskOptions;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code map} and {@code mapUnordered}: outputs in input order (or each exactly once), fixed
 * chunking, laziness and the window bounding inputs in flight, streams as input (closed when the
 * output is), a failing input named after the outputs before it, closing early cancelling the jobs
 * in flight, and retries of one input on its own.
 */
public interface MapContract extends ContractFixture {

  @Test
  default void map_returnsOutputsInInputOrder() {
    Engine engine = open();
    List<Integer> inputs = IntStream.range(0, 500).boxed().toList();
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, inputs)) {
      assertThat(out.toList()).isEqualTo(inputs.stream().map(x -> 2 * x).toList());
    }
  }

  @Test
  default void mapUnordered_returnsEveryOutputExactlyOnce() {
    Engine engine = open();
    List<Integer> inputs = IntStream.range(0, 500).boxed().toList();
    try (Stream<Integer> out = engine.mapUnordered(ContractFunctions::jitteredDouble, inputs)) {
      assertThat(out.toList()).containsExactlyInAnyOrderElementsOf(inputs.stream().map(x -> 2 * x).toList());
    }
  }

  @Test
  default void map_andMapUnordered_afterShutdown_throwAtTheCall() {
    Engine engine = open();
    engine.shutdown();
    List<Integer> inputs = List.of(1, 2, 3);
    assertThatThrownBy(() -> engine.map(ContractFunctions::jitteredDouble, inputs))
        .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("shut down");
    assertThatThrownBy(() -> engine.mapUnordered(ContractFunctions::jitteredDouble, inputs))
        .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("shut down");
    assertThatThrownBy(() -> engine.map(ContractFunctions::jitteredDouble, inputs.stream(), MapOptions.defaults()))
        .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("shut down");
  }

  @Test
  default void map_fixedChunkSize_batchesInputsAndKeepsOrder() {
    Engine engine = open();
    List<Integer> inputs = IntStream.range(0, 100).boxed().toList();
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, inputs, MapOptions.newBuilder().chunkSize(7).build())) {
      assertThat(out.toList()).isEqualTo(inputs.stream().map(x -> 2 * x).toList());
    }
    assertThat(counter(engine, "submitted")).isEqualTo(15); // ceil(100 / 7) jobs, not 100
  }

  @Test
  default void map_isLazyAndTheWindowBoundsInputsInFlight() {
    Engine engine = open();
    AtomicLong pulled = new AtomicLong();
    Iterable<Integer> endless = () -> new Iterator<>() {
      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Integer next() {
        return (int) pulled.incrementAndGet();
      }
    };
    int window = 8;
    int chunk = 3;
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, endless,
        MapOptions.newBuilder().window(window).chunkSize(chunk).build())) {
      assertThat(pulled).hasValue(0); // nothing runs before the first element is asked for
      List<Integer> first = out.limit(200).toList();
      assertThat(first).hasSize(200);
      assertThat(pulled.get()).isLessThanOrEqualTo(200 + (long) window * chunk);
    }
  }

  @Test
  default void map_overAStream_consumesItLazilyAndClosesIt() {
    Engine engine = open();
    AtomicInteger closed = new AtomicInteger();
    Stream<Integer> source = Stream.iterate(0, x -> x + 1).onClose(closed::incrementAndGet);
    try (Stream<Integer> out = engine.map(ContractFunctions::jitteredDouble, source, MapOptions.newBuilder().window(4).build())) {
      assertThat(out.limit(20).toList()).isEqualTo(IntStream.range(0, 20).map(x -> 2 * x).boxed().toList());
    }
    assertThat(closed).hasValue(1);
  }

  @Test
  default void map_failingInput_throwsCompletionExceptionNamingTheInputAfterTheEarlierOutputs() {
    Engine engine = open();
    List<Integer> seen = new ArrayList<>();
    for (int chunk : new int[] {1, 4}) {
      seen.clear();
      Throwable t;
      try (Stream<Integer> out = engine.map(ContractFunctions::failOnFive, IntStream.range(0, 20).boxed().toList(),
          MapOptions.newBuilder().chunkSize(chunk).build())) {
        t = catchThrowable(() -> out.forEach(seen::add));
      }
      assertThat(t).as("chunk size %s", chunk).isInstanceOf(CompletionException.class).hasMessageContaining("input #5");
      assertThat(t.getCause()).isInstanceOf(ContractFailure.class).hasMessage("input 5 is bad");
      assertThat(seen).containsExactly(0, 1, 2, 3, 4);
    }
  }

  @Test
  default void map_closingEarly_cancelsTheJobsInFlight() throws Exception {
    Engine engine = open(b -> b.workers(2));
    assumeQueueing(engine);
    String d = dir();
    Stream<Object> out = engine.map(ContractFunctions.blockingBy(d), IntStream.range(0, 1000).boxed().toList(),
        MapOptions.newBuilder().window(4).build());
    Iterator<Object> it = out.iterator();
    Thread consumer = new Thread(() -> catchThrowable(it::hasNext));
    consumer.start();
    await().until(() -> counter(engine, "submitted") == 4);
    out.close();
    await().until(() -> counter(engine, "cancelled") == 4);
    consumer.join(PROMPTLY.toMillis());
    assertThat(consumer.isAlive()).isFalse();
    assertThat(counter(engine, "submitted")).isEqualTo(4);
  }

  @Test
  default void map_retriesAFailingInputOnItsOwn() {
    Engine engine = open();
    MapOptions options = MapOptions.newBuilder().chunkSize(5).taskOptions(TaskOptions.newBuilder()
        .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ZERO, 1, Duration.ZERO).build()).build()).build();
    String d = dir();
    try (Stream<Integer> out = engine.map(ContractFunctions.failFirstTimeOn(d, 3), IntStream.range(0, 10).boxed().toList(), options)) {
      assertThat(out.toList()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }
  }
}
