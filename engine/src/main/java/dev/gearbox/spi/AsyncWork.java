package dev.gearbox.spi;

import dev.gearbox.TaskContext;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * Work whose body returns a {@link CompletionStage} (an {@link dev.gearbox.AsyncTask}). A backend
 * that can drive stages without a thread calls {@link #start} and reports when the stage
 * completes; any other backend simply calls {@link #run}, which awaits the stage in the calling
 * worker thread and cancels it if that thread is interrupted.
 */
public interface AsyncWork extends Work {

  /** Starts the work; must not block. */
  CompletionStage<?> start(TaskContext context) throws Exception;

  @Override
  default Object run(TaskContext context) throws Exception {
    CompletableFuture<?> f = toFuture(start(context));
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
  }

  /** A stage as a future, even when the stage does not support {@code toCompletableFuture}. */
  static CompletableFuture<?> toFuture(CompletionStage<?> stage) {
    if (stage == null) {
      throw new NullPointerException("the async task returned a null CompletionStage");
    }
    try {
      return stage.toCompletableFuture();
    } catch (UnsupportedOperationException e) {
      CompletableFuture<Object> f = new CompletableFuture<>();
      stage.whenComplete((v, t) -> {
        if (t != null) {
          f.completeExceptionally(t);
        } else {
          f.complete(v);
        }
      });
      return f;
    }
  }

  /** The task's own failure from a stage's failure: strips CompletionException wrappers. */
  static Exception unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof Error err) {
      throw err;
    }
    if (t instanceof Exception ex) {
      return ex;
    }
    return new CancellationException(String.valueOf(t));
  }
}
