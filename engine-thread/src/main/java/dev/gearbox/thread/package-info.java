/**
 * The {@code thread} backend: a fixed pool of platform threads in the engine's JVM.
 *
 * <p><b>Status: internal</b>; only {@link dev.gearbox.thread.ThreadBackendProvider} is public, for
 * {@link java.util.ServiceLoader}. Threads: {@code gearbox.workers} worker threads, each running
 * one attempt at a time and, when the core hands it one, the next attempt directly
 * ({@link dev.gearbox.spi.Attempt#runHere()}); no lock of its own.
 */
package dev.gearbox.thread;
