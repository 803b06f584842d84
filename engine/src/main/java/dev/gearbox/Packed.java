package dev.gearbox;

/**
 * Packs a chunk of boxed numbers into a primitive array for the trip to another process, and
 * back. JDK serialization writes an {@code Integer[]} element by element, with a handle for each
 * object; an {@code int[]} is one block. Used only by backends that serialize work, and only
 * when every element has the same boxed type; anything else travels as it is.
 */
final class Packed {
  private Packed() {}

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
