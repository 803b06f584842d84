package dev.gearbox;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread waiting for one task's future in {@code get()} or {@code join()}, and the report a
 * remote backend hands it: the thread that hears a remote outcome (a pipe reader) must not report
 * it itself, and the waiting caller has to wake anyway, so it runs the report (decoding the result,
 * settling the job, completing the future) instead of a report executor thread: one hand-off fewer
 * per round trip. Only one waiter at a time takes this path; others wait the
 * {@link java.util.concurrent.CompletableFuture} way.
 *
 * <p>The slot is a field of the future itself ({@code TaskFuture.handoff}, reached through
 * {@link #SLOT}), so that a task costs no object for it. Its states: {@code null} (nobody waits here), the waiting {@link Thread}, or the
 * {@link Runnable} report handed to it. Only {@link #offer} turns a thread into a report; only the
 * waiter turns a report back into itself or leaves, and it never leaves a report behind: every
 * report offered is run exactly once.
 *
 * <p>Thread-safe. The report's effects (the completed future) happen-before the waiter's return.
 */
final class WaiterHandoff {
  private static final Logger log = LoggerFactory.getLogger(WaiterHandoff.class);

  private static final VarHandle SLOT;

  static {
    try {
      SLOT = MethodHandles.lookup().findVarHandle(TaskFuture.class, "handoff", Object.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private WaiterHandoff() {}

  /**
   * Waits until {@code over} holds (the future is done, or its completion has begun and
   * {@link #wake} was called), running the reports handed over meanwhile.
   *
   * @return false, at once, if another thread waits here already (the caller waits another way)
   * @throws InterruptedException if {@code interruptible} and the thread is interrupted first
   */
  static boolean await(TaskFuture<?> future, java.util.function.BooleanSupplier over, boolean interruptible)
      throws InterruptedException {
    Thread me = Thread.currentThread();
    if (!SLOT.compareAndSet(future, null, me)) {
      return false;
    }
    boolean interrupted = false;
    try {
      for (;;) {
        Object s = SLOT.getVolatile(future);
        if (s != me) { // a report handed over: run it, and wait on if it did not end the task (a retry)
          SLOT.setVolatile(future, me);
          run((Runnable) s);
          continue;
        }
        if (over.getAsBoolean() || (interrupted && interruptible)) {
          if (SLOT.compareAndSet(future, me, null)) {
            break;
          }
          continue; // a report arrived meanwhile: run it first
        }
        LockSupport.park(future);
        interrupted |= Thread.interrupted();
      }
    } finally {
      if (interrupted && (!interruptible || over.getAsBoolean())) {
        Thread.currentThread().interrupt();
      }
    }
    if (interrupted && interruptible && !over.getAsBoolean()) {
      throw new InterruptedException();
    }
    return true;
  }

  /**
   * Hands {@code report} to the thread waiting here, if one waits; false if none does (the caller
   * reports another way). Never runs it in the calling thread.
   */
  static boolean offer(TaskFuture<?> future, Runnable report) {
    Object s = SLOT.getVolatile(future);
    if (s instanceof Thread t && SLOT.compareAndSet(future, t, report)) {
      LockSupport.unpark(t);
      return true;
    }
    return false;
  }

  /**
   * Wakes the thread waiting here, if one does: called as the future's completion begins (before
   * its result is set when dependent actions follow, so that the waiter is not held until they
   * have run; else just after). Once is enough: the waiter reads whether the completion has begun
   * after it registered here, the completer this slot after it marked the completion, so one of
   * them sees the other.
   */
  static void wake(TaskFuture<?> future) {
    if (SLOT.getVolatile(future) instanceof Thread t) {
      LockSupport.unpark(t);
    }
  }

  private static void run(Runnable report) {
    try {
      report.run();
    } catch (RuntimeException | Error e) {
      log.warn("Gearbox: a report failed on {}", ThreadNames.of(Thread.currentThread()), e);
    }
  }
}
