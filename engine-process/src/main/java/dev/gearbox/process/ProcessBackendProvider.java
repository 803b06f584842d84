package dev.gearbox.process;

import dev.gearbox.ConfigKey;
import dev.gearbox.EngineConfigException;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.remote.SerialCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code gearbox.backend=process}: tasks run in forked worker JVMs. Its keys, with their defaults
 * and meanings, are {@link #KEYS} (shown in the module's README).
 */
public final class ProcessBackendProvider implements BackendProvider {
  static final String P = "gearbox.process.";
  static final String WORKERS = P + "workers";
  static final String PRESTART = P + "prestart";
  static final String CONCURRENCY = P + "concurrency";
  static final String PREFETCH = P + "prefetch";
  static final String JAVA = P + "java";
  static final String CLASSPATH = P + "classpath";
  static final String JVM_OPTIONS = P + "jvm-options";
  static final String HEAP = P + "heap";
  static final String ENVIRONMENT = P + "environment";
  static final String WORKING_DIR = P + "working-dir";
  static final String MAX_PAYLOAD = P + "max-payload";
  static final String SERIAL_FILTER = P + "serial-filter";
  static final String MAX_TASKS = P + "max-tasks-per-worker";
  static final String RECYCLE_HEAP = P + "recycle-heap";
  static final String POISON = P + "poison-threshold";
  static final String STARTUP_TIMEOUT = P + "startup-timeout";
  static final String IDLE_TIMEOUT = P + "idle-timeout";
  static final String AOT_CACHE = P + "aot-cache";
  static final String KEEP_WARM = P + "keep-warm";
  /**
   * An engine closed gracefully keeps its idle workers this long for the next engine of the JVM
   * with the same launch: long enough to bridge one engine per request, batch step or test, short
   * enough that a JVM done with the process level does not keep worker JVMs (and their memory) for
   * long.
   */
  static final Duration DEFAULT_KEEP_WARM = Duration.ofSeconds(10);
  /** Longer would let idle JVMs outlive any plausible gap between two engines. */
  static final Duration MAX_KEEP_WARM = Duration.ofHours(1);

  private static final String HEAP_DEFAULT_TEXT = "6 x " + MAX_PAYLOAD + ", at least 256m";

  /** For {@link java.util.ServiceLoader}. */
  public ProcessBackendProvider() {}

  @Override
  public String name() {
    return "process";
  }

  /** The keys this backend reads, declared once (the module README's table shows exactly these). */
  static final List<ConfigKey> KEYS = List.of(
      new ConfigKey(WORKERS, "`gearbox.workers`",
          "worker JVMs"),
      new ConfigKey(PRESTART, "all workers",
          "workers started at open (open returns once one is ready); the rest start on demand"),
      new ConfigKey(CONCURRENCY, "`1`",
          "tasks at once per worker (raise for I/O-heavy tasks)"),
      new ConfigKey(PREFETCH, "`1`",
          "tasks each worker may hold, unstarted, behind those it runs while more work waits (see How it works); `0`: a worker gets its next task only after it reports the last one"),
      new ConfigKey(JAVA, "the engine's `java`",
          "the worker's launcher"),
      new ConfigKey(CLASSPATH, "follows the application's launch",
          "the workers' class path; by default the application's own, found from how it was launched (class path, module path, Spring Boot jar, `mvn exec:java`; see How it works). Task classes must be on it"),
      new ConfigKey(JVM_OPTIONS, "none",
          "extra JVM flags (space-separated), after the defaults `-XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -XX:-UsePerfData -Xms16m` and the heap's `-Xmx`; `-Xms16m` is left out when these flags (or an inherited `JAVA_TOOL_OPTIONS`/`JDK_JAVA_OPTIONS`) set `-Xms`, `-XX:InitialHeapSize`, `-XX:InitialRAMPercentage` or an `-Xmx` below `16m`"),
      new ConfigKey(HEAP, "6 x `max-payload`, at least `256m` (`384m` for the default `max-payload`)",
          "worker `-Xmx`, e.g. `512m`; at least `16m`. A task or result of `max-payload` bytes needs about four times that in the worker's heap at once (the serialization buffer doubles as it grows, then is copied out), plus what the task itself holds: raise `heap` with `max-payload` when payloads near the limit are expected (the default follows it). A `-Xmx` in `jvm-options` overrides it; unset, no `-Xmx` is added when `jvm-options` (or an inherited `JAVA_TOOL_OPTIONS`/`JDK_JAVA_OPTIONS`) has a heap-sizing flag (`-Xmx`, `-Xms`, `-XX:MaxHeapSize`, `-XX:InitialHeapSize`, `-XX:MaxRAM`, `-XX:MaxRAMPercentage`, `-XX:InitialRAMPercentage`, `-XX:MinRAMPercentage`)"),
      new ConfigKey(ENVIRONMENT, "none",
          "`NAME=value;...` added to the engine's environment"),
      new ConfigKey(WORKING_DIR, "the engine's",
          "workers' working directory"),
      new ConfigKey(MAX_PAYLOAD, "`64m`",
          "largest task, result or exception on the channel: 1k to 2047m"),
      new ConfigKey(SERIAL_FILTER, "deny known gadgets",
          "`ObjectInputFilter` class pattern"),
      new ConfigKey(MAX_TASKS, "`0` (never)",
          "recycle a worker after this many tasks"),
      new ConfigKey(RECYCLE_HEAP, "`0` (off)",
          "recycle a worker whose heap in use after a task exceeds this (leaks)"),
      new ConfigKey(POISON, "`3`",
          "crashes in a row before a task is quarantined"),
      new ConfigKey(STARTUP_TIMEOUT, "`20s`",
          "how long open waits for the first worker; a worker started later that is not ready by then is killed"),
      new ConfigKey(AOT_CACHE, "`auto`",
          "`auto`: workers start from (and the first one trains) a JDK AOT cache in `$XDG_CACHE_HOME/gearbox/aot` (else `~/.cache/gearbox/aot`) when it can apply (see Performance); a directory: the same, there; `off`: never. Each classpath/flags combination has its own ~15 MB cache; the directory keeps at most 8 (least recently used go first, and any unused for 7 days; never one used in the last hour)"),
      new ConfigKey(IDLE_TIMEOUT, "`0` (never)",
          "workers beyond `prestart` (the minimum kept alive) retire after idling this long; they start again on demand"),
      new ConfigKey(KEEP_WARM, "`10s`",
          "how long the idle workers of an engine that closed gracefully (`close`/`shutdown`) stay warm for the next engine of this JVM with the same launch (java, class path, JVM options, heap, environment, working dir, AOT cache, max-payload, serial filter, concurrency) and the same classes on it, which takes them instead of starting new ones (see How it works); engines with a worker initializer keep none; at most `1h`; `0`: workers stop at close, and the engine takes no warm worker"));

  @Override
  public List<ConfigKey> declaredKeys() {
    return KEYS;
  }

  @Override
  public Backend create(BackendSettings s) {
    int workers = s.getInt(WORKERS, s.workers(), 1, 1024);
    String java = s.get(JAVA).orElseGet(() -> ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    if (!Files.isExecutable(Path.of(java))) {
      throw new EngineConfigException(JAVA, JAVA + "=" + java + " is not an executable java launcher");
    }
    Path dir = s.get(WORKING_DIR).map(Path::of).orElse(null);
    if (dir != null && !Files.isDirectory(dir)) {
      throw new EngineConfigException(WORKING_DIR, WORKING_DIR + "=" + dir + " is not a directory");
    }
    int maxPayload = SerialCodec.maxPayload(s, MAX_PAYLOAD);
    long heap = s.getSize(HEAP, ProcessConfig.defaultHeap(maxPayload));
    if (heap < ProcessConfig.MIN_HEAP) {
      throw new EngineConfigException(HEAP, HEAP + "=" + s.get(HEAP).orElse("") + " is not valid: expected at least 16m"
          + " (a worker JVM needs that much to run its tasks' path); unset, it is " + HEAP_DEFAULT_TEXT);
    }
    List<String> jvmOptions = s.get(JVM_OPTIONS).map(o -> Arrays.stream(o.trim().split("\\s+")).filter(x -> !x.isEmpty()).toList())
        .orElse(List.of());
    Map<String, String> env = mergedEnvironment(ProcessConfig.parseEnvironment(ENVIRONMENT, s.get(ENVIRONMENT).orElse(null)));
    if (s.get(HEAP).isEmpty() && ProcessConfig.setsHeap(ProcessConfig.userFlags(jvmOptions, env))) {
      heap = 0; // the user's flags size the heap: no default -Xmx beside them
    }
    ProcessConfig config = new ProcessConfig(
        workers,
        s.getInt(PRESTART, workers, 0, workers),
        s.getInt(CONCURRENCY, 1, 1, 10_000),
        s.getInt(PREFETCH, 1, 0, 1_000),
        java,
        WorkerLaunch.detect(s.get(CLASSPATH), AotCache.defaultDirectory().resolveSibling("boot")),
        jvmOptions,
        heap,
        env,
        dir,
        maxPayload,
        s.get(SERIAL_FILTER).orElse(null),
        s.getInt(MAX_TASKS, 0, 0, Integer.MAX_VALUE),
        s.getSize(RECYCLE_HEAP, 0),
        s.getInt(POISON, 3, 1, 1000),
        s.getDuration(STARTUP_TIMEOUT, Duration.ofSeconds(20)),
        s.getDuration(IDLE_TIMEOUT, Duration.ZERO),
        s.get(AOT_CACHE).orElse("auto"),
        keepWarm(s));
    ProcessBackend backend = new ProcessBackend(config, s);
    backend.prestart();
    return backend;
  }

  private static Duration keepWarm(BackendSettings s) {
    if (s.get(KEEP_WARM).map(String::strip).filter("0"::equals).isPresent()) {
      return Duration.ZERO; // as the key table writes it
    }
    Duration d = s.getDuration(KEEP_WARM, DEFAULT_KEEP_WARM);
    if (d.isNegative() || d.compareTo(MAX_KEEP_WARM) > 0) {
      throw new EngineConfigException(KEEP_WARM, KEEP_WARM + "=" + d + " is out of range: 0 (workers stop at close) to 1h");
    }
    return d;
  }

  /**
   * The workers' environment: this JVM's, without Gearbox's secrets ({@code GEARBOX_*SECRET*}, such
   * as a cluster member's deployment secret, which a worker never needs), plus {@code extra}.
   */
  private static Map<String, String> mergedEnvironment(Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.keySet().removeIf(k -> k.startsWith("GEARBOX_") && k.contains("SECRET"));
    env.putAll(extra);
    return env;
  }
}
