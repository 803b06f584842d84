package dev.gearbox;

import java.io.Serializable;
import java.util.concurrent.CompletionStage;

/**
 * A task whose body starts non-blocking work and returns its {@link CompletionStage}, such as
 * {@code HttpClient.sendAsync}. Submit it with {@link Engine#submitAsync}.
 *
 * <p>On the {@code async} backend no thread waits for the stage: the task occupies a
 * concurrency slot, not a thread, until the stage completes. On other backends the stage is
 * awaited inside the worker (a worker thread blocks on it), so the caller's code stays the same
 * whatever the level. Cancelling the task, or its timeout, cancels the stage
 * ({@code toCompletableFuture().cancel(true)}): whether that stops the underlying operation is up
 * to whoever made the stage.
 *
 * <p>{@code call} itself must not block; it should only start the operation.
 *
 * @param <T> the result type
 */
@FunctionalInterface
public interface AsyncTask<T> extends Serializable {

  /**
   * Starts the work.
   *
   * @param context this task's context (id, attempt, cancellation, progress)
   * @return the stage that completes with the result, or exceptionally with the task's failure
   * @throws Exception if the work cannot even start; treated like a failed stage
   */
  CompletionStage<T> call(TaskContext context) throws Exception;
}
