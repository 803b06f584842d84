/**
 * Gearbox's API: one executor for every concurrency level.
 *
 * <p><b>Status: API.</b> {@link dev.gearbox.Engine}, {@link dev.gearbox.EngineConfig},
 * {@link dev.gearbox.Task}, {@link dev.gearbox.ContextTask}, {@link dev.gearbox.AsyncTask},
 * {@link dev.gearbox.TaskFunction}, {@link dev.gearbox.TaskContext}, {@link dev.gearbox.TaskFuture},
 * {@link dev.gearbox.TaskOptions}, {@link dev.gearbox.MapOptions}, {@link dev.gearbox.RetryPolicy},
 * {@link dev.gearbox.QueueFullPolicy}, {@link dev.gearbox.Channel} and {@link dev.gearbox.Select}
 * (message passing), {@link dev.gearbox.Scope}, {@link dev.gearbox.ScopeOptions} and
 * {@link dev.gearbox.ScopePolicy} (structured concurrency), {@link dev.gearbox.ContextCarrier} and
 * {@link dev.gearbox.CarriedContext} (submitter context restored around tasks),
 * {@link dev.gearbox.EngineSnapshot}, {@link dev.gearbox.MapProgress},
 * {@link dev.gearbox.MapProgressListener} and {@link dev.gearbox.ProgressBar} (seeing what runs), the
 * listener and event types and the exceptions are the
 * public surface. Everything package-private here is the core (admission, queueing, dispatch,
 * deadlines, retries, batching, events, metrics), written once for every backend.
 *
 * <p>Threads: every public type states its thread-safety. An engine is safe to use from any
 * number of threads; listeners run on the engine's event thread, never on a task's thread;
 * a future's dependent actions run in the thread that completes it.
 */
package dev.gearbox;
