package dev.gearbox.spi.remote;

import java.io.EOFException;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.InvalidObjectException;
import java.io.ObjectInputFilter;
import java.io.Serializable;
import java.io.StreamCorruptedException;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The compact form of {@link SerialCodec}: the shapes that tasks and results most often have,
 * written without JDK serialization, so that a task costs less to encode and decode and a new
 * worker runs no {@code ObjectOutputStream}/{@code ObjectInputStream} code for them.
 *
 * <h2>What it encodes</h2>
 * {@code null}; boxed primitives; {@code String}; {@code byte[]}, {@code int[]}, {@code long[]},
 * {@code double[]} and {@code Object[]} of such values; serializable records whose fields hold
 * such values (the core's task wrappers and map chunks are records); and serializable lambdas
 * capturing such values, as the fields of their {@link SerializedLambda}. Anything else, a value
 * met twice (JDK serialization keeps the identity, this form would not), nesting deeper than the
 * filter allows, a class whose members cannot be reached or loaded here, or more bytes than
 * {@code max-payload} (this form writes a repeated string each time), makes {@link #encode} return
 * {@code null}, and the codec uses JDK serialization for the whole value, with its own errors.
 *
 * <h2>How it is read back</h2>
 * The way JDK serialization reads the same objects: a record through its canonical constructor,
 * a lambda by its capturing class's {@code $deserializeLambda$} (found once per class), which
 * rebuilds only lambdas that class itself defines. Every class loaded goes through the codec's
 * {@link DecodeFilter} before it is used (its class pattern, depth, reference, array and byte
 * limits, with the same words), so what JDK serialization refuses, this form refuses too.
 *
 * <p>Layout: after the codec's tag byte, one value: a kind byte, then its data. Numbers are
 * little-endian; lengths are {@code int}s; strings are UTF-8 (a string that UTF-8 cannot carry
 * exactly, with a lone surrogate, is not encoded here). A record is its class name, a hash of its
 * components' names and types (a reader whose class differs refuses it, as JDK serialization
 * refuses an incompatible class), then its components in order.
 *
 * <p>Stateless and thread-safe; per-class lookups are cached in {@link ClassValue}s.
 */
final class CompactForm {
  /** The codec's first byte for this form; a JDK serialization stream starts with {@code 0xAC}. */
  static final byte TAG = 0x01;

  private static final byte NULL = 0;
  private static final byte TRUE = 1;
  private static final byte FALSE = 2;
  private static final byte BYTE = 3;
  private static final byte SHORT = 4;
  private static final byte CHAR = 5;
  private static final byte INT = 6;
  private static final byte LONG = 7;
  private static final byte FLOAT = 8;
  private static final byte DOUBLE = 9;
  private static final byte STRING = 10;
  private static final byte BYTES = 11;
  private static final byte INTS = 12;
  private static final byte LONGS = 13;
  private static final byte DOUBLES = 14;
  private static final byte OBJECTS = 15;
  private static final byte RECORD = 16;
  private static final byte LAMBDA = 17;

  private CompactForm() {}

  // ---------------------------------------------------------------- per-class lookups

  /*
   * The ClassValues hold JDK types only (Object[], Field[], Method, AtomicInteger): a value whose
   * class came from this codec's loader, cached on a class from a parent loader, would keep this
   * loader alive as long as that class lives.
   */

  /** Where {@link #RECORDS} keeps a record's {@code Field[]}, canonical {@code Constructor} and {@link #shapeHash} ({@code Integer}). */
  private static final int FIELDS = 0;
  private static final int CONSTRUCTOR = 1;
  private static final int HASH = 2;

  /**
   * A serializable record's fields and canonical constructor, both usable from here, and the hash
   * of its components' names and types; else absent.
   */
  private static final ClassValue<Object[]> RECORDS = new ClassValue<>() {
    @Override
    protected Object[] computeValue(Class<?> c) {
      try {
        if (!c.isRecord() || !Serializable.class.isAssignableFrom(c) || declares(c, "writeReplace") || declares(c, "readResolve")) {
          return null;
        }
        RecordComponent[] components = c.getRecordComponents();
        Field[] fields = new Field[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
          fields[i] = c.getDeclaredField(components[i].getName());
          types[i] = components[i].getType();
          if (!fields[i].trySetAccessible()) {
            return null;
          }
        }
        Constructor<?> constructor = c.getDeclaredConstructor(types);
        return constructor.trySetAccessible() ? new Object[] {fields, constructor, shapeHash(components)} : null;
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return null; // LinkageError: a class it names cannot load here
      }
    }
  };

  /**
   * A hash of a record's component names and types, in order: written with each record, so that a
   * reader whose class has other components, or the same ones in another order, refuses it rather
   * than give values to the wrong components.
   */
  private static int shapeHash(RecordComponent[] components) {
    StringBuilder b = new StringBuilder();
    for (RecordComponent rc : components) {
      b.append(rc.getName()).append(' ').append(rc.getType().getName()).append(';');
    }
    return b.toString().hashCode();
  }

  /** Where {@link #LAMBDAS} keeps a lambda class's {@code writeReplace} ({@code Method}) and {@link #REBUILDABLE}. */
  private static final int WRITE_REPLACE = 0;
  /**
   * An {@code AtomicInteger}: 0, not yet known; 1, its capturing class's {@code $deserializeLambda$}
   * is reachable; 2, it is not.
   */
  private static final int REBUILDABLE = 1;

  /** A serializable lambda class: its {@code writeReplace}, and whether its capturing class can rebuild it here; else absent. */
  private static final ClassValue<Object[]> LAMBDAS = new ClassValue<>() {
    @Override
    protected Object[] computeValue(Class<?> c) {
      if (!c.isHidden() || !Serializable.class.isAssignableFrom(c)) {
        return null;
      }
      try {
        Method m = c.getDeclaredMethod("writeReplace");
        return m.getReturnType() == Object.class && m.trySetAccessible() ? new Object[] {m, new AtomicInteger()} : null;
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return null;
      }
    }
  };

  /** A capturing class's {@code $deserializeLambda$}, made accessible; else absent. */
  private static final ClassValue<Method> REBUILDERS = new ClassValue<>() {
    @Override
    protected Method computeValue(Class<?> c) {
      try {
        Method m = c.getDeclaredMethod("$deserializeLambda$", SerializedLambda.class);
        return Modifier.isStatic(m.getModifiers()) && m.trySetAccessible() ? m : null;
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return null;
      }
    }
  };

  private static boolean declares(Class<?> c, String method) {
    try {
      c.getDeclaredMethod(method);
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- encoding

  /**
   * The bytes of {@code value} starting with {@link #TAG}, or {@code null} when this form does not
   * hold it or would take more than {@code maxBytes} (JDK serialization shares repeated strings
   * and objects, this form writes them each time): it stops as soon as it passes the limit.
   */
  static byte[] encode(Object value, int maxBytes) {
    Writer w = new Writer(maxBytes);
    w.buf[w.pos++] = TAG;
    try {
      return w.value(value, 1) ? Arrays.copyOf(w.buf, w.pos) : null;
    } catch (TooLarge e) {
      return null;
    }
  }

  /** Thrown by the writer once it passes its limit; no stack, no message. */
  private static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super(null, null, false, false);
    }
  }

  private static final class Writer {
    private final int maxBytes;
    byte[] buf = new byte[128];
    int pos;

    Writer(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    /** Arrays, records and lambdas written so far; created at the second one. */
    private IdentityHashMap<Object, Boolean> seen;
    private Object first;

    boolean value(Object v, int depth) {
      if (v == null) {
        put(NULL);
        return true;
      }
      if (depth > DecodeFilter.MAX_DEPTH) {
        return false; // deeper than the filter reads back: JDK serialization encodes it, and the filter says so
      }
      Class<?> c = v.getClass();
      if (c == String.class) {
        return string((String) v);
      }
      if (c == Integer.class) {
        put(INT);
        putInt((Integer) v);
      } else if (c == Long.class) {
        put(LONG);
        putLong((Long) v);
      } else if (c == Double.class) {
        put(DOUBLE);
        putLong(Double.doubleToRawLongBits((Double) v));
      } else if (c == Boolean.class) {
        put((Boolean) v ? TRUE : FALSE);
      } else if (c == Float.class) {
        put(FLOAT);
        putInt(Float.floatToRawIntBits((Float) v));
      } else if (c == Byte.class) {
        put(BYTE);
        put((Byte) v);
      } else if (c == Short.class) {
        put(SHORT);
        putInt((Short) v);
      } else if (c == Character.class) {
        put(CHAR);
        putInt((Character) v);
      } else {
        return firstTime(v) && object(v, c, depth);
      }
      return true;
    }

    private boolean object(Object v, Class<?> c, int depth) {
      if (c == byte[].class) {
        byte[] a = (byte[]) v;
        array(BYTES, a.length, 1).put(a);
      } else if (c == int[].class) {
        int[] a = (int[]) v;
        array(INTS, a.length, 4).asIntBuffer().put(a);
      } else if (c == long[].class) {
        long[] a = (long[]) v;
        array(LONGS, a.length, 8).asLongBuffer().put(a);
      } else if (c == double[].class) {
        double[] a = (double[]) v;
        array(DOUBLES, a.length, 8).asDoubleBuffer().put(a);
      } else if (c == Object[].class) {
        Object[] a = (Object[]) v;
        put(OBJECTS);
        putInt(a.length);
        for (Object e : a) {
          if (!value(e, depth + 1)) {
            return false;
          }
        }
      } else if (c.isRecord()) {
        return record(v, c, depth);
      } else if (c.isHidden()) {
        return lambda(v, c, depth);
      } else {
        return false;
      }
      return true;
    }

    private boolean record(Object v, Class<?> c, int depth) {
      Object[] shape = RECORDS.get(c);
      if (shape == null) {
        return false;
      }
      put(RECORD);
      putString(c.getName());
      putInt((Integer) shape[HASH]);
      for (Field f : (Field[]) shape[FIELDS]) {
        Object fieldValue;
        try {
          fieldValue = f.get(v);
        } catch (IllegalAccessException e) {
          return false;
        }
        if (!value(fieldValue, depth + 1)) {
          return false;
        }
      }
      return true;
    }

    private boolean lambda(Object v, Class<?> c, int depth) {
      Object[] shape = LAMBDAS.get(c);
      AtomicInteger rebuildable = shape == null ? null : (AtomicInteger) shape[REBUILDABLE];
      if (shape == null || rebuildable.get() == 2) {
        return false;
      }
      SerializedLambda s;
      try {
        if (!(((Method) shape[WRITE_REPLACE]).invoke(v) instanceof SerializedLambda sl)) {
          return false;
        }
        s = sl;
      } catch (ReflectiveOperationException | RuntimeException e) {
        return false;
      }
      String capturing = s.getCapturingClass().replace('/', '.');
      if (rebuildable.get() == 0) {
        boolean ok;
        try {
          ok = REBUILDERS.get(Class.forName(capturing, false, c.getClassLoader())) != null;
        } catch (ClassNotFoundException | LinkageError e) {
          ok = false;
        }
        rebuildable.set(ok ? 1 : 2);
        if (!ok) {
          return false;
        }
      }
      put(LAMBDA);
      putString(capturing);
      putString(s.getFunctionalInterfaceClass());
      putString(s.getFunctionalInterfaceMethodName());
      putString(s.getFunctionalInterfaceMethodSignature());
      put((byte) s.getImplMethodKind());
      // The implementation is nearly always in the capturing class: an empty name says so.
      putString(s.getImplClass().equals(s.getCapturingClass()) ? "" : s.getImplClass());
      putString(s.getImplMethodName());
      putString(s.getImplMethodSignature());
      putString(s.getInstantiatedMethodType());
      int n = s.getCapturedArgCount();
      putInt(n);
      for (int i = 0; i < n; i++) {
        if (!value(s.getCapturedArg(i), depth + 2)) { // depth + 1: the array of captured values
          return false;
        }
      }
      return true;
    }

    /** False when {@code v} was written before: JDK serialization keeps the identity, this form would not. */
    private boolean firstTime(Object v) {
      if (first == null) {
        first = v;
        return true;
      }
      if (seen == null) {
        seen = new IdentityHashMap<>();
        seen.put(first, Boolean.TRUE);
      }
      return seen.put(v, Boolean.TRUE) == null;
    }

    private boolean string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      if ((b.length != s.length() || contains(b, (byte) '?')) && !new String(b, StandardCharsets.UTF_8).equals(s)) {
        return false; // a lone surrogate, which UTF-8 writes as '?'
      }
      put(STRING);
      putInt(b.length);
      putBytes(b);
      return true;
    }

    private static boolean contains(byte[] b, byte x) {
      for (byte e : b) {
        if (e == x) {
          return true;
        }
      }
      return false;
    }

    /** Writes {@code kind} and {@code n}, and returns a little-endian buffer over the room for {@code n} elements. */
    private ByteBuffer array(byte kind, int n, int size) {
      put(kind);
      putInt(n);
      long bytes = (long) n * size;
      if (bytes > maxBytes) {
        throw new TooLarge();
      }
      room((int) bytes);
      ByteBuffer b = ByteBuffer.wrap(buf, pos, (int) bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
      pos += (int) bytes;
      return b;
    }

    void putString(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      putInt(b.length);
      putBytes(b);
    }

    void putBytes(byte[] b) {
      room(b.length);
      System.arraycopy(b, 0, buf, pos, b.length);
      pos += b.length;
    }

    void put(byte b) {
      room(1);
      buf[pos++] = b;
    }

    void putInt(int v) {
      room(4);
      buf[pos] = (byte) v;
      buf[pos + 1] = (byte) (v >> 8);
      buf[pos + 2] = (byte) (v >> 16);
      buf[pos + 3] = (byte) (v >> 24);
      pos += 4;
    }

    void putLong(long v) {
      putInt((int) v);
      putInt((int) (v >> 32));
    }

    /**
     * Makes room for {@code n} more bytes, or throws {@link TooLarge} when they would pass the
     * limit. The buffer doubles, or when that is not enough (a large array) grows to what is
     * needed plus {@link #SLACK}, so that the few bytes written after an array (the rest of its
     * record) do not double it again.
     */
    private void room(int n) {
      if (n > maxBytes - pos) {
        throw new TooLarge();
      }
      if (buf.length - pos < n) {
        long need = pos + (long) n;
        long size = need > buf.length * 2L ? need + SLACK : buf.length * 2L;
        buf = Arrays.copyOf(buf, (int) Math.min(size, maxBytes));
      }
    }

    private static final int SLACK = 256;
  }

  // ---------------------------------------------------------------- decoding

  /**
   * Reads the value that {@link #encode} wrote, starting after the tag at {@code offset}, through
   * {@code filter}.
   *
   * @throws InvalidClassException naming the limit or class and the key when the filter refuses
   * @throws IOException if the bytes are malformed or a record or lambda cannot be rebuilt
   * @throws ClassNotFoundException if a class it names is not available here
   */
  static Object decode(byte[] data, int offset, DecodeFilter filter) throws IOException, ClassNotFoundException {
    Reader r = new Reader(data, offset, filter);
    Object v = r.value(1);
    r.check(null, -1, 0); // the byte limit (each array's length was checked before it was read)
    if (r.pos != data.length) {
      throw new StreamCorruptedException("compact payload: " + (data.length - r.pos) + " bytes after its value");
    }
    return v;
  }

  static final class Reader implements ObjectInputFilter.FilterInfo {
    private final byte[] d;
    private final int start;
    private final DecodeFilter filter;
    /** The filter's limits, read once: a reference that passes none of them is not asked about. */
    private final long maxReferences;
    private final long maxDepth;
    private final long maxBytes;
    int pos;
    private long references;
    /**
     * The stateless classes (the boxes, {@code SerializedLambda}) the filter allowed in this
     * payload, one bit per value kind ({@link #LAMBDA} for {@code SerializedLambda}).
     */
    private int allowedKinds;
    /** The record and capturing classes the filter allowed in this payload, each once: few, a task's own. */
    private final Set<Class<?>> allowedClasses = new HashSet<>();
    // the FilterInfo of the current check
    private Class<?> infoClass;
    private long infoArrayLength;
    private long infoDepth;

    Reader(byte[] d, int offset, DecodeFilter filter) {
      this.d = d;
      this.start = offset;
      this.pos = offset + 1;
      this.filter = filter;
      this.maxReferences = filter.maxReferences();
      this.maxDepth = filter.maxDepth();
      this.maxBytes = filter.maxBytes();
    }

    Object value(int depth) throws IOException, ClassNotFoundException {
      byte kind = get();
      switch (kind) {
        case NULL:
          return null;
        case TRUE:
        case FALSE:
          checkKind(TRUE, Boolean.class, depth);
          return kind == TRUE;
        case BYTE:
          checkKind(BYTE, Byte.class, depth);
          return get();
        case SHORT:
          checkKind(SHORT, Short.class, depth);
          return (short) getInt();
        case CHAR:
          checkKind(CHAR, Character.class, depth);
          return (char) getInt();
        case INT:
          checkKind(INT, Integer.class, depth);
          return getInt();
        case LONG:
          checkKind(LONG, Long.class, depth);
          return getLong();
        case FLOAT:
          checkKind(FLOAT, Float.class, depth);
          return Float.intBitsToFloat(getInt());
        case DOUBLE:
          checkKind(DOUBLE, Double.class, depth);
          return Double.longBitsToDouble(getLong());
        case STRING:
          reference(depth);
          return getString();
        case BYTES: {
          int n = arrayLength(byte[].class, 1, depth);
          byte[] a = Arrays.copyOfRange(d, pos, pos + n);
          pos += n;
          return a;
        }
        case INTS: {
          int[] a = new int[arrayLength(int[].class, 4, depth)];
          elements(a.length * 4).asIntBuffer().get(a);
          return a;
        }
        case LONGS: {
          long[] a = new long[arrayLength(long[].class, 8, depth)];
          elements(a.length * 8).asLongBuffer().get(a);
          return a;
        }
        case DOUBLES: {
          double[] a = new double[arrayLength(double[].class, 8, depth)];
          elements(a.length * 8).asDoubleBuffer().get(a);
          return a;
        }
        case OBJECTS: {
          Object[] a = new Object[arrayLength(Object[].class, 1, depth)];
          for (int i = 0; i < a.length; i++) {
            a[i] = value(depth + 1);
          }
          return a;
        }
        case RECORD:
          return record(depth);
        case LAMBDA:
          return lambda(depth);
        default:
          throw new StreamCorruptedException("compact payload: unknown value kind " + kind + " at byte " + (pos - 1 - start));
      }
    }

    private Object record(int depth) throws IOException, ClassNotFoundException {
      Class<?> c = load(getString());
      checkClass(c, depth);
      Object[] shape = RECORDS.get(c);
      if (shape == null) {
        throw new InvalidClassException(c.getName(), "not a serializable record whose constructor can be used here");
      }
      int hash = getInt();
      if (hash != (Integer) shape[HASH]) {
        throw new InvalidClassException(c.getName(), "local class incompatible: its record components (names, types or"
            + " order) differ from those of the sender's class");
      }
      Object[] values = new Object[((Field[]) shape[FIELDS]).length];
      for (int i = 0; i < values.length; i++) {
        values[i] = value(depth + 1);
      }
      try {
        return ((Constructor<?>) shape[CONSTRUCTOR]).newInstance(values);
      } catch (InvocationTargetException e) {
        throw rebuildFailed("record " + c.getName(), e.getCause());
      } catch (ReflectiveOperationException | IllegalArgumentException e) {
        throw rebuildFailed("record " + c.getName(), e);
      }
    }

    private Object lambda(int depth) throws IOException, ClassNotFoundException {
      checkKind(LAMBDA, SerializedLambda.class, depth);
      String capturingName = getString();
      Class<?> capturing = load(capturingName);
      checkClass(capturing, depth + 1);
      String fiClass = getString();
      String fiMethod = getString();
      String fiSignature = getString();
      int implKind = get();
      String implClass = getString();
      String implMethod = getString();
      String implSignature = getString();
      String instantiated = getString();
      Object[] captured = new Object[arrayLength(Object[].class, 1, depth + 1)];
      for (int i = 0; i < captured.length; i++) {
        captured[i] = value(depth + 2);
      }
      SerializedLambda s = new SerializedLambda(capturing, fiClass, fiMethod, fiSignature, implKind,
          implClass.isEmpty() ? capturingName.replace('.', '/') : implClass, implMethod, implSignature, instantiated, captured);
      Method rebuild = REBUILDERS.get(capturing);
      if (rebuild == null) {
        throw new InvalidClassException(capturing.getName(), "declares no lambda deserializer usable here ($deserializeLambda$)");
      }
      try {
        return rebuild.invoke(null, s);
      } catch (InvocationTargetException e) {
        throw rebuildFailed("lambda " + implMethod + " of " + capturing.getName(), e.getCause());
      } catch (ReflectiveOperationException | IllegalArgumentException e) {
        throw rebuildFailed("lambda " + implMethod + " of " + capturing.getName(), e);
      }
    }

    private static InvalidObjectException rebuildFailed(String what, Throwable why) {
      InvalidObjectException e = new InvalidObjectException("the " + what + " cannot be rebuilt from its serialized form: " + why);
      e.initCause(why);
      return e;
    }

    /** Classes resolve as {@link SerialCodec} resolves them: the thread's context loader first. */
    private static Class<?> load(String name) throws ClassNotFoundException {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      if (cl != null) {
        try {
          return Class.forName(name, false, cl);
        } catch (ClassNotFoundException e) {
          // fall back to the loader that loaded the codec
        }
      }
      return Class.forName(name, false, CompactForm.class.getClassLoader());
    }

    /** An array's length, checked by the filter and against the bytes left ({@code size} bytes per element at least). */
    private int arrayLength(Class<?> type, int size, int depth) throws IOException {
      int n = getInt();
      if (n < 0) {
        throw new StreamCorruptedException("compact payload: negative array length " + n);
      }
      check(type, n, depth);
      if ((long) n * size > d.length - pos) {
        throw new EOFException("compact payload: an array of " + n + " elements, but only " + (d.length - pos) + " bytes left");
      }
      return n;
    }

    private ByteBuffer elements(int bytes) {
      ByteBuffer b = ByteBuffer.wrap(d, pos, bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
      pos += bytes;
      return b;
    }

    /**
     * A stateless class ({@code kind}'s box, or {@code SerializedLambda}): asked of the filter once
     * per payload; the depth and references every time.
     */
    private void checkKind(byte kind, Class<?> c, int depth) throws InvalidClassException {
      if ((allowedKinds & 1 << kind) != 0) {
        reference(depth);
      } else {
        check(c, -1, depth);
        allowedKinds |= 1 << kind;
      }
    }

    /** A record or capturing class: asked of the filter once per payload; the depth and references every time. */
    private void checkClass(Class<?> c, int depth) throws InvalidClassException {
      if (allowedClasses.contains(c)) {
        reference(depth);
      } else {
        check(c, -1, depth);
        allowedClasses.add(c);
      }
    }

    /** Counts one more reference (a string, or an instance of a class already allowed), refused as the filter would. */
    private void reference(int depth) throws InvalidClassException {
      if (++references > maxReferences || depth > maxDepth || pos - start > maxBytes) {
        check(null, -1, depth); // refuses, saying which limit
      }
    }

    /** The number of classes this reader keeps as allowed (for tests: it must not grow with the payload). */
    int allowedClassCount() {
      return Integer.bitCount(allowedKinds) + allowedClasses.size();
    }

    /** Asks the filter about {@code c} (or only the limits, when null); a refusal says why, naming the key. */
    void check(Class<?> c, long arrayLength, int depth) throws InvalidClassException {
      if (c != null) {
        references++;
      }
      infoClass = c;
      infoArrayLength = arrayLength;
      infoDepth = depth;
      DecodeFilter.takeRejection();
      if (filter.checkInput(this) == ObjectInputFilter.Status.REJECTED) {
        String why = DecodeFilter.takeRejection();
        throw new InvalidClassException("refused by the deserialization filter (REJECTED): "
            + (why == null ? "class " + (c == null ? "?" : c.getName()) : why));
      }
    }

    @Override
    public Class<?> serialClass() {
      return infoClass;
    }

    @Override
    public long arrayLength() {
      return infoArrayLength;
    }

    @Override
    public long depth() {
      return infoDepth;
    }

    @Override
    public long references() {
      return references;
    }

    @Override
    public long streamBytes() {
      return pos - start;
    }

    private byte get() throws EOFException {
      if (pos >= d.length) {
        throw new EOFException("compact payload: ends early, at byte " + (pos - start));
      }
      return d[pos++];
    }

    private int getInt() throws EOFException {
      need(4);
      int v = (d[pos] & 0xff) | (d[pos + 1] & 0xff) << 8 | (d[pos + 2] & 0xff) << 16 | (d[pos + 3] & 0xff) << 24;
      pos += 4;
      return v;
    }

    private long getLong() throws EOFException {
      long lo = getInt() & 0xffffffffL;
      return lo | (long) getInt() << 32;
    }

    private String getString() throws IOException {
      int n = getInt();
      if (n < 0) {
        throw new StreamCorruptedException("compact payload: negative string length " + n);
      }
      need(n);
      String s = new String(d, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    private void need(int n) throws EOFException {
      if (d.length - pos < n) {
        throw new EOFException("compact payload: ends early, at byte " + (pos - start) + " of " + (d.length - start));
      }
    }
  }
}
