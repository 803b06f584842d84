package dev.gearbox;

import com.codahale.metrics.MetricRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;

/**
 * Runs tasks on the concurrency level that configuration picks: a thread pool, worker
 * processes, virtual threads, a cluster, or the caller's own thread ({@code direct}). Code
 * written against this interface does not change when {@code gearbox.backend} does.
 *
 * <pre>{@code
 * try (Engine engine = Engine.open()) {                    // gearbox.backend=thread|direct|...
 *   TaskFuture<Long> f = engine.submit(() -> countPrimes(0, 1_000_000));
 *   long n = f.get();
 *   try (Stream<Integer> lengths = engine.map(String::length, words)) {
 *     lengths.forEach(System.out::println);                 // in input order, lazily
 *   }
 * }
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Every future returned by {@code submit} completes exactly once: with the task's result,
 *       the task's own exception, a {@link java.util.concurrent.CancellationException}, a
 *       {@link TaskTimeoutException}, or another {@link EngineException} naming the task. None is
 *       left pending by worker death, shutdown or close.
 *   <li>Rejection is synchronous: {@code submit} throws
 *       {@link java.util.concurrent.RejectedExecutionException} after shutdown, when the queue is
 *       full under {@link QueueFullPolicy#REJECT}, or when a task cannot cross the backend's
 *       boundary (not serializable). With {@code gearbox.serialization.check=always}
 *       ({@link EngineConfig.Builder#checkSerialization}) the in-process levels ({@code thread},
 *       {@code async}, {@code direct}) reject, the same way, every task and {@code map} function
 *       that could not cross to {@code process} or {@code cluster}.
 *   <li>Actions in a thread before {@code submit} happen-before the task starts, and the task's
 *       actions happen-before a successful {@code get} — on backends that share memory. Across
 *       processes nothing is shared: the task works on copies.
 *   <li>A task that waits ({@link TaskFuture#get()}, {@link TaskFuture#join()}) for a task of its
 *       own engine never hangs silently: when every slot is held by tasks waiting like that and
 *       the awaited task has not started, the wait throws {@link IllegalStateException} at once,
 *       naming both tasks and the fix. The awaited task is not run in the waiting thread instead:
 *       it keeps its slot, deadline and place in the queue. On backends that do not share memory
 *       ({@code process}, {@code cluster}) a task cannot hold its engine or its futures: a task
 *       that captures either is rejected at submit.
 * </ul>
 *
 * <h2>Workers and their state</h2>
 * A {@link WorkerInitializer} ({@code gearbox.worker.initializer}) runs once in each worker before
 * its first task, and tasks reach what it returned with {@link TaskContext#workerState(Class)}. A
 * worker is a JVM that runs the engine's tasks: on {@code thread}, {@code async} and {@code direct}
 * the engine's own JVM (the initializer runs once, inside {@code open}, and every task shares its
 * state); on {@code process} each worker JVM, replacements included; on {@code cluster} each member
 * that runs the engine's tasks, or each of its worker JVMs under {@code isolation=process}. Tasks
 * that run at once in one worker share its state, so it must be safe for concurrent use. An
 * initializer that throws on a worker started at open makes {@code open} throw a
 * {@link WorkerInitializerException} naming the worker and the initializer, with its exception as
 * the cause; see {@link WorkerInitializer} for workers started later.
 *
 * <p>Implementations are thread-safe.
 */
public interface Engine extends AutoCloseable {

  /**
   * Opens an engine configured from, in order of precedence: system properties
   * ({@code -Dgearbox.backend=thread}), environment variables ({@code GEARBOX_BACKEND=thread}),
   * {@code gearbox.properties} in the working directory, {@code gearbox.properties} on the
   * classpath, and defaults.
   *
   * @throws EngineConfigException for an unknown key, a malformed value or an unknown backend
   */
  static Engine open() {
    return open(EngineConfig.load());
  }

  /**
   * Opens an engine with exactly this configuration (no other source is read).
   *
   * @throws EngineConfigException for an unknown backend, a backend key it does not know, or a
   *     policy the backend cannot honour
   */
  static Engine open(EngineConfig config) {
    return DefaultEngine.open(config);
  }

  /** An engine that runs every task in the thread that submits it; for debugging and tests. */
  static Engine direct() {
    return open(EngineConfig.newBuilder().backend("direct").build());
  }

  /**
   * The names of the backends this classpath can open, sorted: the built-in {@code direct} plus
   * every backend module present ({@code thread}, {@code process}, {@code async}, ...).
   *
   * @throws EngineConfigException if a backend module on the classpath cannot be loaded
   */
  static java.util.SortedSet<String> backends() {
    return java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(BackendRegistry.providers().keySet()));
  }

  /** Submits a task with default options; see {@link #submit(Task, TaskOptions)}. */
  <T> TaskFuture<T> submit(Task<T> task);

  /**
   * Submits a task.
   *
   * @return a future that completes exactly once (see the class contract)
   * @throws NullPointerException if an argument is null
   * @throws java.util.concurrent.RejectedExecutionException if the engine is shut down, the
   *     queue is full under the reject policy, or the backend cannot accept the task
   */
  <T> TaskFuture<T> submit(Task<T> task, TaskOptions options);

  /** Submits a task that receives its {@link TaskContext}, with default options. */
  <T> TaskFuture<T> submit(ContextTask<T> task);

  /** Submits a task that receives its {@link TaskContext}. */
  <T> TaskFuture<T> submit(ContextTask<T> task, TaskOptions options);

  /** Submits an {@link AsyncTask} with default options. */
  <T> TaskFuture<T> submitAsync(AsyncTask<T> task);

  /**
   * Submits an {@link AsyncTask}: its stage is driven without a thread on the {@code async}
   * backend and awaited inside the worker elsewhere. Same contract as {@link #submit(Task, TaskOptions)};
   * the future completes with the stage's result, or with its failure unwrapped from any
   * {@link java.util.concurrent.CompletionException}.
   */
  <T> TaskFuture<T> submitAsync(AsyncTask<T> task, TaskOptions options);

  /** {@link #map(TaskFunction, Iterable, MapOptions)} with default options. */
  <I, O> Stream<O> map(TaskFunction<? super I, ? extends O> fn, Iterable<? extends I> inputs);

  /**
   * Applies {@code fn} to every input and returns the outputs in input order, lazily.
   *
   * <p>Inputs are read only as the window of in-flight jobs frees up, so an unbounded or
   * very long input keeps memory flat. If an input's task fails, the stream throws
   * {@link java.util.concurrent.CompletionException} when it reaches that element; its cause is
   * the task's own exception and its message names the input's position. The stream must be
   * closed (try-with-resources): closing it, or a failure, cancels the jobs still in flight.
   * A stream is for one consumer thread.
   *
   * @throws java.util.concurrent.RejectedExecutionException if the engine is shut down
   */
  <I, O> Stream<O> map(TaskFunction<? super I, ? extends O> fn, Iterable<? extends I> inputs,
      MapOptions options);

  /** {@link #map(TaskFunction, Iterable, MapOptions)} over a stream (consumed lazily, closed with the result). */
  <I, O> Stream<O> map(TaskFunction<? super I, ? extends O> fn, Stream<? extends I> inputs,
      MapOptions options);

  /** Like {@link #map(TaskFunction, Iterable)} but yields outputs as they complete. */
  <I, O> Stream<O> mapUnordered(TaskFunction<? super I, ? extends O> fn, Iterable<? extends I> inputs);

  /** Like {@link #map(TaskFunction, Iterable, MapOptions)} but yields outputs as they complete. */
  <I, O> Stream<O> mapUnordered(TaskFunction<? super I, ? extends O> fn,
      Iterable<? extends I> inputs, MapOptions options);

  /**
   * Opens a structured {@link Scope} whose children run on this engine: a failure (fail-fast) or
   * the scope's deadline cancels its children wherever they run, and closing it leaves none
   * running. Use it in a try-with-resources block, in the thread that opens it.
   *
   * @throws NullPointerException if {@code options} is null
   * @throws java.util.concurrent.RejectedExecutionException if the engine is shut down
   */
  <T> Scope<T> openScope(ScopeOptions options);

  /** {@link #openScope(ScopeOptions)} with {@link ScopeOptions#failFast()}. */
  default <T> Scope<T> openScope() {
    return openScope(ScopeOptions.failFast());
  }

  /**
   * What the engine is doing now: counts, unfinished tasks (all of them), and the backend's workers
   * or members. See {@link #snapshot(int)}.
   */
  default EngineSnapshot snapshot() {
    return snapshot(Integer.MAX_VALUE);
  }

  /**
   * What the engine is doing now: its counts, its running tasks and at most {@code maxTasks} tasks
   * in all (running ones first, then queued ones in run order; the rest are counted in
   * {@link EngineSnapshot#tasksNotListed()}), and the backend's workers or members. Cheap enough to
   * take every second with a hundred thousand tasks in flight: the engine's lock is held only to
   * copy references.
   *
   * @throws IllegalArgumentException if {@code maxTasks} is negative
   */
  EngineSnapshot snapshot(int maxTasks);

  /**
   * The address of this engine's live web view, when {@code gearbox.dashboard.port} turned it on
   * (with port 0, the port it took).
   */
  default java.util.Optional<java.net.URI> dashboardUri() {
    return java.util.Optional.empty();
  }

  /** Registers a listener for this engine's events. */
  void addListener(EngineListener listener);

  void removeListener(EngineListener listener);

  /** The registry holding this engine's metrics (given in the configuration, or created). */
  MetricRegistry metrics();

  /** This engine's name ({@code gearbox.name}); metric names start with {@code gearbox.<name>.}. */
  String name();

  /** The backend's name ({@code gearbox.backend}). */
  String backendName();

  BackendCapabilities capabilities();

  /** How many tasks run at once at most. */
  int parallelism();

  /**
   * A JDK {@link ExecutorService} view of this engine. Its tasks go through the same queue,
   * policies, events and metrics; its shutdown methods shut this engine down. On backends that
   * need serializable tasks, a {@code Runnable} or {@code Callable} that is not serializable is
   * rejected at submit.
   */
  ExecutorService asExecutorService();

  /** Stops accepting tasks; queued and running tasks complete. Idempotent. */
  void shutdown();

  /**
   * Stops accepting tasks and cancels every queued and running task (their futures complete as
   * cancelled; running ones are interrupted, or killed where the backend can). Idempotent.
   */
  void shutdownNow();

  boolean isShutdown();

  /** Whether every task has completed and the backend has released its threads and processes. */
  boolean isTerminated();

  /** Waits until {@link #isTerminated()} or the timeout. */
  boolean awaitTermination(Duration timeout) throws InterruptedException;

  /**
   * {@link #shutdown()} and waits for termination: first for every accepted task to complete
   * (queued ones included, without a time limit), then for the backend to release its threads
   * and processes. If that takes longer than {@code gearbox.cancel.grace}, the backend is shut
   * down now (its leftover work interrupted, or killed where it can kill). A task that ignores its
   * interrupt on a backend that cannot kill is abandoned with a warning after one more grace
   * period; otherwise close waits for the backend to finish releasing (for the process backend:
   * until no worker JVM is left), giving up with a warning after 30 s. If the waiting thread is
   * interrupted, the engine is shut down now and the interrupt status is kept.
   *
   * @throws IllegalStateException if called from a dependent action of one of this engine's tasks,
   *     run as that task's future completed: the task is finished only once the action returns, so
   *     close would wait for itself. The engine is shut down then, and terminates after it returns.
   */
  @Override
  void close();
}
