package dev.gearbox;

import dev.gearbox.spi.AsyncWork;
import dev.gearbox.spi.Work;
import java.util.concurrent.CompletionStage;

/**
 * A task's {@link Work} with its engine's {@link WorkerInitializer}: wherever the work runs, it
 * first takes the worker state of its engine in that JVM ({@link WorkerStates}), made there by the
 * initializer if no task of the engine has run there yet, and hands its task a context whose
 * {@link TaskContext#workerState} returns it. Carrying the initializer with the work (as
 * {@link ContextualWork} carries contexts) is what makes the state reach every place a task can
 * run, a cluster member's worker processes included, with no protocol change; where the engine
 * starts its workers itself, they have made the state before their first task
 * ({@link #start(String, WorkerInitializer)}), and the work finds it.
 *
 * <p>Immutable and thread-safe; serializable when the work and the initializer are.
 */
final class InitializedWork {
  private InitializedWork() {}

  static Work wrap(String key, WorkerInitializer initializer, Work work) {
    return work instanceof AsyncWork async ? new Async(key, initializer, async) : new Sync(key, initializer, work);
  }

  /** The work inside, for code that looks at what the user submitted. */
  static Work unwrap(Work work) {
    if (work instanceof Sync s) {
      return s.work();
    }
    return work instanceof Async a ? a.work() : work;
  }

  /**
   * The work a backend runs once in each worker before its first task
   * ({@link dev.gearbox.spi.BackendSettings#workerStart()}): makes the engine's state there.
   */
  static Work start(String key, WorkerInitializer initializer) {
    return new Start(key, initializer);
  }

  record Start(String key, WorkerInitializer initializer) implements Work {
    private static final long serialVersionUID = 1L;

    @Override
    public Object run(TaskContext context) {
      WorkerStates.stateFor(key, initializer);
      return null;
    }
  }

  record Sync(String key, WorkerInitializer initializer, Work work) implements Work {
    private static final long serialVersionUID = 1L;

    @Override
    public Object run(TaskContext context) throws Exception {
      return work.run(new Stateful(context, WorkerStates.stateFor(key, initializer)));
    }
  }

  record Async(String key, WorkerInitializer initializer, AsyncWork work) implements AsyncWork {
    private static final long serialVersionUID = 1L;

    @Override
    public CompletionStage<?> start(TaskContext context) throws Exception {
      return work.start(new Stateful(context, WorkerStates.stateFor(key, initializer)));
    }
  }

  /** The task's context, with its worker's state. */
  private record Stateful(TaskContext context, Object state) implements TaskContext {
    @Override
    public long taskId() {
      return context.taskId();
    }

    @Override
    public String taskName() {
      return context.taskName();
    }

    @Override
    public int attempt() {
      return context.attempt();
    }

    @Override
    public boolean isCancelled() {
      return context.isCancelled();
    }

    @Override
    public void checkCancelled() {
      context.checkCancelled();
    }

    @Override
    public void progress(double fraction, String message) {
      context.progress(fraction, message);
    }

    @Override
    public <S> S workerState(Class<S> type) {
      if (state != null && !type.isInstance(state)) {
        throw new ClassCastException("task " + taskName() + " asked for its worker's state as " + type.getName()
            + ", but the worker initializer made a " + state.getClass().getName());
      }
      return type.cast(state);
    }
  }
}
