package dev.gearbox;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.ListenableFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The future of a submitted task: a {@link CompletableFuture} (compose it, join it, pass it as a
 * {@link java.util.concurrent.CompletionStage}) that is also a Guava {@link ListenableFuture}.
 *
 * <p>Only the engine completes it. {@link #cancel(boolean)} cancels the task wherever it runs:
 * a queued task never starts; a running one sees {@link TaskContext#isCancelled()} and, with
 * {@code mayInterruptIfRunning}, is interrupted (and killed after the grace period on backends
 * that can kill). The methods that would let a caller complete it by hand ({@code complete},
 * {@code completeExceptionally}, {@code obtrude*}) throw {@link UnsupportedOperationException}:
 * cancel instead. Dependent stages ({@code thenApply}...) are plain {@code CompletableFuture}s.
 *
 * <p>Dependent actions without an executor run in the thread that completes the task (a worker
 * thread of in-process backends) or in the thread that registers them if already complete.
 *
 * @param <T> the result type
 */
public sealed class TaskFuture<T> extends CompletableFuture<T> implements ListenableFuture<T> permits Job {
  private static final Logger log = LoggerFactory.getLogger(TaskFuture.class);

  /**
   * The caller waiting in {@link #get()} or {@link #join()}, to whom a remote backend may hand the
   * report, or that report: {@link WaiterHandoff}'s slot, kept here so that it costs no object.
   * Accessed only through {@code WaiterHandoff}.
   */
  @SuppressWarnings("unused") // accessed through WaiterHandoff.SLOT
  volatile Object handoff;

  /**
   * Threads blocked in {@link #get()} or {@link #join()}, parked until the engine completes this
   * future; {@link #COMPLETED} once it has. They wait here rather than as a dependent of the
   * {@code CompletableFuture}, so that {@link #getNumberOfDependents()} counts only dependent
   * actions: with none, the thread that completes the future may run the next task itself at
   * once (a thread that merely waits cannot be waiting inside that thread). A Treiber stack:
   * pushed by compare-and-set, taken whole by the completing thread.
   */
  private volatile Waiter waiters;

  private static final Waiter COMPLETED = new Waiter(null);
  private static final java.lang.invoke.VarHandle WAITERS;

  static {
    try {
      WAITERS = java.lang.invoke.MethodHandles.lookup().findVarHandle(TaskFuture.class, "waiters", Waiter.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** A thread blocked until the future completes; its thread is cleared once it stops waiting. */
  private static final class Waiter {
    volatile Thread thread;
    Waiter next;

    Waiter(Thread thread) {
      this.thread = thread;
    }
  }

  /** Only {@link Job}: a task's future is its job, one object (see Job). */
  TaskFuture() {}

  /** The job this future is. */
  final Job job() {
    return (Job) (TaskFuture<?>) this;
  }

  /** The task's engine-wide id. */
  public long taskId() {
    return job().id;
  }

  /** The task's name. */
  public String taskName() {
    return job().name();
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    job().engine.cancel(job(), mayInterruptIfRunning);
    return isCancelled();
  }

  /** Guava: runs {@code listener} on {@code executor} once this future completes. */
  @Override
  public void addListener(Runnable listener, Executor executor) {
    requireNonNull(listener, "listener");
    requireNonNull(executor, "executor");
    super.whenComplete((v, t) -> {
      try {
        executor.execute(listener);
      } catch (RuntimeException e) {
        log.error("Gearbox: executor {} refused listener {} of task {}", executor, listener, job().name(), e);
      }
    });
  }

  /**
   * Waits for the task. A task of the same engine that waits here, in its own slot, while every
   * other slot is held by such waits and none of the tasks they wait for has started, would wait
   * for ever: that wait throws {@link IllegalStateException} at once instead, saying so (see
   * {@link Engine}: the awaited task is not run in the waiting thread). A wait with a timeout,
   * {@link #get(long, TimeUnit)}, ends by itself and is not checked.
   *
   * @throws IllegalStateException if the wait could never end
   */
  @Override
  public T get() throws InterruptedException, ExecutionException {
    if (isDone()) {
      return super.get();
    }
    boolean counted = job().engine.enterNestedWait(job(), true);
    try {
      if (Thread.currentThread() instanceof ForkJoinWorkerThread) {
        return super.get(); // a managed block, so that the pool can compensate for this worker
      }
      awaitCompletion(true);
      return super.get();
    } finally {
      if (counted) {
        job().engine.exitNestedWait(job());
      }
    }
  }

  /** Like {@link #get()}, throwing unchecked exceptions. */
  @Override
  public T join() {
    if (isDone()) {
      return super.join();
    }
    boolean counted = job().engine.enterNestedWait(job(), false);
    try {
      if (Thread.currentThread() instanceof ForkJoinWorkerThread) {
        return super.join(); // a managed block, so that the pool can compensate for this worker
      }
      try {
        awaitCompletion(false);
      } catch (InterruptedException cannotHappen) {
        throw new AssertionError(cannotHappen); // an uninterruptible wait does not throw it
      }
      return super.join();
    } finally {
      if (counted) {
        job().engine.exitNestedWait(job());
      }
    }
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new CompletableFuture<>();
  }

  /** Not supported: only the engine completes a task's future. Use {@link #cancel(boolean)}. */
  @Override
  public boolean complete(T value) {
    throw handCompletion();
  }

  /** Not supported: only the engine completes a task's future. Use {@link #cancel(boolean)}. */
  @Override
  public boolean completeExceptionally(Throwable ex) {
    throw handCompletion();
  }

  /** Not supported: only the engine completes a task's future. */
  @Override
  public void obtrudeValue(T value) {
    throw handCompletion();
  }

  /** Not supported: only the engine completes a task's future. */
  @Override
  public void obtrudeException(Throwable ex) {
    throw handCompletion();
  }

  /** Not supported: only the engine completes a task's future. */
  @Override
  public CompletableFuture<T> completeAsync(java.util.function.Supplier<? extends T> supplier, Executor executor) {
    throw handCompletion();
  }

  /** Not supported: only the engine completes a task's future. */
  @Override
  public CompletableFuture<T> completeOnTimeout(T value, long timeout, java.util.concurrent.TimeUnit unit) {
    throw handCompletion();
  }

  /** Not supported: use {@link TaskOptions.Builder#timeout} so the task is stopped too. */
  @Override
  public CompletableFuture<T> orTimeout(long timeout, java.util.concurrent.TimeUnit unit) {
    throw new UnsupportedOperationException("task " + job().name() + ": orTimeout would fail the future but leave the task running;"
        + " set TaskOptions.newBuilder().timeout(...) so the engine stops the task too");
  }

  private UnsupportedOperationException handCompletion() {
    return new UnsupportedOperationException("task " + job().name()
        + ": only the engine completes a task's future; use cancel(mayInterruptIfRunning) to stop it");
  }

  /**
   * Parks until the future is complete. Interruptible: throws on interrupt. Otherwise the
   * interrupt is kept for the caller, as {@code CompletableFuture.join} does.
   */
  private void awaitCompletion(boolean interruptible) throws InterruptedException {
    // The first waiter takes the hand-off slot, where a remote backend may hand it the report; it
    // leaves the slot once wakeWaiters has run (before the result is set when dependent actions
    // follow, see succeed), so, like the others, it is not woken only after those actions.
    if (!WaiterHandoff.await(this, () -> isDone() || waiters == COMPLETED, interruptible)) {
      awaitOnStack(interruptible); // another thread holds the slot
    }
    spinUntilDone();
  }

  private void awaitOnStack(boolean interruptible) throws InterruptedException {
    Waiter w = null;
    boolean queued = false;
    boolean interrupted = false;
    try {
      while (!isDone()) {
        if (waiters == COMPLETED) {
          break; // the completing thread is setting the result
        } else if (w == null) {
          w = new Waiter(Thread.currentThread());
        } else if (!queued) {
          Waiter head = waiters;
          if (head == COMPLETED) {
            break; // completed since the check above: pushing now would wait for a wake-up already given
          }
          w.next = head;
          queued = WAITERS.compareAndSet(this, head, w);
        } else {
          java.util.concurrent.locks.LockSupport.park(this);
          if (Thread.interrupted()) {
            if (interruptible) {
              throw new InterruptedException("interrupted while waiting for task " + job().name());
            }
            interrupted = true;
          }
        }
      }
    } finally {
      if (w != null) {
        w.thread = null; // the completing thread skips it
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Woken just before the result is set (or just after), by the thread setting it: a few instructions at most. */
  private void spinUntilDone() {
    for (int spins = 0; !isDone(); spins++) {
      if (spins < 64) {
        Thread.onSpinWait();
      } else {
        Thread.yield(); // that thread lost its core meanwhile
      }
    }
  }

  /**
   * Wakes every thread parked in {@link #awaitCompletion}; called by the completing thread once
   * per future: just after it set the result if no dependent action was registered, else just
   * before, so that the waiters are not woken only after the dependent actions that the completion
   * runs (those run first to last from the most recent: a waiter used to be the most recent, and
   * one of them may wait for what the woken thread does next).
   */
  private void wakeWaiters() {
    Waiter w = (Waiter) WAITERS.getAndSet(this, COMPLETED);
    WaiterHandoff.wake(this);
    for (; w != null && w != COMPLETED; w = w.next) {
      Thread t = w.thread;
      if (t != null) {
        w.thread = null;
        java.util.concurrent.locks.LockSupport.unpark(t);
      }
    }
  }

  /**
   * Hands a remote outcome's report to the caller waiting in {@link #get()} or {@link #join()}, when
   * nothing depends on this future (so completing it runs none of the caller's actions but the
   * wake-up); false otherwise, and the backend reports another way.
   */
  boolean offerReport(Runnable report) {
    return getNumberOfDependents() == 0 && WaiterHandoff.offer(this, report);
  }

  // The engine's own completion paths, each called once per future (the job is settled once).
  // Which comes first, the waiters' wake-up or the result, was measured (round trips on 2 vCPUs).
  // A pool thread that ran the task here and reports it was woken by the caller moments before, so
  // the scheduler tends to wake the caller back on that thread's CPU: woken first, it took the CPU
  // and spun until the put-aside pool thread set the result (a thread round trip a tenth longer),
  // so there the result is set first, as FutureTask does. Everywhere else (a virtual thread, a
  // pipe reader, a report executor) the waiter wakes on another CPU and waking it first overlaps
  // its wake-up with the completion (the process round trip got longer the other way). With
  // dependent actions the waiters always wake first, so that they do not wait for those actions
  // (see wakeWaiters); a dependent registered while the result is being set may then run before
  // they wake, as in a plain CompletableFuture.

  boolean succeed(Object value) {
    return settle(value, null);
  }

  boolean fail(Throwable failure) {
    return settle(null, java.util.Objects.requireNonNull(failure, "failure"));
  }

  /** Completes with {@code value}, or with {@code failure} if it is not null, waking the waiters in the order above. */
  private boolean settle(Object value, Throwable failure) {
    if (wakeFirst()) {
      wakeWaiters();
      return set(value, failure);
    }
    try {
      return set(value, failure);
    } finally {
      wakeWaiters();
    }
  }

  private boolean set(Object value, Throwable failure) {
    @SuppressWarnings("unchecked")
    T t = (T) value;
    return failure == null ? super.complete(t) : super.completeExceptionally(failure);
  }

  /** Whether the waiters wake before the result is set (see above). */
  private boolean wakeFirst() {
    return getNumberOfDependents() != 0 || Thread.currentThread().isVirtual() || RunningHere.current() == null;
  }

  boolean cancelInternal() {
    wakeWaiters();
    return super.cancel(false);
  }

  @Override
  public String toString() {
    return "TaskFuture[" + job().label() + ", " + state() + "]";
  }
}
