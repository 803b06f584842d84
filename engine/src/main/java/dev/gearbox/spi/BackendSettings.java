package dev.gearbox.spi;

import com.codahale.metrics.MetricRegistry;
import dev.gearbox.WorkerEvent;
import java.time.Duration;
import java.util.Optional;

/**
 * What the core passes to {@link BackendProvider#create}: the engine's identity, its settings
 * (typed getters throw {@link dev.gearbox.EngineConfigException} naming the key and the value's
 * source when a value is malformed), its metric registry, and a sink for worker events.
 */
public interface BackendSettings {

  /** The engine's name ({@code gearbox.name}); use it in thread and worker names. */
  String engineName();

  /** {@code gearbox.workers}: how many tasks should run at once unless the backend says otherwise. */
  int workers();

  /**
   * Whether {@code gearbox.workers} was configured explicitly. A backend whose natural limit is
   * not the processor count (virtual threads) uses its own default unless this is true.
   */
  boolean workersConfigured();

  /** {@code gearbox.cancel.grace}: how long a task may take to stop after its interrupt before it is killed. */
  Duration cancelGrace();

  /**
   * What a backend whose workers are JVMs it starts (or members it runs tasks on) runs once in each
   * of them before its first task, if the engine has a {@link dev.gearbox.WorkerInitializer}: it
   * makes the worker's state there. Serializable. Its {@code run} ignores its context (pass
   * {@code null}) and throws {@link dev.gearbox.WorkerInitializerException} if the initializer
   * failed; the worker must then not take tasks, and the backend reports it as a worker that could
   * not start, naming it. Tasks find the state without it too (their work makes it at the first
   * task where no start ran), so a backend that cannot run it before the first task may skip it. In-process
   * backends ignore it: the core makes the state in the engine's JVM at open.
   */
  default Optional<dev.gearbox.spi.Work> workerStart() {
    return Optional.empty();
  }

  /** The raw value of a backend key, if configured. */
  Optional<String> get(String key);

  int getInt(String key, int defaultValue, int min, int max);

  boolean getBoolean(String key, boolean defaultValue);

  Duration getDuration(String key, Duration defaultValue);

  /** A size in bytes: {@code 512}, {@code 64k}, {@code 256m}, {@code 2g}. */
  long getSize(String key, long defaultValue);

  /** The engine's registry; name backend metrics with {@link #metricName}. */
  MetricRegistry metrics();

  /** {@code gearbox.<engine>.<suffix>}. */
  String metricName(String suffix);

  /** Reports a worker started. Safe from any thread; listeners run elsewhere. */
  void workerStarted(WorkerEvent event);

  void workerCrashed(WorkerEvent event);

  void workerRecycled(WorkerEvent event);
}
