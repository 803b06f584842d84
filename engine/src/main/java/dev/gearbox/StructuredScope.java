package dev.gearbox;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The {@link Scope} of every engine: children are futures of {@link Engine#submit}, stopped with
 * {@code cancel(true)}, so a scope needs nothing from a backend.
 *
 * <p>States: OPEN, then possibly shut down (one {@link Shutdown} reason, set once: a child failed
 * under fail-fast, the deadline passed, or the enclosing scope shut down), then CLOSED. Shutting
 * down cancels the unfinished children and the nested scopes' children; it is decided under
 * {@link #lock} and acted on after releasing it, since cancelling completes futures and runs their
 * dependent actions. Child completions arrive on whatever thread completes the future (a backend's
 * thread); they only decide and cancel.
 *
 * <p>Nesting follows the opening thread: {@link #CURRENT} holds the innermost open scope of each
 * thread, and a scope opened while one is current is nested in it.
 */
final class StructuredScope<T> implements Scope<T> {

  /** Schedules an action after a delay; returns what cancels it. */
  interface Timer {
    Runnable schedule(Runnable action, Duration delay);
  }

  private enum Shutdown { FAILED, EXPIRED, ENCLOSING_SHUT_DOWN }

  private static final AtomicLong SEQUENCE = new AtomicLong();
  private static final ThreadLocal<StructuredScope<?>> CURRENT = new ThreadLocal<>();

  private final Engine engine;
  private final String name;
  private final ScopePolicy policy;
  private final boolean confined;
  private final Thread owner = Thread.currentThread();
  private final StructuredScope<?> enclosing;
  /** The deadline in System.nanoTime() terms, or 0 for none (own or enclosing, whichever is earlier). */
  private final long deadlineNanos;
  /** The deadline as the user set it, for messages: this scope's own, or the enclosing one's. */
  private final String deadlineSource;

  private final Object lock = new Object();
  /** Guarded by lock. */
  private final List<TaskFuture<? extends T>> children = new ArrayList<>();
  /** Open scopes nested in this one. Guarded by lock. */
  private final List<StructuredScope<?>> nested = new ArrayList<>();
  /** Why the scope shut down, or null while it has not. Guarded by lock. */
  private Shutdown shutdown;
  /** The failure that shut it down (fail-fast), or the enclosing scope's name. Guarded by lock. */
  private Throwable trigger;
  private String shutdownBy;
  /** Guarded by lock. */
  private boolean closed;
  /** Cancels this scope's own deadline timer; set once in open. */
  private Runnable cancelDeadline = () -> { };

  private StructuredScope(Engine engine, ScopeOptions options, StructuredScope<?> enclosing) {
    this.engine = engine;
    this.name = options.name().orElseGet(() -> "scope-" + SEQUENCE.incrementAndGet());
    this.policy = options.policy();
    this.confined = options.confined();
    this.enclosing = enclosing;
    long own = options.timeout().map(d -> System.nanoTime() + Channel.saturatedNanos(d)).orElse(0L);
    long inherited = enclosing == null ? 0 : enclosing.deadlineNanos;
    if (inherited != 0 && (own == 0 || inherited - own <= 0)) {
      this.deadlineNanos = inherited;
      this.deadlineSource = enclosing.deadlineSource;
    } else {
      this.deadlineNanos = own;
      this.deadlineSource = options.timeout().map(d -> "scope '" + name + "' (" + d + ")").orElse(null);
    }
  }

  /** Opens a scope in the calling thread, nested in the scope that thread holds open, if any. */
  static <T> StructuredScope<T> open(Engine engine, ScopeOptions options, Timer timer) {
    requireNonNull(options, "options");
    StructuredScope<?> enclosing = CURRENT.get();
    StructuredScope<T> scope = new StructuredScope<>(engine, options, enclosing);
    boolean ownDeadline = scope.deadlineNanos != 0 && (enclosing == null || scope.deadlineNanos != enclosing.deadlineNanos);
    if (enclosing != null) {
      enclosing.adopt(scope);
    }
    if (ownDeadline) {
      scope.cancelDeadline = timer.schedule(() -> scope.shutDown(Shutdown.EXPIRED, null, null),
          Duration.ofNanos(Math.max(0, scope.deadlineNanos - System.nanoTime())));
    }
    CURRENT.set(scope);
    return scope;
  }

  private void adopt(StructuredScope<?> inner) {
    Shutdown already;
    synchronized (lock) {
      nested.add(inner);
      already = shutdown;
    }
    if (already != null) {
      inner.shutDown(already == Shutdown.EXPIRED ? Shutdown.EXPIRED : Shutdown.ENCLOSING_SHUT_DOWN, null, name);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public <U extends T> TaskFuture<U> fork(Task<U> task) {
    return fork(task, TaskOptions.defaults());
  }

  @Override
  public <U extends T> TaskFuture<U> fork(Task<U> task, TaskOptions options) {
    return add(() -> engine.submit(requireNonNull(task, "task"), requireNonNull(options, "options")));
  }

  @Override
  public <U extends T> TaskFuture<U> fork(ContextTask<U> task) {
    return fork(task, TaskOptions.defaults());
  }

  @Override
  public <U extends T> TaskFuture<U> fork(ContextTask<U> task, TaskOptions options) {
    return add(() -> engine.submit(requireNonNull(task, "task"), requireNonNull(options, "options")));
  }

  private <U extends T> TaskFuture<U> add(Supplier<TaskFuture<U>> submit) {
    if (confined) {
      checkOwner("fork");
    }
    synchronized (lock) {
      checkForkable();
    }
    TaskFuture<U> child = submit.get();
    boolean refused;
    synchronized (lock) {
      refused = closed || shutdown != null;
      if (!refused) {
        children.add(child);
      }
    }
    if (refused) { // closed or shut down while the task was being submitted
      child.cancel(true);
      synchronized (lock) {
        checkForkable();
      }
    }
    child.whenComplete((v, t) -> {
      if (t != null && policy == ScopePolicy.FAIL_FAST) {
        shutDown(Shutdown.FAILED, t, null);
      }
    });
    return child;
  }

  /** Throws if no child may be forked now. Called under lock. */
  private void checkForkable() {
    if (closed) {
      throw new IllegalStateException("scope '" + name + "' is closed: fork its children before closing it");
    }
    if (shutdown != null) {
      throw new IllegalStateException("scope '" + name + "' has shut down (" + describeShutdown()
          + "): it starts no more children", trigger);
    }
  }

  private String describeShutdown() {
    return switch (shutdown) {
      case FAILED -> "a child failed: " + trigger;
      case EXPIRED -> "the deadline of " + deadlineSource + " passed";
      case ENCLOSING_SHUT_DOWN -> "its enclosing scope '" + shutdownBy + "' shut down";
    };
  }

  /**
   * Shuts the scope down for {@code why}, once: cancels the unfinished children, and shuts the
   * nested scopes down too. A later reason changes nothing.
   */
  private void shutDown(Shutdown why, Throwable failure, String by) {
    List<TaskFuture<? extends T>> unfinished;
    List<StructuredScope<?>> inner;
    synchronized (lock) {
      if (shutdown != null || closed) {
        return;
      }
      shutdown = why;
      trigger = failure;
      shutdownBy = by;
      unfinished = children.stream().filter(f -> !f.isDone()).toList();
      inner = List.copyOf(nested);
    }
    cancelDeadline.run();
    for (TaskFuture<? extends T> f : unfinished) {
      f.cancel(true);
    }
    for (StructuredScope<?> s : inner) {
      s.shutDown(why == Shutdown.EXPIRED ? Shutdown.EXPIRED : Shutdown.ENCLOSING_SHUT_DOWN, null, name);
    }
  }

  @Override
  public List<T> join() throws InterruptedException, ExecutionException, TimeoutException {
    checkOwner("join");
    for (int i = 0; ; i++) {
      TaskFuture<? extends T> child;
      synchronized (lock) {
        if (closed) {
          throw new IllegalStateException("scope '" + name + "' is closed: join it inside its try block");
        }
        if (i >= children.size()) {
          break;
        }
        child = children.get(i);
      }
      try {
        child.get(); // get(), not a timed wait: the engine's check for waits that can never end applies
      } catch (ExecutionException | CancellationException e) {
        // judged below, with the others
      }
    }
    return outcome();
  }

  private List<T> outcome() throws ExecutionException, TimeoutException {
    List<TaskFuture<? extends T>> all;
    Shutdown why;
    Throwable first;
    synchronized (lock) {
      all = List.copyOf(children);
      why = shutdown;
      first = trigger;
    }
    if (why == Shutdown.EXPIRED) {
      long cancelled = all.stream().filter(Future::isCancelled).count();
      throw new TimeoutException("scope '" + name + "': the deadline of " + deadlineSource + " passed; "
          + cancelled + " of " + all.size() + " children were cancelled");
    }
    if (why == Shutdown.ENCLOSING_SHUT_DOWN) {
      throw new CancellationException("scope '" + name + "' was shut down by its enclosing scope '" + shutdownBy + "'");
    }
    List<T> results = new ArrayList<>(all.size());
    List<Throwable> others = new ArrayList<>();
    int failed = 0;
    for (TaskFuture<? extends T> f : all) {
      switch (f.state()) {
        case SUCCESS -> results.add(f.resultNow());
        case FAILED -> {
          failed++;
          Throwable t = f.exceptionNow();
          if (first == null) {
            first = t;
          } else if (t != first) {
            others.add(t);
          }
        }
        case CANCELLED -> {
          if (why == null) { // cancelled from outside the scope: a failure
            failed++;
            CancellationException c = new CancellationException("child " + f.taskName() + " of scope '" + name + "' was cancelled");
            if (first == null) {
              first = c;
            } else {
              others.add(c);
            }
          }
        }
        case RUNNING -> throw new IllegalStateException("scope '" + name + "': child " + f.taskName() + " still running after join");
      }
    }
    if (first != null) {
      ExecutionException e = new ExecutionException("scope '" + name + "': " + Math.max(failed, 1) + " of " + all.size()
          + " children failed" + (policy == ScopePolicy.FAIL_FAST ? "; the first failure cancelled the others" : "")
          + ": " + first, first);
      others.forEach(e::addSuppressed);
      throw e;
    }
    return Collections.unmodifiableList(results);
  }

  @Override
  public void close() {
    checkOwner("close");
    List<StructuredScope<?>> leftOpen;
    synchronized (lock) {
      if (closed) {
        return;
      }
      leftOpen = List.copyOf(nested);
    }
    for (int i = leftOpen.size() - 1; i >= 0; i--) {
      leftOpen.get(i).close();
    }
    List<TaskFuture<? extends T>> all;
    synchronized (lock) {
      closed = true;
      all = List.copyOf(children);
    }
    cancelDeadline.run();
    for (TaskFuture<? extends T> f : all) {
      if (!f.isDone()) {
        f.cancel(true);
      }
    }
    boolean interrupted = false;
    for (TaskFuture<? extends T> f : all) {
      while (!f.isDone()) {
        try {
          f.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException | CancellationException e) {
          break;
        }
      }
    }
    if (CURRENT.get() == this) {
      if (enclosing == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(enclosing);
      }
    }
    if (enclosing != null) {
      enclosing.release(this);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (!leftOpen.isEmpty()) {
      throw new IllegalStateException("scope '" + name + "' was closed while its nested scope '"
          + leftOpen.get(0).name + "' was open; that one was closed first (close scopes in the reverse order of opening)");
    }
  }

  private void release(StructuredScope<?> inner) {
    synchronized (lock) {
      nested.remove(inner);
    }
  }

  private void checkOwner(String what) {
    if (Thread.currentThread() != owner) {
      throw new WrongThreadException(what + " on scope '" + name + "' from thread '" + ThreadNames.of(Thread.currentThread())
          + "': the scope belongs to thread '" + ThreadNames.of(owner) + "', which opened it"
          + ("fork".equals(what) ? " (ScopeOptions.newBuilder().confined(false) lets other threads fork)" : ""));
    }
  }

  @Override
  public String toString() {
    return "Scope[" + name + ", " + policy + "]";
  }
}
