package dev.gearbox;

import static java.util.Objects.requireNonNull;

import dev.gearbox.spi.remote.Payloads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK {@link ExecutorService} view of an engine ({@link Engine#asExecutorService()}).
 * Runnables and Callables become tasks of the engine; they must be serializable on backends
 * that need it (checked at submit). {@code shutdownNow} returns the tasks that never started:
 * the caller's own Runnable for {@code execute}, a Runnable that calls the Callable otherwise.
 */
final class EngineExecutorService implements ExecutorService {
  private static final Logger log = LoggerFactory.getLogger(EngineExecutorService.class);

  private final DefaultEngine engine;

  EngineExecutorService(DefaultEngine engine) {
    this.engine = engine;
  }

  /** A Runnable as a task; serializable when the Runnable is. */
  record RunnableWork(Runnable runnable) implements Task<Object> {
    @Override
    public Object call() {
      runnable.run();
      return null;
    }
  }

  /** A Callable as a task; serializable when the Callable is. */
  record CallableWork<T>(Callable<T> callable) implements Task<T> {
    @Override
    public T call() throws Exception {
      return callable.call();
    }
  }

  @Override
  public void execute(Runnable command) {
    requireNonNull(command, "command");
    TaskFuture<Object> f = submitPlain(command, new RunnableWork(command));
    // Nobody holds this future: report failures the way a ThreadPoolExecutor's thread would.
    f.whenComplete((v, t) -> {
      if (t != null && !(t instanceof CancellationException)) {
        log.warn("Gearbox: task {} given to execute() failed", f.taskName(), t);
      }
    });
  }

  @Override
  public <T> TaskFuture<T> submit(Callable<T> task) {
    requireNonNull(task, "task");
    return submitPlain(task, new CallableWork<>(task));
  }

  @Override
  public TaskFuture<Object> submit(Runnable task) {
    requireNonNull(task, "task");
    return submitPlain(task, new RunnableWork(task));
  }

  @Override
  public <T> TaskFuture<T> submit(Runnable task, T result) {
    requireNonNull(task, "task");
    return submitPlain(task, new ResultRunnable<>(task, result));
  }

  /**
   * Submits the task made of a plain {@code Callable} or {@code Runnable}; a rejection because that
   * object itself cannot be serialized says which cast makes a lambda serializable.
   */
  private <T> TaskFuture<T> submitPlain(Object plain, Task<T> task) {
    try {
      return engine.submit(task);
    } catch (RejectedExecutionException e) {
      throw Payloads.withCast(e, plain, plain instanceof Callable<?> ? "Callable<T>" : "Runnable");
    }
  }

  /** A Runnable with a fixed result. */
  record ResultRunnable<T>(Runnable runnable, T result) implements Task<T> {
    @Override
    public T call() {
      runnable.run();
      return result;
    }
  }

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
    requireNonNull(tasks, "tasks");
    List<Future<T>> futures = submitAll(tasks);
    try {
      for (Future<T> f : futures) {
        try {
          f.get();
        } catch (ExecutionException | CancellationException ignored) {
          // the caller inspects each future
        }
      }
      return futures;
    } catch (InterruptedException e) {
      futures.forEach(f -> f.cancel(true));
      throw e;
    }
  }

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException {
    requireNonNull(tasks, "tasks");
    requireNonNull(unit, "unit");
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    List<Future<T>> futures = submitAll(tasks);
    try {
      for (Future<T> f : futures) {
        long left = deadline - System.nanoTime();
        try {
          f.get(Math.max(0L, left), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | CancellationException ignored) {
          // the caller inspects each future
        } catch (TimeoutException e) {
          break;
        }
      }
      return futures;
    } catch (InterruptedException e) {
      futures.forEach(f -> f.cancel(true));
      throw e;
    } finally {
      futures.forEach(f -> f.cancel(true)); // no-op for completed ones
    }
  }

  private <T> List<Future<T>> submitAll(Collection<? extends Callable<T>> tasks) {
    List<Future<T>> futures = new ArrayList<>(tasks.size());
    try {
      for (Callable<T> c : tasks) {
        futures.add(submit(requireNonNull(c, "a task in tasks")));
      }
    } catch (RuntimeException e) {
      futures.forEach(f -> f.cancel(true));
      throw e;
    }
    return futures;
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
    try {
      return doInvokeAny(tasks, Long.MAX_VALUE);
    } catch (TimeoutException e) {
      throw new AssertionError("no deadline was set", e);
    }
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    requireNonNull(unit, "unit");
    return doInvokeAny(tasks, unit.toNanos(timeout));
  }

  /** Returns the first successful result; cancels the rest; fails with the last failure if none succeeds. */
  private <T> T doInvokeAny(Collection<? extends Callable<T>> tasks, long timeoutNanos)
      throws InterruptedException, ExecutionException, TimeoutException {
    requireNonNull(tasks, "tasks");
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("invokeAny needs at least one task");
    }
    long deadline = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
    LinkedBlockingQueue<TaskFuture<T>> done = new LinkedBlockingQueue<>();
    List<TaskFuture<T>> futures = new ArrayList<>(tasks.size());
    try {
      for (Callable<T> c : tasks) {
        TaskFuture<T> f = submit(requireNonNull(c, "a task in tasks"));
        futures.add(f);
        f.whenComplete((v, t) -> done.add(f));
      }
      ExecutionException last = null;
      for (int i = 0; i < futures.size(); i++) {
        TaskFuture<T> f;
        if (deadline == Long.MAX_VALUE) {
          f = done.take();
        } else {
          f = done.poll(Math.max(0L, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          if (f == null) {
            throw new TimeoutException("invokeAny: no task succeeded within "
                + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
          }
        }
        try {
          return f.get();
        } catch (ExecutionException e) {
          last = e;
        } catch (CancellationException e) {
          last = new ExecutionException(e);
        }
      }
      throw last;
    } finally {
      futures.forEach(f -> f.cancel(true));
    }
  }

  @Override
  public void shutdown() {
    engine.shutdown();
  }

  @Override
  public List<Runnable> shutdownNow() {
    List<Runnable> never = new ArrayList<>();
    for (Job job : engine.shutdownNowReturningQueued()) {
      if (InitializedWork.unwrap(ContextualWork.unwrap(job.work())) instanceof DefaultEngine.TaskWork tw && tw.task() instanceof RunnableWork rw) {
        never.add(rw.runnable());
      } else {
        never.add(new NeverStarted(job));
      }
    }
    return never;
  }

  /** A task that never started, returned by shutdownNow; running it runs the task here. */
  private record NeverStarted(Job job) implements Runnable {
    @Override
    public void run() {
      try {
        job.runWork(new DetachedContext(job));
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }

    @Override
    public String toString() {
      return "never started: " + job.label();
    }
  }

  /** The context of a task run by hand after shutdownNow. */
  private record DetachedContext(Job job) implements TaskContext {
    @Override
    public long taskId() {
      return job.id;
    }

    @Override
    public String taskName() {
      return job.name();
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void progress(double fraction, String message) {}
  }

  @Override
  public boolean isShutdown() {
    return engine.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return engine.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    requireNonNull(unit, "unit");
    return engine.awaitTermination(Duration.ofNanos(unit.toNanos(timeout)));
  }

  @Override
  public void close() {
    engine.close();
  }

  @Override
  public String toString() {
    return "ExecutorService view of " + engine;
  }
}
