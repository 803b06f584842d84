package dev.gearbox.spi.remote;

import dev.gearbox.spi.Attempt;

/**
 * An {@link Attempt} whose outcome goes on to another JVM: a cluster member that runs the tasks it
 * receives in worker processes of its own hands each one to a local backend as an attempt like
 * this, and sends what the worker answered to the engine that submitted it. {@link Payloads}
 * passes such an attempt the outcome as the bytes it came in, instead of decoding it: the
 * relaying JVM never loads the classes of a task's result or exception, and the bytes are decoded
 * once, where the caller is. The backend's other reports ({@link Attempt#lost lost}, and
 * {@link Attempt#failed failed} for what it could not read) arrive as usual.
 *
 * <p>Thread-safety: as {@link Attempt}; the relay methods may be called from any thread, once
 * per attempt at most, and count as its report.
 */
public interface RelayedAttempt extends Attempt {

  /**
   * The work returned a result, encoded by the codec from {@code offset} to the end of {@code data}
   * (what {@link Payloads#reportResult} would have decoded).
   */
  void relayResult(byte[] data, int offset);

  /**
   * The work threw, encoded by {@link dev.gearbox.spi.Codec#encodeFailure} from {@code offset} to
   * the end of {@code data} (what {@link Payloads#reportFailure} would have decoded).
   */
  void relayFailure(byte[] data, int offset);
}
