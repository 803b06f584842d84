package dev.gearbox.spi.remote;

import java.io.ObjectInputFilter;
import java.util.ArrayList;
import java.util.List;

/**
 * A deserialization filter pattern, read and applied exactly as
 * {@link ObjectInputFilter.Config#createFilter(String)} documents it: patterns separated by
 * {@code ;}, each a limit ({@code maxdepth=}, {@code maxrefs=}, {@code maxbytes=},
 * {@code maxarray=}) or a class match, negated by a leading {@code !}, optionally prefixed by a
 * module name and {@code /}; {@code pkg.*} matches the classes of one package, {@code pkg.**}
 * those of a package and its subpackages, {@code prefix*} any class name with that prefix, and a
 * plain name one class. Limits are checked first; an array is decided by its element type; the
 * first class pattern that matches, left to right, decides; none matching, or a primitive
 * element type, leaves it undecided.
 *
 * <p>Why not the JDK's own: {@code ObjectInputFilter.Config} initializes the JVM-wide filter
 * configuration the first time it is used (a system logger, the security properties, locale
 * data), about 25 ms in a new JVM, on the path of a worker's start and of its first task. A test
 * checks this reading against the JDK's on every pattern form, valid and invalid.
 *
 * <p>Immutable and thread-safe.
 */
final class ClassPattern implements ObjectInputFilter {
  /** One class pattern: what it matches, and what a match decides. */
  private record Rule(String module, int kind, String name, Status decides) {
    static final int EXACT = 0;
    static final int PACKAGE = 1;
    static final int PREFIX = 2;

    Status apply(Class<?> c) {
      if (module != null && !module.equals(c.getModule().getName())) {
        return Status.UNDECIDED;
      }
      boolean match = switch (kind) {
        case EXACT -> c.getName().equals(name);
        case PACKAGE -> c.getPackageName().equals(name);
        default -> c.getName().startsWith(name);
      };
      return match ? decides : Status.UNDECIDED;
    }
  }

  private static final int DEPTH = 0;
  private static final int REFERENCES = 1;
  private static final int BYTES = 2;
  private static final int ARRAY = 3;

  private final String pattern;
  private final Rule[] rules;
  private final long maxDepth;
  private final long maxReferences;
  private final long maxBytes;
  private final long maxArrayLength;

  /**
   * @throws IllegalArgumentException where the JDK's reading throws it: an unknown or negative
   *     limit, a limit that is not a number, a missing module, package or class name; and, where
   *     the JDK would make no filter at all, for a pattern with neither a limit nor a class pattern
   *     (only separators), which would otherwise let every class through
   */
  ClassPattern(String pattern) {
    this.pattern = pattern;
    List<Rule> list = new ArrayList<>();
    long[] limits = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
    boolean hasLimits = false;
    for (String p : pattern.split(";")) {
      if (p.isEmpty()) {
        continue;
      }
      if (limit(p, limits)) {
        hasLimits = true;
        continue;
      }
      boolean negate = p.charAt(0) == '!';
      Status decides = negate ? Status.REJECTED : Status.ALLOWED;
      int from = negate ? 1 : 0;
      int slash = p.indexOf('/', from);
      if (slash == from) {
        throw new IllegalArgumentException("module name is missing in: \"" + pattern + "\"");
      }
      String module = slash >= 0 ? p.substring(from, slash) : null;
      from = slash >= 0 ? slash + 1 : from;
      int end = p.length();
      if (p.endsWith(".*")) {
        String pkg = p.substring(from, end - 2);
        if (pkg.isEmpty()) {
          throw new IllegalArgumentException("package missing in: \"" + pattern + "\"");
        }
        list.add(new Rule(module, Rule.PACKAGE, pkg, decides));
      } else if (p.endsWith(".**")) {
        String pkgs = p.substring(from, end - 2); // keeps the dot: "a.b.**" matches names starting "a.b."
        if (pkgs.length() < 2) {
          throw new IllegalArgumentException("package missing in: \"" + pattern + "\"");
        }
        list.add(new Rule(module, Rule.PREFIX, pkgs, decides));
      } else if (p.endsWith("*")) {
        list.add(new Rule(module, Rule.PREFIX, p.substring(from, end - 1), decides));
      } else {
        String name = p.substring(from);
        if (name.isEmpty()) {
          throw new IllegalArgumentException("class or package missing in: \"" + pattern + "\"");
        }
        list.add(new Rule(module, Rule.EXACT, name, decides));
      }
    }
    if (list.isEmpty() && !hasLimits) {
      throw new IllegalArgumentException("no class pattern or limit in: \"" + pattern + "\"");
    }
    this.rules = list.toArray(new Rule[0]);
    this.maxDepth = limits[DEPTH];
    this.maxReferences = limits[REFERENCES];
    this.maxBytes = limits[BYTES];
    this.maxArrayLength = limits[ARRAY];
  }

  /** Reads {@code p} into {@code limits} if it is a limit ({@code name=value}); false if it is a class pattern. */
  private static boolean limit(String p, long[] limits) {
    int eq = p.indexOf('=');
    if (eq < 0) {
      return false;
    }
    String value = p.substring(eq + 1);
    if (p.startsWith("maxdepth=")) {
      limits[DEPTH] = limitValue(value);
    } else if (p.startsWith("maxarray=")) {
      limits[ARRAY] = limitValue(value);
    } else if (p.startsWith("maxrefs=")) {
      limits[REFERENCES] = limitValue(value);
    } else if (p.startsWith("maxbytes=")) {
      limits[BYTES] = limitValue(value);
    } else {
      throw new IllegalArgumentException("unknown limit: " + p.substring(0, eq));
    }
    return true;
  }

  private static long limitValue(String s) {
    long v = Long.parseLong(s); // NumberFormatException is an IllegalArgumentException, as in the JDK
    if (v < 0) {
      throw new IllegalArgumentException("negative limit: " + s);
    }
    return v;
  }

  /** The deepest nesting this pattern allows ({@link Long#MAX_VALUE} if it sets no {@code maxdepth}). */
  long maxDepth() {
    return maxDepth;
  }

  /** The most references this pattern allows ({@link Long#MAX_VALUE} if it sets no {@code maxrefs}). */
  long maxReferences() {
    return maxReferences;
  }

  /** The most bytes this pattern allows ({@link Long#MAX_VALUE} if it sets no {@code maxbytes}). */
  long maxBytes() {
    return maxBytes;
  }

  /** The limit of this pattern that {@code info} passes, as the pattern writes it ({@code maxrefs=10}), or null. */
  String exceeded(FilterInfo info) {
    if (info.depth() > maxDepth) {
      return "maxdepth=" + maxDepth;
    } else if (info.references() > maxReferences) {
      return "maxrefs=" + maxReferences;
    } else if (info.streamBytes() > maxBytes) {
      return "maxbytes=" + maxBytes;
    } else if (info.serialClass() != null && info.serialClass().isArray() && info.arrayLength() > maxArrayLength) {
      return "maxarray=" + maxArrayLength;
    }
    return null;
  }

  @Override
  public Status checkInput(FilterInfo info) {
    if (info.references() < 0 || info.depth() < 0 || info.streamBytes() < 0 || exceeded(info) != null) {
      return Status.REJECTED;
    }
    Class<?> c = info.serialClass();
    return c == null ? Status.UNDECIDED : verdicts.get(c);
  }

  /**
   * What the class patterns decide for each class, decided once per class: every task names the
   * same few classes again. Holds only {@link Status} values, so it keeps no class loader alive.
   */
  private final ClassValue<Status> verdicts = new ClassValue<>() {
    @Override
    protected Status computeValue(Class<?> type) {
      Class<?> c = type;
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (c.isPrimitive()) {
        return Status.UNDECIDED;
      }
      for (Rule r : rules) {
        Status s = r.apply(c);
        if (s != Status.UNDECIDED) {
          return s;
        }
      }
      return Status.UNDECIDED;
    }
  };

  @Override
  public String toString() {
    return pattern;
  }
}
