package dev.gearbox.spi.remote;

import java.io.ObjectInputFilter;

/**
 * The deserialization filter of {@link SerialCodec}: limits on depth, references, array length
 * and bytes that follow the codec's {@code max-payload}, and the application's class pattern.
 *
 * <p>When it refuses something it remembers why, in words that name the key to change, for the
 * thread that is reading ({@link #takeRejection()}); the JDK's own exception only says
 * "REJECTED".
 *
 * <p>Thread-safe: the reason is kept per thread.
 */
final class DecodeFilter implements ObjectInputFilter {
  /** How deep objects may nest. */
  static final int MAX_DEPTH = 200;
  /** How many object references one payload may hold. */
  static final long MAX_REFERENCES = 2_000_000;

  private static final ThreadLocal<String> REJECTION = new ThreadLocal<>();

  private final ClassPattern classes;
  private final long maxBytes;
  private final String maxBytesKey;
  private final String filterKey;

  /**
   * @throws IllegalArgumentException if {@code classPattern} is not a valid filter pattern
   */
  DecodeFilter(String classPattern, long maxBytes, String maxBytesKey, String filterKey) {
    this.classes = new ClassPattern(classPattern);
    this.maxBytes = maxBytes;
    this.maxBytesKey = maxBytesKey;
    this.filterKey = filterKey;
  }

  @Override
  public Status checkInput(FilterInfo info) {
    String why = null;
    Status status = Status.UNDECIDED;
    if (info.depth() > MAX_DEPTH) {
      why = "it nests objects more than " + MAX_DEPTH + " deep";
    } else if (info.references() > MAX_REFERENCES) {
      why = "it holds more than " + MAX_REFERENCES + " object references";
    } else if (info.arrayLength() > maxBytes) {
      why = "it holds an array of " + info.arrayLength() + " elements, more than " + maxBytesKey + " (" + maxBytes
          + ") allows";
    } else if (info.streamBytes() > maxBytes) {
      why = "it is longer than " + maxBytesKey + " (" + maxBytes + " bytes)";
    } else {
      // As the JDK applies such a pattern: its limits to every read (back-references included), its
      // class patterns to the reads that name a class.
      status = classes.checkInput(info);
      if (status == Status.REJECTED) {
        String limit = classes.exceeded(info);
        Class<?> c = info.serialClass();
        why = limit != null ? "it passes " + limit + ", a limit of the deserialization filter's pattern (" + filterKey + ")"
            : c != null ? "class " + c.getName() + " is refused by the deserialization filter's class pattern (" + filterKey + ")"
            : "the deserialization filter's pattern (" + filterKey + ") refuses it";
      }
    }
    if (why != null) {
      REJECTION.set(why);
      return Status.REJECTED;
    }
    return status;
  }

  /** The deepest nesting allowed: {@link #MAX_DEPTH}, or less where the pattern says so. */
  long maxDepth() {
    return Math.min(MAX_DEPTH, classes.maxDepth());
  }

  /** The most references allowed: {@link #MAX_REFERENCES}, or fewer where the pattern says so. */
  long maxReferences() {
    return Math.min(MAX_REFERENCES, classes.maxReferences());
  }

  /** The most bytes allowed: {@code max-payload}, or fewer where the pattern says so. */
  long maxBytes() {
    return Math.min(maxBytes, classes.maxBytes());
  }

  /** Why this thread's last read was refused, or null; forgets it. */
  static String takeRejection() {
    String why = REJECTION.get();
    if (why != null) {
      REJECTION.remove(); // only when set: a remove costs more than the get, and most reads are not refused
    }
    return why;
  }
}
