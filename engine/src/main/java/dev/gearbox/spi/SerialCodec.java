package dev.gearbox.spi;

import dev.gearbox.RemoteTaskException;
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
 * JDK serialization for backends whose tasks leave the JVM (worker processes, cluster members):
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
public final class SerialCodec {
  /** Gadget chains seen in deserialization attacks; never needed by tasks. */
  public static final String DENIED = "!org.apache.commons.collections.functors.**;!org.apache.commons.collections4.functors.**;"
      + "!org.codehaus.groovy.runtime.**;!com.sun.org.apache.xalan.internal.xsltc.trax.**;"
      + "!org.springframework.beans.factory.**;!java.rmi.server.**;!sun.rmi.**;!javax.management.**;"
      + "!com.sun.rowset.**;!org.hibernate.engine.spi.**";

  /** Default largest task, result or exception: 64 MiB. */
  public static final int DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

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
        "maxdepth=200;maxrefs=2000000;maxarray=50000000;maxbytes=" + maxBytes + ";" + this.classPattern);
  }

  /** The largest payload either way. */
  public int maxBytes() {
    return maxBytes;
  }

  /** The class part of the filter in force. */
  public String classPattern() {
    return classPattern;
  }

  /**
   * @throws PayloadTooLargeException if the bytes exceed {@link #maxBytes()}
   * @throws java.io.NotSerializableException if {@code o} is or holds an object that is not serializable
   */
  public byte[] serialize(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    if (bytes.size() > maxBytes) {
      throw new PayloadTooLargeException(bytes.size(), maxBytes, maxBytesKey);
    }
    return bytes.toByteArray();
  }

  /** Reads one object from {@code data} after {@code offset}, through the filter; classes resolve with the thread's context loader first. */
  public Object deserialize(byte[] data, int offset) throws IOException, ClassNotFoundException {
    try (ObjectInputStream in = new FilteredInput(new ByteArrayInputStream(data, offset, data.length - offset), filter)) {
      return in.readObject();
    }
  }

  /** A payload over the configured maximum; the message names the key that sets it. */
  public static final class PayloadTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    PayloadTooLargeException(int size, int max, String key) {
      super("payload of " + size + " bytes exceeds " + key + " (" + max + " bytes)");
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
   * Why bytes could not be read back in this JVM, naming the class when a class is the reason: one
   * missing here, or one whose static initializer fails here (it needs a library, a file or a
   * setting that only the members have).
   */
  public static String whyUnreadable(Throwable t) {
    if (t instanceof ClassNotFoundException) {
      return "class " + t.getMessage() + " is not on this JVM's classpath (" + t + ")";
    }
    if (t instanceof ExceptionInInitializerError) {
      Throwable cause = t.getCause();
      String cls = null;
      for (StackTraceElement f : cause == null ? new StackTraceElement[0] : cause.getStackTrace()) {
        if (f.getMethodName().equals("<clinit>")) {
          cls = f.getClassName();
          break;
        }
      }
      return "the static initializer of " + (cls == null ? "a class it uses" : "class " + cls) + " failed in this JVM ("
          + t + (cause == null ? "" : " caused by " + cause) + "). Its classes and what they need must be usable here too";
    }
    if (t instanceof NoClassDefFoundError) {
      return "a class it uses cannot be loaded in this JVM (" + t + "; 'Could not initialize class' means its static"
          + " initializer failed here earlier). Its classes and what they need must be usable here too";
    }
    return t.toString();
  }

  /**
   * Encodes a task failure after {@code prefix} bytes: the description always, the exception
   * itself when it serializes (and both fit in {@link #maxBytes()}).
   */
  public byte[] encodeFailure(byte[] prefix, Throwable t) throws IOException {
    byte[] described;
    try {
      described = serialize(Described.of(t));
    } catch (PayloadTooLargeException e) {
      // A monstrous message or stack: keep the class and the start of the message.
      String m = String.valueOf(t.getMessage());
      described = serialize(new Described(t.getClass().getName(), m.substring(0, Math.min(m.length(), 1_000)),
          new StackTraceElement[0], null));
    }
    byte[] itself;
    try {
      itself = serialize(t);
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
  public Throwable decodeFailure(byte[] data, int offset) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, offset, data.length - offset));
    int n = in.readInt();
    byte[] described = in.readNBytes(n);
    byte[] itself = in.readAllBytes();
    if (itself.length > 0) {
      try {
        return (Throwable) deserialize(itself, 0);
      } catch (ClassNotFoundException | IOException | ClassCastException | LinkageError e) {
        // fall back to the description; LinkageError: the class is here but cannot load or
        // initialize here (NoClassDefFoundError, ExceptionInInitializerError)
      }
    }
    try {
      return ((Described) deserialize(described, 0)).toException();
    } catch (ClassNotFoundException e) {
      throw new IOException("cannot decode a task failure", e);
    }
  }
}
