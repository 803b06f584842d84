package dev.gearbox.async;

import dev.gearbox.BackendCapabilities;
import dev.gearbox.EngineException;
import dev.gearbox.spi.AsyncWork;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.Execution;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Virtual threads and stages.
 *
 * <ul>
 *   <li>A blocking task gets a virtual thread of its own, which then takes the next attempt the
 *       core hands over (see {@link Attempt#runHere()}) instead of ending, while there is one.
 *   <li>An {@link AsyncWork} is started on a short-lived virtual thread (so a mistakenly blocking
 *       {@code call} cannot stall the engine, and stages that complete at once cannot recurse
 *       through the dispatcher); from then on no thread waits: the stage's completion reports
 *       the attempt, on whichever thread completes the stage. Cancel and timeout cancel the stage.
 * </ul>
 * The concurrency limit is the engine's slot count ({@link #parallelism()}); tasks beyond it wait
 * in the engine's queue, and the engine's {@code queued} counter counts those waits.
 *
 * <p>Memory: a blocked task holds its virtual thread, the core's bookkeeping (the job, which is
 * its future, and the attempt) and one {@link Runner} of 24 bytes (the thread's body, then its
 * link in the list of running threads that {@link #shutdownNow()} interrupts). Threads are
 * unnamed unless {@code gearbox.async.name-prefix} is set, as the JDK's own virtual-thread
 * executor leaves them: a name is a string per thread.
 *
 * <p>Pinning: before JDK 24, a virtual thread that blocks inside {@code synchronized} pins its
 * carrier thread (JEP 491 removed that in 24). The backend logs a warning once when it runs on an
 * older JDK; its own code never blocks while holding a monitor.
 */
final class AsyncBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(AsyncBackend.class);

  private final int limit;
  /** Thread-safe, unlike a Thread.Builder shared between threads. */
  private final java.util.concurrent.ThreadFactory threads;
  /**
   * Virtual threads running blocking work, for shutdownNow: a doubly linked list through the
   * runners themselves (no node or table per thread, unlike a concurrent set), which each thread
   * joins as it begins to run. Guarded by itself.
   */
  private final Head running = new Head(this);
  /** Set once shutdownNow has walked {@link #running}: a runner linked after that interrupts its own thread. Guarded by {@link #running}. */
  private boolean stopped;
  /** Stages in flight, for shutdownNow. */
  private final Set<StageExecution> stages = ConcurrentHashMap.newKeySet();
  private final AtomicLong active = new AtomicLong();
  private final Object idle = new Object();
  private volatile boolean shutdown;

  /** @param namePrefix the prefix of numbered thread names, or null for unnamed threads */
  AsyncBackend(int limit, String namePrefix) {
    this.limit = limit;
    this.threads = namePrefix == null ? Thread.ofVirtual().factory() : Thread.ofVirtual().name(namePrefix, 0).factory();
    if (Runtime.version().feature() < 24) {
      log.warn("Gearbox async backend on JDK {}: a task that blocks inside a synchronized block pins its"
          + " carrier thread until JDK 24 (JEP 491); prefer java.util.concurrent locks in tasks, and"
          + " -Djdk.tracePinnedThreads=full to find pinning", Runtime.version().feature());
    }
  }

  @Override
  public BackendCapabilities capabilities() {
    return BackendCapabilities.inProcess();
  }

  @Override
  public int parallelism() {
    return limit;
  }

  @Override
  public Execution start(Attempt attempt) {
    if (shutdown) {
      throw new RejectedExecutionException("the async backend is shut down");
    }
    if (attempt.work() instanceof AsyncWork work) {
      return startStage(attempt, work);
    }
    Runner r = new Runner(running, attempt); // before the count: nothing between it and the try may throw
    active.incrementAndGet();
    try {
      threads.newThread(r).start(); // counted before it starts: awaitTermination waits for it from now on
    } catch (Throwable e) {
      done();
      throw new RejectedExecutionException("the async backend could not start a virtual thread: " + e, e);
    }
    return Execution.runHere();
  }

  /** The body of a virtual thread: this attempt, then each attempt the core hands over. */
  private void runBlocking(Attempt a) {
    while (a != null) {
      if (a.work() instanceof AsyncWork work) {
        try {
          a.attach(startStage(a, work)); // a stage needs no thread: do not hold this one for it
        } catch (RuntimeException | Error e) {
          a.lost(new EngineException(a.taskId(), a.taskName(), "the async backend could not start it: " + e, e));
        }
        break;
      }
      a = a.runHere();
    }
  }

  private StageExecution startStage(Attempt attempt, AsyncWork work) {
    StageExecution ex = new StageExecution(attempt);
    active.incrementAndGet();
    stages.add(ex);
    try {
      threads.newThread(() -> runStage(attempt, work, ex)).start();
    } catch (Throwable e) {
      ex.finish();
      throw new RejectedExecutionException("the async backend could not start a virtual thread: " + e, e);
    }
    return ex;
  }

  /** Starts the stage on this short-lived thread; from then on the stage's completion reports. */
  private void runStage(Attempt attempt, AsyncWork work, StageExecution ex) {
    CompletableFuture<?> f;
    try {
      if (attempt.isCancelled()) {
        try {
          attempt.failed(new java.util.concurrent.CancellationException("cancelled before it started"));
        } finally {
          ex.finish();
        }
        return;
      }
      ex.bindStarter(Thread.currentThread());
      try {
        attempt.started();
        f = AsyncWork.toFuture(work.start(attempt.context()));
      } finally {
        ex.unbindStarter();
      }
    } catch (Throwable t) {
      try {
        attempt.failed(t);
      } finally {
        ex.finish();
      }
      return;
    }
    ex.stage(f);
    f.whenComplete((v, t) -> {
      // Report first, then count the stage done: awaitTermination must not see 0 while we report.
      try {
        if (t == null) {
          attempt.succeeded(v);
        } else {
          Throwable cause;
          try {
            cause = AsyncWork.unwrap(t);
          } catch (Error e) {
            cause = e;
          }
          attempt.failed(cause);
        }
      } finally {
        ex.finish();
      }
    });
  }

  private void done() {
    if (active.decrementAndGet() == 0) {
      synchronized (idle) {
        idle.notifyAll();
      }
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public void shutdownNow() {
    shutdown = true;
    // Copied under the lock, interrupted outside it: interrupting can take a while (closing a
    // channel the thread blocks in), and every thread starting or ending waits for this lock.
    java.util.List<Thread> toInterrupt = new java.util.ArrayList<>();
    synchronized (running) {
      stopped = true;
      for (Runner r = running.next; r != null; r = r.next) {
        toInterrupt.add((Thread) r.who); // a linked runner holds its thread
      }
    }
    for (Thread t : toInterrupt) {
      t.interrupt();
    }
    for (StageExecution s : stages) {
      s.interrupt(); // cancels the stage, or interrupts a call() still making it
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idle) {
      while (active.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        idle.wait(Math.max(1, left / 1_000_000), 0);
      }
    }
    return true;
  }

  /**
   * A virtual thread running blocking work: its body, then its link in {@link #running}. Three
   * fields (24 bytes), each doing two jobs: until the thread runs, {@link #who} is its first
   * attempt and {@link #prev} the list's head, which leads to the backend; once the thread has
   * linked itself, they are the thread (for shutdownNow) and its predecessor. The links are
   * guarded by the head; the starting values are written before the thread starts.
   */
  private static class Runner implements Runnable {
    /** The first attempt until the thread runs; then the thread. */
    Object who;
    /** The list's head until linked; then the predecessor, or null once unlinked. */
    Runner prev;
    Runner next;

    Runner(Runner head, Attempt first) {
      this.prev = head;
      this.who = first;
    }

    @Override
    public void run() {
      Head head = (Head) prev;
      try {
        try {
          head.backend.runBlocking(link(head)); // no local keeps the first attempt while later ones run
        } finally {
          unlink(head);
        }
      } finally {
        head.backend.done();
      }
    }

    /**
     * Links this runner with its thread, interrupting the thread if shutdownNow has walked the list
     * already; returns the first attempt, which the runner no longer holds.
     */
    private Attempt link(Head head) {
      Attempt first = (Attempt) who;
      boolean stopped;
      synchronized (head) {
        who = Thread.currentThread();
        prev = head;
        next = head.next;
        if (next != null) {
          next.prev = this;
        }
        head.next = this;
        stopped = head.backend.stopped;
      }
      if (stopped) {
        Thread.currentThread().interrupt(); // shutdownNow walked the list before this thread joined it
      }
      return first;
    }

    private void unlink(Head head) {
      synchronized (head) {
        if (!(who instanceof Thread)) {
          return; // link failed before it linked anything
        }
        prev.next = next;
        if (next != null) {
          next.prev = prev;
        }
        prev = null;
        next = null;
      }
    }
  }

  /** The head of {@link #running}: a runner without a thread, leading to the backend. */
  private static final class Head extends Runner {
    final AsyncBackend backend;

    Head(AsyncBackend backend) {
      super(null, null);
      this.backend = backend;
    }
  }

  /** A stage in flight: interrupting it cancels the stage (before or after it exists). */
  private final class StageExecution implements Execution {
    private final Attempt attempt;
    private volatile CompletableFuture<?> stage;
    private volatile boolean interrupted;
    /** The thread running AsyncTask.call, while it runs; guarded by this. */
    private Thread starter;
    private boolean interruptedStarter;
    private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

    StageExecution(Attempt attempt) {
      this.attempt = attempt;
    }

    void stage(CompletableFuture<?> f) {
      stage = f;
      if (interrupted) {
        f.cancel(true);
      }
    }

    synchronized void bindStarter(Thread t) {
      starter = t;
      if (interrupted) {
        interruptedStarter = true;
        t.interrupt();
      }
    }

    synchronized void unbindStarter() {
      starter = null;
      if (interruptedStarter) {
        Thread.interrupted(); // ours, not the task's
      }
    }

    @Override
    public void interrupt() {
      synchronized (this) {
        interrupted = true;
        if (starter != null) {
          interruptedStarter = true;
          starter.interrupt(); // a call() that blocks before returning its stage
        }
      }
      CompletableFuture<?> f = stage;
      if (f != null) {
        f.cancel(true);
      }
    }

    void finish() {
      if (finished.compareAndSet(false, true)) {
        stages.remove(this);
        done();
      }
    }

    @Override
    public String toString() {
      return "stage of " + attempt.taskName();
    }
  }
}
