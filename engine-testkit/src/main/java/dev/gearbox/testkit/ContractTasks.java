package dev.gearbox.testkit;

import dev.gearbox.AsyncTask;
import dev.gearbox.ContextTask;
import dev.gearbox.Task;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * The tasks the contract suite submits. Each is a serializable lambda made in a static method,
 * so it captures only its arguments (never a test instance) and can run in another JVM.
 */
public final class ContractTasks {
  private ContractTasks() {}

  /** The exception type tasks throw, to check that class and message arrive intact. */
  public static final class ContractFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ContractFailure(String message) {
      super(message);
    }
  }

  public static Task<Integer> value(int v) {
    return () -> v;
  }

  public static Task<Object> nothing() {
    return () -> null;
  }

  public static Task<Object> throwing(String message) {
    return () -> {
      throw new ContractFailure(message);
    };
  }

  public static Task<Object> throwingChecked(String message) {
    return () -> {
      throw new IOException(message);
    };
  }

  /** Raises {@code started-<k>}, waits for {@code release}, returns k. */
  public static Task<Integer> blockUntilReleased(String dir, int k) {
    return () -> {
      Signals.raise(dir, "started-" + k);
      Signals.awaitInTask(dir, "release");
      return k;
    };
  }

  /** Raises {@code started-<k>}; on interrupt raises {@code interrupted-<k>} and rethrows. */
  public static Task<Object> sleepUntilInterrupted(String dir, int k) {
    return () -> {
      Signals.raise(dir, "started-" + k);
      try {
        Signals.awaitInTask(dir, "never");
      } catch (InterruptedException e) {
        Signals.raise(dir, "interrupted-" + k);
        throw e;
      }
      return null;
    };
  }

  /** Ignores interrupts; runs until {@code release}; raises {@code finished-<k>}. */
  public static Task<Object> ignoreInterruptsUntilReleased(String dir, int k) {
    return () -> {
      Signals.raise(dir, "started-" + k);
      Signals.awaitIgnoringInterrupts(dir, "release");
      Signals.raise(dir, "finished-" + k);
      return null;
    };
  }

  /** Polls its cancellation flag (no interrupt needed to notice); raises {@code saw-cancel-<k>}. */
  public static ContextTask<Object> pollCancellation(String dir, int k) {
    return ctx -> {
      Signals.raise(dir, "started-" + k);
      while (!ctx.isCancelled()) {
        java.util.concurrent.locks.LockSupport.parkNanos(Signals.TASK_POLL_MILLIS * 1_000_000L);
      }
      Signals.raise(dir, "saw-cancel-" + k);
      return null;
    };
  }

  /** Appends its name to the {@code order} log. */
  public static Task<String> logOrder(String dir, String name) {
    return () -> {
      Signals.append(dir, "order", name);
      return name;
    };
  }

  /** Fails until attempt {@code succeedOn}; returns the attempt number that succeeded. */
  public static ContextTask<Integer> succeedOnAttempt(int succeedOn) {
    return ctx -> {
      if (ctx.attempt() < succeedOn) {
        throw new ContractFailure("attempt " + ctx.attempt());
      }
      return ctx.attempt();
    };
  }

  /** Always fails, naming the attempt. */
  public static ContextTask<Integer> failEveryAttempt() {
    return ctx -> {
      throw new ContractFailure("attempt " + ctx.attempt());
    };
  }

  /** Attempt 1 waits (interruptibly) forever; later attempts return the attempt number. */
  public static ContextTask<Integer> hangOnFirstAttempt(String dir) {
    return ctx -> {
      if (ctx.attempt() == 1) {
        Signals.awaitInTask(dir, "never");
      }
      return ctx.attempt();
    };
  }

  /** A stage that completes with {@code v} on another thread. */
  public static AsyncTask<Integer> asyncValue(int v) {
    return ctx -> CompletableFuture.supplyAsync(() -> v);
  }

  /** A stage that fails (wrapped in a CompletionException by supplyAsync) with ContractFailure. */
  public static AsyncTask<Object> asyncFailing(String message) {
    return ctx -> CompletableFuture.supplyAsync(() -> {
      throw new ContractFailure(message);
    });
  }

  /** Fails before making a stage. */
  public static AsyncTask<Object> asyncThrowing(String message) {
    return ctx -> {
      throw new IOException(message);
    };
  }

  /** A stage that never completes on its own; raises {@code stage-cancelled-<k>} when cancelled. */
  public static AsyncTask<Object> asyncNeverCompleting(String dir, int k) {
    return ctx -> {
      CompletableFuture<Object> f = new CompletableFuture<>();
      f.whenComplete((v, t) -> {
        if (t instanceof CancellationException) {
          Signals.raise(dir, "stage-cancelled-" + k);
        }
      });
      Signals.raise(dir, "started-" + k);
      return f;
    };
  }

  /** Attempt 1 fails at once; later attempts wait (interruptibly) forever. */
  public static ContextTask<Object> failThenHang(String dir) {
    return ctx -> {
      if (ctx.attempt() == 1) {
        throw new ContractFailure("attempt 1");
      }
      Signals.awaitInTask(dir, "never");
      return null;
    };
  }

  /** Raises {@code started-<k>}, waits for {@code release-<k>}, returns k. */
  public static Task<Integer> blockUntil(String dir, int k) {
    return () -> {
      Signals.raise(dir, "started-" + k);
      Signals.awaitInTask(dir, "release-" + k);
      return k;
    };
  }

  /** Returns "id name attempt" from its context. */
  public static ContextTask<String> describeContext() {
    return ctx -> ctx.taskId() + " " + ctx.taskName() + " " + ctx.attempt();
  }

  public static ContextTask<String> reportProgress() {
    return ctx -> {
      ctx.progress(0.5, "half");
      ctx.progress(1.0, "done");
      return "ok";
    };
  }
}
