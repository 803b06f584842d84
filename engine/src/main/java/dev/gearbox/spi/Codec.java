package dev.gearbox.spi;

import java.io.IOException;

/**
 * Turns what crosses a process or machine boundary into bytes and back: tasks ({@link Work}),
 * their results, and the exceptions they throw. A remote backend uses one codec on both sides of
 * its boundary (the engine and its workers or members), configured the same way.
 *
 * <p>Limits are part of the contract: {@link #encode} refuses a value whose bytes exceed
 * {@link #maxBytes()} with a {@link PayloadTooLargeException} that names the configuration key to
 * change, and {@link #decode} refuses input that breaks the codec's limits (size, depth, classes)
 * without running code of a refused class.
 *
 * <p>Implementations are immutable and thread-safe. Encoding and decoding are pure functions of
 * their arguments and the codec's configuration; no state is shared between calls.
 */
public interface Codec {

  /** The largest payload either way, in bytes. */
  int maxBytes();

  /**
   * Encodes a task or a result.
   *
   * @throws java.io.NotSerializableException if {@code value} is or holds something this codec cannot encode;
   *     its message names the class
   * @throws PayloadTooLargeException if the bytes exceed {@link #maxBytes()}
   * @throws IOException for any other failure to encode
   */
  byte[] encode(Object value) throws IOException;

  /**
   * Decodes one value from {@code data}, starting at {@code offset}.
   *
   * @throws ClassNotFoundException if a class it names is not available in this JVM
   * @throws IOException if the bytes are malformed or break the codec's limits
   */
  Object decode(byte[] data, int offset) throws IOException, ClassNotFoundException;

  /**
   * Encodes a task's failure after {@code prefix} so that the other side can rebuild at least
   * its class name, message, stack and causes even when the exception itself cannot travel.
   *
   * @throws IOException if not even a description fits
   */
  byte[] encodeFailure(byte[] prefix, Throwable failure) throws IOException;

  /**
   * Decodes what {@link #encodeFailure} wrote: the task's own exception when it can be rebuilt
   * here, else a {@link dev.gearbox.RemoteTaskException} carrying its description.
   *
   * @throws IOException if the bytes are not an encoded failure
   */
  Throwable decodeFailure(byte[] data, int offset) throws IOException;
}
