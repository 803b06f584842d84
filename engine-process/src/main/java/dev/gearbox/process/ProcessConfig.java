package dev.gearbox.process;

import dev.gearbox.EngineConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The process backend's settings, validated at open; see {@link ProcessBackendProvider} for the keys. */
record ProcessConfig(
    int workers,
    int prestart,
    int concurrency,
    int prefetch,
    String java,
    WorkerLaunch launch,
    List<String> jvmOptions,
    long heapBytes,
    Map<String, String> environment,
    Path workingDir,
    int maxPayload,
    String serialFilter,
    int maxTasksPerWorker,
    long recycleHeapBytes,
    int poisonThreshold,
    Duration startupTimeout,
    Duration idleTimeout,
    String aotCache,
    Duration keepWarm) {

  /** The default initial heap flag, left out where the user's flags size the initial heap or cap the heap below it. */
  static final String DEFAULT_INITIAL_HEAP = "-Xms16m";
  /** Flags every worker gets before the user's: exit (do not limp on) after an OutOfMemoryError,
   * a small collector that starts fast, no perf-data file, and a small initial heap, so that the
   * young generation starts small: a worker touches (and keeps resident) only the memory its tasks
   * need, and short-lived objects stay in the CPU's caches. Later user flags override them. */
  static final List<String> DEFAULT_FLAGS = List.of("-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:-UsePerfData",
      DEFAULT_INITIAL_HEAP);
  /** Environment variables the JVM reads flags from: a worker inherits them. */
  static final List<String> JVM_OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
  /** Flags (prefixes) that size the heap: with one of them in the user's flags, no default {@code -Xmx} is added. */
  private static final List<String> HEAP_SIZING = List.of("-Xmx", "-Xms", "-XX:MaxHeapSize=", "-XX:InitialHeapSize=",
      "-XX:MaxRAMPercentage=", "-XX:InitialRAMPercentage=", "-XX:MaxRAM=", "-XX:MinRAMPercentage=");
  /** Flags (prefixes) that size the initial heap: with one of them, no default {@code -Xms16m}. */
  private static final List<String> INITIAL_HEAP_SIZING = List.of("-Xms", "-XX:InitialHeapSize=", "-XX:InitialRAMPercentage=");

  /** The smallest {@code gearbox.process.heap} accepted: below it a worker cannot even start its tasks' path. */
  static final long MIN_HEAP = 16L << 20;
  /** The default heap is this many times {@code max-payload}: see {@link #defaultHeap}. */
  static final int HEAP_PER_PAYLOAD = 6;
  /** The default heap is never below this. */
  static final long MIN_DEFAULT_HEAP = 256L << 20;

  /**
   * The worker heap when {@code gearbox.process.heap} is not set: {@value #HEAP_PER_PAYLOAD} x
   * {@code max-payload}, at least 256 MiB (384 MiB for the default 64 MiB). A payload at the limit
   * needs about four times its size at once in a worker's heap: a result being encoded is held with
   * the serialization buffer, which doubles as it grows (a 2x buffer and the 1x one it replaces),
   * then is copied out; a task being decoded is held as its frame and as its objects. The rest is
   * for the frame prefetched behind it and the task's own data.
   */
  static long defaultHeap(int maxPayload) {
    return Math.max(MIN_DEFAULT_HEAP, HEAP_PER_PAYLOAD * (long) maxPayload);
  }

  /**
   * The JVM flags every worker gets: ours, the heap ({@code heapBytes} 0: none), then the user's.
   * {@code -Xms16m} is left out where the user's flags ({@code jvm-options}, or the inherited
   * {@code JAVA_TOOL_OPTIONS}/{@code JDK_JAVA_OPTIONS}) size the initial heap or set an {@code -Xmx}
   * below it: the JVM would refuse an initial heap above the maximum.
   */
  List<String> jvmFlags() {
    List<String> user = userFlags(jvmOptions, environment);
    List<String> flags = new ArrayList<>();
    for (String f : DEFAULT_FLAGS) {
      if (!f.equals(DEFAULT_INITIAL_HEAP) || !setsInitialHeap(user)) {
        flags.add(f);
      }
    }
    if (heapBytes > 0) {
      flags.add(heapBytes % (1L << 20) == 0 ? "-Xmx" + (heapBytes >> 20) + "m" : "-Xmx" + (heapBytes >> 10) + "k");
    }
    flags.addAll(jvmOptions);
    return flags;
  }

  /** The flags a worker gets from the user: {@code jvmOptions}, and those of the JVM's option variables in {@code env}. */
  static List<String> userFlags(List<String> jvmOptions, Map<String, String> env) {
    List<String> user = new ArrayList<>(jvmOptions);
    for (String v : JVM_OPTION_VARIABLES) {
      String value = env.get(v);
      if (value != null && !value.isBlank()) {
        user.addAll(List.of(value.trim().split("\\s+")));
      }
    }
    return user;
  }

  /** Whether {@code flags} size the heap (then the default {@code -Xmx} stays out of their way). */
  static boolean setsHeap(List<String> flags) {
    return flags.stream().anyMatch(f -> HEAP_SIZING.stream().anyMatch(f::startsWith));
  }

  /** Whether {@code flags} size the initial heap, or cap the heap below {@code -Xms16m}. */
  static boolean setsInitialHeap(List<String> flags) {
    for (String f : flags) {
      if (INITIAL_HEAP_SIZING.stream().anyMatch(f::startsWith)) {
        return true;
      }
      String max = f.startsWith("-Xmx") ? f.substring(4) : f.startsWith("-XX:MaxHeapSize=") ? f.substring(16) : null;
      if (max != null && bytes(max) < MIN_HEAP) {
        return true;
      }
    }
    return false;
  }

  /** A JVM size ({@code 8m}, {@code 1g}, {@code 4096}); Long.MAX_VALUE if it is not one (the JVM itself says why). */
  private static long bytes(String size) {
    if (size.isEmpty()) {
      return Long.MAX_VALUE;
    }
    int shift = switch (Character.toLowerCase(size.charAt(size.length() - 1))) {
      case 'k' -> 10;
      case 'm' -> 20;
      case 'g' -> 30;
      case 't' -> 40;
      default -> 0;
    };
    try {
      long n = Long.parseLong(shift == 0 ? size : size.substring(0, size.length() - 1));
      return n << shift;
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The command line of one worker. */
  List<String> command(Path fifo, String name) {
    return command(fifo, name, List.of());
  }

  /** The command line of one worker, with {@code extraFlags} (the AOT cache's) after the rest. */
  List<String> command(Path fifo, String name, List<String> extraFlags) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.addAll(launch.options());
    cmd.addAll(jvmFlags());
    cmd.addAll(extraFlags);
    cmd.addAll(launch.entry());
    cmd.add(fifo.toString());
    cmd.add(Long.toString(ProcessHandle.current().pid()));
    cmd.add(name);
    cmd.add(Integer.toString(concurrency));
    cmd.add(Integer.toString(maxPayload));
    if (serialFilter != null && !serialFilter.isBlank()) {
      cmd.add(serialFilter);
    }
    return cmd;
  }

  static Map<String, String> parseEnvironment(String key, String spec) {
    Map<String, String> env = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return env;
    }
    for (String pair : spec.split(";")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new EngineConfigException(key, key + "=" + spec + " is not valid: expected NAME=value pairs separated by ';'"
            + " (offending part: '" + pair + "')");
      }
      env.put(pair.substring(0, eq).trim(), pair.substring(eq + 1));
    }
    return env;
  }
}
