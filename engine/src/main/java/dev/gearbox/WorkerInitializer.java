package dev.gearbox;

import java.io.Serializable;

/**
 * Code that runs once in each worker before it takes its first task, and whose result is that
 * worker's state: a connection pool, a loaded model, a warmed cache. Python's
 * {@code ProcessPoolExecutor(initializer=...)}, Celery's {@code worker_process_init}.
 *
 * <p>A <em>worker</em> is one JVM that runs the engine's tasks, so the state means the same thing
 * on every level:
 * <ul>
 *   <li>{@code thread}, {@code async}, {@code direct}: the engine's own JVM is its one worker. The
 *       initializer runs once, in the thread that calls {@code Engine.open}, before {@code open}
 *       returns; every task of the engine sees the one state.</li>
 *   <li>{@code process}: each worker JVM runs it before it tells the engine it is ready, so before
 *       its first task; a worker started later (a replacement, a recycled one) runs it again.</li>
 *   <li>{@code cluster}: each member runs it once for each engine that sends it tasks, before the
 *       first of them; with {@code gearbox.cluster.isolation=process}, each of the member's worker
 *       JVMs does. The engine's own embedded member runs it at open.</li>
 * </ul>
 * Tasks running at once in one worker share its state, so it must be safe for concurrent use
 * (keep a resource that is not in a {@link ThreadLocal} inside it). Tasks reach it with
 * {@link TaskContext#workerState(Class)}; code that has no context (a {@code map} function) can
 * keep what the initializer made in a static field, which is per worker JVM on the remote levels.
 *
 * <p>It is {@link Serializable}: it travels to worker processes and cluster members with its
 * captured values, like a task, and its class must be on their class path. Configured by
 * {@code EngineConfig.Builder.workerInitializer} or by {@code gearbox.worker.initializer} (a class
 * implementing this interface, with a public no-argument constructor).
 *
 * <p>If it throws, the worker does not start: {@code Engine.open} fails with a
 * {@link WorkerInitializerException} naming the worker and the initializer, with its exception as
 * the cause, where the engine starts its workers at open (every level but a cluster's other members
 * and a member's isolated workers). A worker that fails this way later counts as a worker that
 * cannot start (each backend's README says what follows); where the state is made at the first
 * task (other cluster members, isolated workers), that task, and every later one there, fails with
 * the {@link WorkerInitializerException}, which is not run again in that JVM.
 */
@FunctionalInterface
public interface WorkerInitializer extends Serializable {

  /**
   * Prepares the worker.
   *
   * @return the worker's state, which its tasks reach with {@link TaskContext#workerState(Class)};
   *     may be {@code null}
   * @throws Exception anything: the worker does not start, and the exception is the cause of the
   *     {@link WorkerInitializerException} that says so
   */
  Object initialize() throws Exception;
}
