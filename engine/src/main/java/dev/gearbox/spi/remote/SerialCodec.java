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
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The default {@link Codec}: JDK serialization for backends whose tasks leave the JVM (worker processes, cluster members):
 * tasks, results and task exceptions, with an {@link ObjectInputFilter} on every read, on both
 * sides. The filter limits nesting (200 deep), references (2,000,000), array length and bytes
 * (both {@code max-payload}), and collections that hold each other so much that hashing them
 * would never end (a known denial-of-service shape); its class part rejects classes known as
 * deserialization gadgets ({@link #DENIED}) unless the application gives its own pattern (end it
 * with {@code !*} for a strict allow-list, and allow {@code java.**} and {@code dev.gearbox.**}).
 * A refusal says why and names the key to change. A value too deeply nested to serialize (a long
 * linked chain) fails with an {@link IOException} that says so, not a {@link StackOverflowError}.
 *
 * <p>Values of the common shapes (null, boxes, strings, primitive arrays, and the records and
 * serializable lambdas made of them: a task and its result, mostly) travel in a
 * {@link CompactForm} instead, read back through the same filter; everything else, anything
 * that form cannot rebuild here, and anything whose compact form would pass {@code max-payload}
 * (JDK serialization writes a repeated string once) travels as JDK serialization.
 *
 * <p>Exceptions travel twice: as themselves, and as a description (class name, message, stack,
 * causes), so the caller gets at least a {@link RemoteTaskException} with those when the
 * exception's class cannot be serialized, is missing, or cannot initialize on the caller's side.
 *
 * <p>Immutable and thread-safe.
 */
public final class SerialCodec implements Codec {
  /** The most collections a payload may hold once shared members are counted each time they appear. */
  static final long MAX_EXPANDED = DecodeFilter.MAX_REFERENCES;
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
  private final DecodeFilter filter;

  /**
   * @param maxBytes the largest payload either way
   * @param classPattern the class part of the filter ({@code null} or blank: {@link #DENIED})
   * @param maxBytesKey the configuration key that sets {@code maxBytes}, named when a payload is too large
   * @param filterKey the configuration key that sets {@code classPattern}, named when a class is refused
   * @throws IllegalArgumentException if {@code classPattern} is not a valid filter pattern
   */
  public SerialCodec(int maxBytes, String classPattern, String maxBytesKey, String filterKey) {
    this.maxBytes = maxBytes;
    this.maxBytesKey = maxBytesKey;
    this.classPattern = classPattern == null || classPattern.isBlank() ? DENIED : classPattern;
    this.filter = new DecodeFilter(this.classPattern, maxBytes, maxBytesKey, filterKey);
  }

  /** A codec whose keys are {@code maxBytesKey} and the {@code serial-filter} key beside it. */
  public SerialCodec(int maxBytes, String classPattern, String maxBytesKey) {
    this(maxBytes, classPattern, maxBytesKey, maxBytesKey.endsWith("max-payload")
        ? maxBytesKey.substring(0, maxBytesKey.length() - "max-payload".length()) + "serial-filter" : "the serial-filter key");
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
      return new SerialCodec(maxBytes, classPattern, maxPayloadKey, filterKey);
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

  /**
   * The {@link CompactForm} of {@code o} when it has one (tasks and results of the common shapes),
   * else JDK serialization; the first byte says which.
   */
  @Override
  public byte[] encode(Object o) throws IOException {
    byte[] compact = CompactForm.encode(o, maxBytes);
    if (compact != null) {
      return compact;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    } catch (StackOverflowError e) {
      // JDK serialization recurses once per level of nesting: a long linked chain overflows it.
      throw new IOException("it is nested too deeply to serialize (JDK serialization recurses once per level, so a linked"
          + " list or tree thousands of levels deep overflows the thread's stack): send a flatter structure, such as"
          + " an array or an ArrayList, or give threads a larger stack (-Xss)");
    }
    if (bytes.size() > maxBytes) {
      throw new PayloadTooLargeException(bytes.size(), maxBytes, maxBytesKey);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads through the filter; classes resolve with the thread's context loader first. What the
   * filter refuses fails with an {@link InvalidClassException} that says why and names the key.
   */
  @Override
  public Object decode(byte[] data, int offset) throws IOException, ClassNotFoundException {
    if (offset < data.length && data[offset] == CompactForm.TAG) {
      return CompactForm.decode(data, offset, filter);
    }
    DecodeFilter.takeRejection();
    try (ObjectInputStream in = new FilteredInput(new ByteArrayInputStream(data, offset, data.length - offset), filter)) {
      return in.readObject();
    } catch (InvalidClassException e) {
      String why = DecodeFilter.takeRejection();
      if (why == null) {
        throw e;
      }
      InvalidClassException refused = new InvalidClassException("refused by the deserialization filter (REJECTED): " + why);
      refused.initCause(e);
      throw refused;
    }
  }

  /**
   * Resolves classes with the thread's context loader first (the application's classes), and
   * refuses collections that share their elements so much that hashing or comparing them would
   * never end. Such a payload (sets holding the same two sets at every level, a few hundred
   * objects) passes every size limit, yet reading it computes hash codes 2^depth times. Each
   * collection or map read is given its expanded size (itself plus the expanded sizes of the
   * collections it holds, counted as a tree), and one above {@link #MAX_EXPANDED} is refused
   * before the collection that holds it hashes it: without sharing the expanded size cannot pass
   * the filter's reference limit, so only this shape is refused.
   */
  private static final class FilteredInput extends ObjectInputStream {
    private final IdentityHashMap<Object, Long> expanded = new IdentityHashMap<>();

    FilteredInput(InputStream in, ObjectInputFilter filter) throws IOException {
      super(in);
      setObjectInputFilter(filter);
      enableResolveObject(true);
    }

    @Override
    protected Object resolveObject(Object obj) throws IOException {
      if (obj instanceof Collection<?> || obj instanceof Map<?, ?>) {
        long size = 1;
        try {
          if (obj instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
              size = Math.addExact(size, Math.addExact(expandedSize(e.getKey()), expandedSize(e.getValue())));
            }
          } else {
            for (Object e : (Collection<?>) obj) {
              size = Math.addExact(size, expandedSize(e));
            }
          }
        } catch (ArithmeticException e) {
          size = Long.MAX_VALUE;
        } catch (RuntimeException e) {
          return obj; // a collection that cannot be iterated here is not one this shape can be made of
        }
        if (size > MAX_EXPANDED) {
          throw new InvalidObjectException("refused: its collections hold each other so that, expanded, they count more"
              + " than " + MAX_EXPANDED + " collections (" + obj.getClass().getName() + " at the top); hashing or comparing"
              + " them would take for ever. This shape is a known denial-of-service payload; send the data without"
              + " collections that share their members at every level");
        }
        expanded.put(obj, size);
      }
      return obj;
    }

    private long expandedSize(Object element) {
      Long n = element == null ? null : expanded.get(element);
      return n == null ? 0 : n;
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
