/**
 * The {@code async} backend: blocking tasks on virtual threads (one per task, with a concurrency
 * limit), and {@link dev.gearbox.AsyncTask} stages driven without a thread waiting on them.
 *
 * <p><b>Status: internal</b>; only {@link dev.gearbox.async.AsyncBackendProvider} is public, for
 * {@link java.util.ServiceLoader}. Threads: a new virtual thread per blocking task; a stage
 * completes on whichever thread its library completes it.
 */
package dev.gearbox.async;
