package dev.gearbox.process;

import dev.gearbox.EngineConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The process backend's settings, validated at open; see {@link ProcessBackendProvider} for the keys. */
record ProcessConfig(
    int workers,
    int prestart,
    int concurrency,
    int prefetch,
    String java,
    WorkerLaunch launch,
    List<String> jvmOptions,
    Optional<String> heap,
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

  /** Flags every worker gets before the user's: exit (do not limp on) after an OutOfMemoryError,
   * a small collector that starts fast, no perf-data file. Later user flags override them. */
  static final List<String> DEFAULT_FLAGS = List.of("-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:-UsePerfData");

  /** The JVM flags every worker gets: ours, the heap, then the user's. */
  List<String> jvmFlags() {
    List<String> flags = new ArrayList<>(DEFAULT_FLAGS);
    heap.ifPresent(h -> flags.add("-Xmx" + h));
    flags.addAll(jvmOptions);
    return flags;
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
