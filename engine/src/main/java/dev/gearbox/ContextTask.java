package dev.gearbox;

import java.io.Serializable;

/**
 * A {@link Task} that receives a {@link TaskContext}: its id and attempt number, a cooperative
 * cancellation check, and progress reporting.
 *
 * <p>Lambdas of both kinds can be passed to {@code submit}: Java picks this interface for a
 * one-argument lambda ({@code ctx -> ...}) and {@link Task} for a no-argument one.
 *
 * @param <T> the result type
 */
@FunctionalInterface
public interface ContextTask<T> extends Serializable {

  /**
   * Runs the task.
   *
   * @param context this run's context; valid only while this call runs
   * @return the result, which may be {@code null}
   * @throws Exception any failure; the caller's future fails with this same exception
   */
  T call(TaskContext context) throws Exception;
}
