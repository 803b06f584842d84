package dev.gearbox;

import java.util.Iterator;

/**
 * Packs a chunk of boxed numbers into a primitive array for the trip to another process, and
 * back. JDK serialization writes an {@code Integer[]} element by element, with a handle for each
 * object; an {@code int[]} is one block. Used only by backends that serialize work, and only
 * when every element has the same boxed type; anything else travels as it is.
 *
 * <p>A chunk is an {@code Object[]} or an {@code int[]}, {@code long[]} or {@code double[]};
 * {@link #length} and {@link #get} read either. Stateless.
 */
final class Packed {
  private static final Object[] EMPTY = {};

  private Packed() {}

  /**
   * Up to {@code n} values from {@code source}, as {@link #pack} would make them of the same
   * values (when {@code pack} is set and {@code n > 1}) or an {@code Object[]}, trimmed to the
   * values read: empty when the source has none left. Reads straight into the primitive array,
   * without an {@code Object[]} in between; what {@code source} throws passes through.
   */
  static Object read(Iterator<?> source, int n, boolean pack) {
    if (!source.hasNext()) {
      return EMPTY;
    }
    Object first = source.next();
    Object chunk = pack && n > 1 ? arrayFor(first, n) : null;
    if (chunk == null) {
      chunk = new Object[n];
    }
    store(chunk, 0, first);
    int k = 1;
    while (k < n && source.hasNext()) {
      Object x = source.next();
      if (!store(chunk, k, x)) {
        return rest(source, n, chunk, k, x);
      }
      k++;
    }
    return k < n ? trim(chunk, k) : chunk;
  }

  /** An {@code int[]}, {@code long[]} or {@code double[]} of length {@code n} when {@code first} is such a box; else null. */
  private static Object arrayFor(Object first, int n) {
    if (first instanceof Integer) {
      return new int[n];
    }
    if (first instanceof Long) {
      return new long[n];
    }
    return first instanceof Double ? new double[n] : null;
  }

  /** Puts {@code x} at {@code i} of a chunk; false, storing nothing, when a packed chunk cannot hold it. */
  private static boolean store(Object chunk, int i, Object x) {
    if (chunk instanceof int[] a) {
      if (x instanceof Integer v) {
        a[i] = v;
        return true;
      }
      return false;
    }
    if (chunk instanceof long[] a) {
      if (x instanceof Long v) {
        a[i] = v;
        return true;
      }
      return false;
    }
    if (chunk instanceof double[] a) {
      if (x instanceof Double v) {
        a[i] = v;
        return true;
      }
      return false;
    }
    ((Object[]) chunk)[i] = x;
    return true;
  }

  /** The first {@code k} values of a chunk, in an array of its type. */
  private static Object trim(Object chunk, int k) {
    Object t = java.lang.reflect.Array.newInstance(chunk.getClass().getComponentType(), k);
    System.arraycopy(chunk, 0, t, 0, k);
    return t;
  }

  /**
   * The chunk as an {@code Object[]}: the {@code k} values packed so far, then {@code x} (the
   * first that the primitive array could not hold), then the rest, up to {@code n}.
   */
  private static Object[] rest(Iterator<?> source, int n, Object packed, int k, Object x) {
    Object[] a = new Object[n];
    for (int i = 0; i < k; i++) {
      a[i] = get(packed, i);
    }
    a[k++] = x;
    while (k < n && source.hasNext()) {
      a[k++] = source.next();
    }
    return k < n ? (Object[]) trim(a, k) : a;
  }

  /** Whether {@code value} is a chunk: an {@code Object[]}, {@code int[]}, {@code long[]} or {@code double[]}. */
  static boolean isChunk(Object value) {
    return value instanceof Object[] || value instanceof int[] || value instanceof long[] || value instanceof double[];
  }

  /** The number of values in a chunk. */
  static int length(Object chunk) {
    if (chunk instanceof Object[] a) {
      return a.length;
    }
    if (chunk instanceof int[] a) {
      return a.length;
    }
    if (chunk instanceof long[] a) {
      return a.length;
    }
    return ((double[]) chunk).length;
  }

  /** The value at {@code i} of a chunk, boxed when the chunk is packed. */
  static Object get(Object chunk, int i) {
    if (chunk instanceof Object[] a) {
      return a[i];
    }
    if (chunk instanceof int[] a) {
      return a[i];
    }
    if (chunk instanceof long[] a) {
      return a[i];
    }
    return ((double[]) chunk)[i];
  }

  /** An {@code int[]}, {@code long[]} or {@code double[]} when all values allow it; else {@code values}. */
  static Object pack(Object[] values) {
    if (values.length == 0) {
      return values;
    }
    Class<?> type = values[0] == null ? null : values[0].getClass();
    if (type != Integer.class && type != Long.class && type != Double.class) {
      return values;
    }
    for (Object v : values) {
      if (v == null || v.getClass() != type) {
        return values;
      }
    }
    if (type == Integer.class) {
      int[] a = new int[values.length];
      for (int i = 0; i < a.length; i++) {
        a[i] = (Integer) values[i];
      }
      return a;
    }
    if (type == Long.class) {
      long[] a = new long[values.length];
      for (int i = 0; i < a.length; i++) {
        a[i] = (Long) values[i];
      }
      return a;
    }
    double[] a = new double[values.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (Double) values[i];
    }
    return a;
  }

  /** The inverse of {@link #pack}. */
  static Object[] unpack(Object packed) {
    if (packed instanceof Object[] values) {
      return values;
    }
    if (packed instanceof int[] a) {
      Object[] out = new Object[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = a[i];
      }
      return out;
    }
    if (packed instanceof long[] a) {
      Object[] out = new Object[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = a[i];
      }
      return out;
    }
    double[] a = (double[]) packed;
    Object[] out = new Object[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }
}
