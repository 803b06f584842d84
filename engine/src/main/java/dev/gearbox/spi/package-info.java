/**
 * The backend SPI: what a concurrency level implements to plug into the engine.
 *
 * <p><b>Status: SPI.</b> Stable for backend authors within a minor version; applications never
 * need it. Contracts only: {@link dev.gearbox.spi.BackendProvider} (found by name with
 * {@link java.util.ServiceLoader}), {@link dev.gearbox.spi.Backend} (runs attempts and says how
 * they ended), {@link dev.gearbox.spi.Attempt} and {@link dev.gearbox.spi.Execution} (one attempt
 * and the stop ladder's handle on it), {@link dev.gearbox.spi.Work}, {@link dev.gearbox.spi.AsyncWork},
 * {@link dev.gearbox.spi.BackendSettings} and {@link dev.gearbox.spi.Codec}; for channels used by
 * tasks in other JVMs, {@link dev.gearbox.spi.ChannelHost} (the engine side, and which
 * {@link dev.gearbox.spi.ChannelRoute} a handle decoded in a worker takes), with
 * {@link dev.gearbox.spi.ChannelCase} and {@link dev.gearbox.spi.ChannelOutcome}. The helpers that remote
 * backends share live in {@code dev.gearbox.spi.remote}, which is not a contract.
 *
 * <p>Threads and locks: the core calls {@link dev.gearbox.spi.Backend#start} from whichever thread
 * dispatches (a submitter, a worker that just finished, a timer) and never while holding its own
 * lock; a backend may report from any thread, but not from an I/O thread, because reporting runs
 * the caller's dependent actions. Each attempt is reported once; later reports are ignored.
 */
package dev.gearbox.spi;
