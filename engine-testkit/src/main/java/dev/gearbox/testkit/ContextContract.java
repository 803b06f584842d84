package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gearbox.AsyncTask;
import dev.gearbox.CarriedContext;
import dev.gearbox.ContextCarrier;
import dev.gearbox.ContextTask;
import dev.gearbox.Engine;
import dev.gearbox.MapOptions;
import dev.gearbox.RetryPolicy;
import dev.gearbox.Task;
import dev.gearbox.TaskFunction;
import dev.gearbox.TaskOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * Context that follows the task: the submitter's SLF4J MDC, and whatever a {@link ContextCarrier}
 * captures, are restored around the task wherever it runs (a worker process, a cluster member),
 * for every attempt, and gone again after it.
 */
public interface ContextContract extends ContractFixture {

  /** The MDC key the tests set. */
  String KEY = "contract-request";

  /**
   * A working MDC in every JVM that runs these tests' tasks: initializing this interface, which
   * reading one of its task lambdas does, installs it ({@link ContractMdc}).
   */
  boolean MDC_WORKS = ContractMdc.install();

  /** The task's view of {@link #KEY} in its MDC, and of {@link TraceCarrier}'s thread-local. */
  static Task<String> seenContext() {
    return () -> MDC.get(KEY) + "/" + TraceCarrier.CURRENT.get();
  }

  @Test
  default void theSubmittersMdc_isSeenByTheTask_andNotByTheNextOne() throws Exception {
    Engine engine = open(b -> b.workers(1));
    MDC.put(KEY, "r-1");
    String seen;
    try {
      seen = get(engine.submit(seenContext()));
    } finally {
      MDC.remove(KEY);
    }
    assertThat(seen).isEqualTo("r-1/null");
    assertThat(get(engine.submit(seenContext()))).as("a task submitted without an MDC").isEqualTo("null/null");
  }

  @Test
  default void theMdc_followsContextTasks_asyncTasks_retries_andMapInputs() throws Exception {
    Engine engine = open(b -> b.workers(2));
    MDC.put(KEY, "r-2");
    try {
      ContextTask<String> retried = ctx -> {
        if (ctx.attempt() == 1) {
          throw new ContractTasks.ContractFailure("first attempt");
        }
        return ctx.attempt() + " " + MDC.get(KEY);
      };
      assertThat(get(engine.submit(retried, TaskOptions.newBuilder()
          .retry(RetryPolicy.newBuilder().maxAttempts(2).backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)).build())
          .build()))).isEqualTo("2 r-2");
      AsyncTask<String> async = ctx -> CompletableFuture.completedFuture(MDC.get(KEY));
      assertThat(get(engine.submitAsync(async))).isEqualTo("r-2");
      TaskFunction<Integer, String> fn = i -> i + MDC.get(KEY);
      try (Stream<String> out = engine.map(fn, List.of(1, 2, 3, 4, 5, 6), MapOptions.newBuilder().chunkSize(2).build())) {
        assertThat(out.collect(Collectors.toList())).containsExactly("1r-2", "2r-2", "3r-2", "4r-2", "5r-2", "6r-2");
      }
    } finally {
      MDC.remove(KEY);
    }
  }

  @Test
  default void withMdcCarryingOff_theTaskSeesNone() throws Exception {
    Engine engine = open(b -> b.carryMdc(false));
    org.junit.jupiter.api.Assumptions.assumeTrue(engine.parallelism() < Integer.MAX_VALUE,
        "the task runs in the submitting thread, whose MDC it sees anyway");
    MDC.put(KEY, "r-3");
    try {
      assertThat(get(engine.submit(seenContext()))).startsWith("null/");
    } finally {
      MDC.remove(KEY);
    }
  }

  @Test
  default void aCarrier_carriesItsContext_toTheTask_andRestoresTheWorkersOwnAfter() throws Exception {
    Engine engine = open(b -> b.workers(1).contextCarrier(new TraceCarrier()));
    TraceCarrier.CURRENT.set("span-7");
    String seen;
    try {
      seen = get(engine.submit(seenContext()));
    } finally {
      TraceCarrier.CURRENT.remove();
    }
    assertThat(seen).isEqualTo("null/span-7");
    assertThat(get(engine.submit(seenContext()))).as("nothing captured, nothing restored").isEqualTo("null/null");
  }

  @Test
  default void aContextThatCannotCross_isRejectedAtSubmit_whereTasksLeaveTheJvm() throws Exception {
    Engine engine = open(b -> b.contextCarrier(() -> new UnsendableContext(Thread.currentThread())));
    if (engine.capabilities().sharedMemory()) {
      assertThat(get(engine.submit(seenContext()))).as("nothing to send in this JVM").isEqualTo("null/null");
      return;
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.submit(seenContext()))
        .isInstanceOf(java.util.concurrent.RejectedExecutionException.class)
        .hasMessageContaining("Thread");
  }

  /** A context holding what cannot be serialized. */
  record UnsendableContext(Thread holder) implements CarriedContext {
    @Override
    public Restoration restore() {
      return () -> { };
    }
  }

  /** A tracing-like carrier: a thread-local span id, carried as a string. */
  final class TraceCarrier implements ContextCarrier {
    /** The current span id of a thread, in the test's JVM and in workers alike. */
    public static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    @Override
    public CarriedContext capture() {
      String span = CURRENT.get();
      return span == null ? null : new Span(span);
    }

    private record Span(String id) implements CarriedContext {
      @Override
      public Restoration restore() {
        String previous = CURRENT.get();
        CURRENT.set(id);
        return () -> CURRENT.set(previous);
      }
    }
  }
}
