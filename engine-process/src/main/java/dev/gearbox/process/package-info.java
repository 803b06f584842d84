/**
 * The {@code process} backend: tasks in forked worker JVMs, frames over each worker's stdin and
 * a private named pipe.
 *
 * <p><b>Status: internal.</b> Only {@link dev.gearbox.process.ProcessBackendProvider} (found by
 * {@link java.util.ServiceLoader}) and {@link dev.gearbox.process.WorkerMain} (the worker JVM's
 * entry point) are public, because the JDK needs them to be; applications configure the backend
 * with {@code gearbox.process.*} keys and never use these types.
 *
 * <p>Where to start: {@link dev.gearbox.process.ProcessBackend}'s class comment names every part.
 * Threads and locks: one lock, the {@link dev.gearbox.process.WorkerPool}'s monitor; per worker
 * one pipe-reader thread, two output pumps and commons-exec's waiter; reports on the report
 * executor, never on a reader; no frame written and no attempt reported under the lock.
 */
package dev.gearbox.process;
