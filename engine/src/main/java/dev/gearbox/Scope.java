package dev.gearbox;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Structured concurrency over an {@link Engine}: tasks forked in a scope are its children, and
 * none outlives it. Java's {@code StructuredTaskScope}, trio's nursery, on any backend.
 *
 * <pre>{@code
 * try (Scope<Long> scope = engine.openScope(ScopeOptions.newBuilder().timeout(Duration.ofSeconds(10)).build())) {
 *   scope.fork(() -> countPrimes(0, 1_000_000));
 *   scope.fork(() -> countPrimes(1_000_000, 2_000_000));
 *   List<Long> counts = scope.join();           // in fork order; the first failure cancels the other
 * }
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Children run on the engine.</b> {@code fork} submits the task to the scope's engine,
 *       with the same rules as {@link Engine#submit(Task, TaskOptions)}, and returns its future.
 *       A scope uses nothing but the engine's API, so it behaves the same on every backend, and
 *       cancelling a child reaches it wherever it runs (interrupt; kill where the backend can).
 *   <li><b>Failure.</b> Under {@link ScopePolicy#FAIL_FAST} the first child to fail, or to be
 *       cancelled from outside the scope, cancels the unfinished children with
 *       {@code cancel(true)}; under {@link ScopePolicy#COLLECT_ALL} the children run on.
 *   <li><b>Deadline.</b> With {@link ScopeOptions.Builder#timeout}, the children unfinished at
 *       the deadline are cancelled with {@code cancel(true)}.
 *   <li><b>Shut down.</b> Once a failure (fail-fast), the deadline or an enclosing scope has shut
 *       a scope down, {@code fork} throws {@link IllegalStateException} (with the failure as its
 *       cause) and starts nothing.
 *   <li><b>Nesting.</b> A scope opened by the thread that holds another open scope is nested in
 *       it: it shares the enclosing deadline if that is earlier than its own, and when the
 *       enclosing scope shuts down, the nested one shuts down too (its children are cancelled).
 *       A scope opened inside a child task (on an in-process backend) is stopped by that task's
 *       interrupt: its {@code join} throws, and {@code close} cancels its children.
 *   <li><b>Close.</b> {@link #close()} cancels the children that are still unfinished (there are
 *       none after a {@code join} that returned) and waits until every child's future is
 *       complete. A cancelled child's future completes at once; where the task itself still
 *       runs for a moment, the engine stops it and keeps its slot until it has ended. After close,
 *       {@code fork} throws {@link IllegalStateException} naming the scope.
 *   <li><b>Threads.</b> {@code join} and {@code close} belong to the thread that opened the scope,
 *       and so does {@code fork} unless {@link ScopeOptions#confined()} is false; another
 *       thread gets {@link WrongThreadException}.
 * </ul>
 *
 * <p>Memory effects: those of {@link Engine#submit} for each child; a child's actions
 * happen-before {@link #join()} returns its result, on backends that share memory.
 *
 * @param <T> the children's result type ({@code Object} for children of different types)
 */
public interface Scope<T> extends AutoCloseable {

  /** The scope's name, from {@link ScopeOptions.Builder#name} or made by the engine. */
  String name();

  /** Forks a child with default options; see {@link #fork(Task, TaskOptions)}. */
  <U extends T> TaskFuture<U> fork(Task<U> task);

  /**
   * Forks a child: submits {@code task} to the engine as a child of this scope.
   *
   * @return the child's future
   * @throws NullPointerException if an argument is null
   * @throws IllegalStateException if the scope is closed, or shut down by a failure, its deadline
   *     or its enclosing scope
   * @throws WrongThreadException if called from another thread than the opening one while the
   *     scope is confined
   * @throws java.util.concurrent.RejectedExecutionException if the engine rejects the task
   */
  <U extends T> TaskFuture<U> fork(Task<U> task, TaskOptions options);

  /** Forks a child that receives its {@link TaskContext}, with default options. */
  <U extends T> TaskFuture<U> fork(ContextTask<U> task);

  /** Forks a child that receives its {@link TaskContext}; see {@link #fork(Task, TaskOptions)}. */
  <U extends T> TaskFuture<U> fork(ContextTask<U> task, TaskOptions options);

  /**
   * Waits until every child forked so far has completed, then returns their results in fork
   * order (null results included). May be called again after more forks.
   *
   * @return the children's results, in the order they were forked (an unmodifiable list)
   * @throws ExecutionException if a child failed or was cancelled from outside the scope: the
   *     cause is the first failure (fail-fast: the one that shut the scope down; collect-all: the
   *     first in fork order), the other children's failures are suppressed on it
   * @throws TimeoutException if the scope's deadline (or its enclosing scope's) passed
   * @throws CancellationException if an enclosing scope shut this one down for a failure or its
   *     close
   * @throws InterruptedException if the thread is interrupted while waiting; the children run
   *     on, and {@link #close()} cancels them
   * @throws IllegalStateException if the scope is closed
   * @throws WrongThreadException if called from another thread than the opening one
   */
  List<T> join() throws InterruptedException, ExecutionException, TimeoutException;

  /**
   * Cancels the unfinished children and waits until every child's future is complete; closes a
   * nested scope left open first. Idempotent.
   *
   * @throws IllegalStateException if a nested scope was still open (it has been closed by then)
   * @throws WrongThreadException if called from another thread than the opening one
   */
  @Override
  void close();
}
