package dev.gearbox.spi;

import dev.gearbox.TaskContext;
import java.io.Serializable;

/**
 * The unit a backend runs: a task, or a batch of map inputs, already wrapped by the core.
 * Backends that cross a process boundary serialize it; all implementations the core creates are
 * serializable when the user's task is.
 */
@FunctionalInterface
public interface Work extends Serializable {

  /**
   * Runs the work wherever the backend put it.
   *
   * @param context the context to pass to the user's task
   * @return the result to report with {@link Attempt#succeeded(Object)}
   * @throws Exception the user's failure, to report with {@link Attempt#failed(Throwable)}
   */
  Object run(TaskContext context) throws Exception;
}
