package dev.gearbox.process;

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
import java.util.Optional;
import java.util.Set;

/**
 * {@code gearbox.backend=process}: tasks run in forked worker JVMs. Keys (all optional):
 * {@code gearbox.process.workers} (default {@code gearbox.workers}), {@code prestart} (workers
 * started and awaited at open; default all), {@code concurrency} (tasks at once per worker; 1),
 * {@code prefetch} (tasks a worker may hold unstarted behind those it runs, while more wait; 1),
 * {@code java} (the worker's java; default the engine's), {@code classpath} (default the
 * engine's), {@code jvm-options}, {@code heap} ({@code -Xmx}), {@code environment}
 * ({@code NAME=value;...}, added to the engine's), {@code working-dir}, {@code max-payload}
 * (64m), {@code serial-filter}, {@code max-tasks-per-worker} (0 = never recycle),
 * {@code recycle-heap} (0 = off), {@code poison-threshold} (3), {@code startup-timeout} (20s),
 * {@code idle-timeout} (0 = never: workers beyond {@code prestart} retire after idling this long).
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

  /** For {@link java.util.ServiceLoader}. */
  public ProcessBackendProvider() {}

  @Override
  public String name() {
    return "process";
  }

  @Override
  public Set<String> configKeys() {
    return Set.of(WORKERS, PRESTART, CONCURRENCY, PREFETCH, JAVA, CLASSPATH, JVM_OPTIONS, HEAP, ENVIRONMENT, WORKING_DIR,
        MAX_PAYLOAD, SERIAL_FILTER, MAX_TASKS, RECYCLE_HEAP, POISON, STARTUP_TIMEOUT, IDLE_TIMEOUT, AOT_CACHE);
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
    Optional<String> heap = s.get(HEAP);
    heap.ifPresent(h -> s.getSize(HEAP, 0)); // validated here, passed on as written (-Xmx)
    List<String> jvmOptions = s.get(JVM_OPTIONS).map(o -> Arrays.stream(o.trim().split("\\s+")).filter(x -> !x.isEmpty()).toList())
        .orElse(List.of());
    Map<String, String> env = ProcessConfig.parseEnvironment(ENVIRONMENT, s.get(ENVIRONMENT).orElse(null));
    ProcessConfig config = new ProcessConfig(
        workers,
        s.getInt(PRESTART, workers, 0, workers),
        s.getInt(CONCURRENCY, 1, 1, 10_000),
        s.getInt(PREFETCH, 1, 0, 1_000),
        java,
        s.get(CLASSPATH).orElse(System.getProperty("java.class.path")),
        jvmOptions,
        heap,
        env.isEmpty() ? null : mergedEnvironment(env),
        dir,
        maxPayload,
        s.get(SERIAL_FILTER).orElse(null),
        s.getInt(MAX_TASKS, 0, 0, Integer.MAX_VALUE),
        s.getSize(RECYCLE_HEAP, 0),
        s.getInt(POISON, 3, 1, 1000),
        s.getDuration(STARTUP_TIMEOUT, Duration.ofSeconds(20)),
        s.getDuration(IDLE_TIMEOUT, Duration.ZERO),
        s.get(AOT_CACHE).orElse("auto"));
    ProcessBackend backend = new ProcessBackend(config, s);
    backend.prestart();
    return backend;
  }

  private static Map<String, String> mergedEnvironment(Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.putAll(extra);
    return env;
  }
}
