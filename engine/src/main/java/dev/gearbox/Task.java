package dev.gearbox;

import java.io.Serializable;

/**
 * A unit of work that returns a value: the engine's equivalent of {@link java.util.concurrent.Callable}.
 *
 * <p>It is {@link Serializable} so that a lambda or method reference can be sent to another
 * process or machine when the configured backend needs that (see
 * {@link BackendCapabilities#requiresSerializable()}). Everything a serializable lambda captures
 * must be serializable too; backends that share memory with the caller never serialize it.
 *
 * <p>Across a process boundary nothing is shared: a task sees copies of what it captured, and
 * side effects on captured objects are not visible to the caller. Return results instead.
 *
 * @param <T> the result type
 * @see ContextTask for a task that wants its id, attempt number, cancellation or progress
 */
@FunctionalInterface
public interface Task<T> extends Serializable {

  /**
   * Runs the task.
   *
   * @return the result, which may be {@code null}
   * @throws Exception any failure; the caller's future fails with this same exception
   */
  T call() throws Exception;
}
