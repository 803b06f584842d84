package dev.gearbox.spi.remote;

import dev.gearbox.EngineConfigException;
import dev.gearbox.RemoteTaskException;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.Codec;
import dev.gearbox.spi.PayloadTooLargeException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;

/**
 * The default {@link Codec}: JDK serialization for backends whose tasks leave the JVM (worker processes, cluster members):
 * tasks, results and task exceptions, with an {@link ObjectInputFilter} on every read, on both
 * sides. The filter limits depth, references, array length and bytes, and its class part rejects
 * classes known as deserialization gadgets ({@link #DENIED}) unless the application gives its own
 * pattern (end it with {@code !*} for a strict allow-list, and allow {@code java.**} and
 * {@code dev.gearbox.**}).
 *
 * <p>Exceptions travel twice: as themselves, and as a description (class name, message, stack,
 * causes), so the caller gets at least a {@link RemoteTaskException} with those when the
 * exception's class cannot be serialized, is missing, or cannot initialize on the caller's side.
 *
 * <p>Immutable and thread-safe.
 */
public final class SerialCodec implements Codec {
  /** Gadget chains seen in deserialization attacks; never needed by tasks. */
  public static final String DENIED = "!org.apache.commons.collections.functors.**;!org.apache.commons.collections4.functors.**;"
      + "!org.codehaus.groovy.runtime.**;!com.sun.org.apache.xalan.internal.xsltc.trax.**;"
      + "!org.springframework.beans.factory.**;!java.rmi.server.**;!sun.rmi.**;!javax.management.**;"
      + "!com.sun.rowset.**;!org.hibernate.engine.spi.**";

  /** Default largest task, result or exception: 64 MiB. */
  public static final int DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
  /** The smallest {@code max-payload} a backend accepts. */
  public static final int MIN_MAX_BYTES = 1024;
  /**
   * The largest {@code max-payload} a backend accepts: a frame or envelope adds its own header to
   * the payload, and a Java array holds at most about {@code Integer.MAX_VALUE} bytes.
   */
  public static final int MAX_MAX_BYTES = Integer.MAX_VALUE - (1 << 20);

  private final int maxBytes;
  private final String classPattern;
  private final String maxBytesKey;
  private final ObjectInputFilter filter;

  /**
   * @param maxBytes the largest payload either way
   * @param classPattern the class part of the filter ({@code null} or blank: {@link #DENIED})
   * @param maxBytesKey the configuration key that sets {@code maxBytes}, named when a payload is too large
   * @throws IllegalArgumentException if {@code classPattern} is not a valid filter pattern
   */
  public SerialCodec(int maxBytes, String classPattern, String maxBytesKey) {
    this.maxBytes = maxBytes;
    this.maxBytesKey = maxBytesKey;
    this.classPattern = classPattern == null || classPattern.isBlank() ? DENIED : classPattern;
    this.filter = ObjectInputFilter.Config.createFilter(
        "maxdepth=200;maxrefs=2000000;maxarray=" + maxBytes + ";maxbytes=" + maxBytes + ";" + this.classPattern);
  }

  /**
   * The codec a remote backend configures from its {@code max-payload} and {@code serial-filter}
   * keys: one wording, on every backend, of what is wrong with either.
   *
   * @throws EngineConfigException naming the key whose value is unusable
   */
  public static SerialCodec configured(BackendSettings settings, String maxPayloadKey, String filterKey) {
    return create(maxPayload(settings, maxPayloadKey), settings.get(filterKey).orElse(null), maxPayloadKey, filterKey);
  }

  /**
   * A codec from values already read (a member that parsed its own options).
   *
   * @throws EngineConfigException naming {@code filterKey} if {@code classPattern} is not a filter pattern
   */
  public static SerialCodec create(int maxBytes, String classPattern, String maxPayloadKey, String filterKey) {
    try {
      return new SerialCodec(maxBytes, classPattern, maxPayloadKey);
    } catch (IllegalArgumentException e) {
      throw new EngineConfigException(filterKey, filterKey + "=" + classPattern + " is not a valid ObjectInputFilter pattern: "
          + e.getMessage() + " (expected patterns such as com.example.**;!*, separated by ';')");
    }
  }

  /**
   * Reads a {@code max-payload} key: a size from {@link #MIN_MAX_BYTES} to {@link #MAX_MAX_BYTES}
   * ({@link #DEFAULT_MAX_BYTES} when unset). Every remote backend validates it here, the same way.
   *
   * @throws EngineConfigException naming the key if the value is malformed or out of range
   */
  public static int maxPayload(BackendSettings settings, String key) {
    long n = settings.getSize(key, DEFAULT_MAX_BYTES);
    if (n < MIN_MAX_BYTES || n > MAX_MAX_BYTES) {
      throw new EngineConfigException(key, key + "=" + settings.get(key).orElse(Long.toString(n)) + " is not valid: expected a"
          + " size from 1k to " + (MAX_MAX_BYTES >> 20) + "m");
    }
    return (int) n;
  }

  @Override
  public int maxBytes() {
    return maxBytes;
  }

  /** The class part of the filter in force. */
  public String classPattern() {
    return classPattern;
  }

  @Override
  public byte[] encode(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    if (bytes.size() > maxBytes) {
      throw new PayloadTooLargeException(bytes.size(), maxBytes, maxBytesKey);
    }
    return bytes.toByteArray();
  }

  /** Reads through the filter; classes resolve with the thread's context loader first. */
  @Override
  public Object decode(byte[] data, int offset) throws IOException, ClassNotFoundException {
    try (ObjectInputStream in = new FilteredInput(new ByteArrayInputStream(data, offset, data.length - offset), filter)) {
      return in.readObject();
    }
  }

  /** Resolves classes with the thread's context loader first (the application's classes). */
  private static final class FilteredInput extends ObjectInputStream {
    FilteredInput(InputStream in, ObjectInputFilter filter) throws IOException {
      super(in);
      setObjectInputFilter(filter);
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      if (cl != null) {
        try {
          return Class.forName(desc.getName(), false, cl);
        } catch (ClassNotFoundException e) {
          // fall back to the default lookup below
        }
      }
      return super.resolveClass(desc);
    }
  }

  // ---------------------------------------------------------------- exceptions

  /** What survives of an exception whatever its class: name, message, stack, causes. */
  record Described(String className, String message, StackTraceElement[] stack, Described cause) implements Serializable {
    static Described of(Throwable t) {
      return of(t, 0);
    }

    private static Described of(Throwable t, int depth) {
      Throwable c = t.getCause();
      return new Described(t.getClass().getName(), t.getMessage(), t.getStackTrace(),
          c != null && c != t && depth < 20 ? of(c, depth + 1) : null);
    }

    RemoteTaskException toException() {
      return new RemoteTaskException(className, message, stack, cause == null ? null : cause.toException());
    }
  }

  /**
   * Encodes a task failure after {@code prefix} bytes: the description always, the exception
   * itself when it serializes (and both fit in {@link #maxBytes()}).
   */
  @Override
  public byte[] encodeFailure(byte[] prefix, Throwable t) throws IOException {
    byte[] described;
    try {
      described = encode(Described.of(t));
    } catch (PayloadTooLargeException e) {
      // A monstrous message or stack: keep the class and the start of the message.
      String m = String.valueOf(t.getMessage());
      described = encode(new Described(t.getClass().getName(), m.substring(0, Math.min(m.length(), 1_000)),
          new StackTraceElement[0], null));
    }
    byte[] itself;
    try {
      itself = encode(t);
    } catch (NotSerializableException | InvalidClassException | PayloadTooLargeException e) {
      itself = new byte[0];
    } catch (RuntimeException | StackOverflowError e) {
      itself = new byte[0]; // a writeObject that misbehaves: the description still travels
    }
    if (described.length + itself.length > maxBytes) {
      itself = new byte[0];
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(prefix.length + described.length + itself.length + 4);
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(prefix);
    out.writeInt(described.length);
    out.write(described);
    out.write(itself);
    return bytes.toByteArray();
  }

  /** The task's own exception if it can be rebuilt here, else a {@link RemoteTaskException}. */
  @Override
  public Throwable decodeFailure(byte[] data, int offset) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, offset, data.length - offset));
    int n = in.readInt();
    byte[] described = in.readNBytes(n);
    byte[] itself = in.readAllBytes();
    if (itself.length > 0) {
      try {
        return (Throwable) decode(itself, 0);
      } catch (ClassNotFoundException | IOException | ClassCastException | LinkageError e) {
        // fall back to the description; LinkageError: the class is here but cannot load or
        // initialize here (NoClassDefFoundError, ExceptionInInitializerError)
      }
    }
    try {
      return ((Described) decode(described, 0)).toException();
    } catch (ClassNotFoundException e) {
      throw new IOException("cannot decode a task failure", e);
    }
  }
}
