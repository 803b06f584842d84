/**
 * What every remote backend needs, written once: a backend whose tasks leave the engine's JVM
 * (worker processes, cluster members) keeps only where an attempt runs and how it hears back.
 *
 * <ul>
 *   <li>{@link dev.gearbox.spi.remote.SerialCodec}: the default {@link dev.gearbox.spi.Codec}
 *       (filtered JDK serialization), and the validation of the {@code max-payload} and
 *       {@code serial-filter} keys every remote backend has;
 *   <li>{@link dev.gearbox.spi.remote.Payloads}: a task encoded at submit, an outcome decoded into
 *       the attempt's report, one wording of every error;
 *   <li>{@link dev.gearbox.spi.remote.CrashLedger}: poison counting, bounded;
 *   <li>{@link dev.gearbox.spi.remote.RelayedAttempt}: an attempt that passes its outcome on, undecoded
 *       (a cluster member running tasks in worker processes of its own);
 *   <li>{@link dev.gearbox.spi.remote.ReportExecutor}: outcomes are never reported on an I/O thread;
 *   <li>{@link dev.gearbox.spi.remote.ParkedAttempts}: attempts waiting for a slot;
 *   <li>{@link dev.gearbox.spi.remote.MapSettings}: the engine's value formats for code that runs
 *       without an engine (a worker member's own options).
 * </ul>
 *
 * <p><b>Status: internal support for backend modules.</b> Public only because backends live in
 * other modules; not API, and it may change in any release. Applications use {@code dev.gearbox};
 * backend authors implement {@code dev.gearbox.spi}.
 *
 * <p>Threads and locks: each class states its own rules. None calls back into a backend while
 * holding a lock of its own; {@code ParkedAttempts} is guarded by its owner's lock.
 */
package dev.gearbox.spi.remote;
