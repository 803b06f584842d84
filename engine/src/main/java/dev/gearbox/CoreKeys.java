package dev.gearbox;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The core's configuration keys, declared once: the root README's key table shows exactly these
 * (a test holds it to them). Backends declare theirs in their {@link dev.gearbox.spi.BackendProvider}.
 */
final class CoreKeys {
  static final List<ConfigKey> ALL = List.of(
      new ConfigKey(EngineConfig.BACKEND, "`thread`",
          "which backend runs tasks"),
      new ConfigKey(EngineConfig.NAME, "the backend's name",
          "names the engine's threads and metrics (`gearbox.<name>.*`)"),
      new ConfigKey(EngineConfig.WORKERS, "available processors",
          "how many tasks run at once; each backend's README says how it applies it (the `async` backend ignores the default, `direct` ignores the key)"),
      new ConfigKey(EngineConfig.QUEUE_CAPACITY, "`10000`",
          "tasks that may wait for a worker"),
      new ConfigKey(EngineConfig.QUEUE_FULL, "`block`",
          "`block` the submitter (backpressure) or `reject` when the queue is full"),
      new ConfigKey(EngineConfig.MAP_WINDOW, "`auto` (4 x the backend's parallelism, clamped to 16..1024; 1 on `direct`)",
          "jobs in flight per `map` call"),
      new ConfigKey(EngineConfig.MAP_CHUNK_SIZE, "`auto`",
          "inputs per `map` job (adaptive: starts at 1, then aims each job at the batch target, learning from the first window's jobs as they end, then from each job as its outputs are read)"),
      new ConfigKey(EngineConfig.MAP_BATCH_TARGET, "`20ms`",
          "the run time adaptive `map` batches aim at on remote backends (enough to amortise a ~0.1 ms round trip, small enough to keep workers balanced); in-process backends aim at the smaller of this and 1 ms"),
      new ConfigKey(EngineConfig.TASK_TIMEOUT, "`none`",
          "default per-attempt timeout"),
      new ConfigKey(EngineConfig.TASK_RETRIES, "`0`",
          "default retries after a failed attempt"),
      new ConfigKey(EngineConfig.TASK_BACKOFF, "`100ms`",
          "first retry delay (doubles, up to 10 s or this delay if it is longer)"),
      new ConfigKey(EngineConfig.CANCEL_GRACE, "`2s`",
          "how long an interrupted task may take before it is killed (backends that can kill)"),
      new ConfigKey(EngineConfig.TIMEOUT_STRICT, "`false`",
          "fail at open unless the backend can kill a task that ignores interrupts"),
      new ConfigKey(EngineConfig.CONTEXT_MDC, "`true`",
          "run each task with its submitter's SLF4J MDC (captured at submit, restored around every attempt, in worker processes and on cluster members too; process workers' output lines are logged with it)"),
      new ConfigKey(EngineConfig.CONTEXT_CARRIERS, "none",
          "more context to carry from submitter to task (tracing): comma-separated `dev.gearbox.ContextCarrier` classes with a public no-argument constructor, on the workers' class path too"),
      new ConfigKey(EngineConfig.JMX, "`false`",
          "register the engine's metrics (domain `gearbox`) and an MBean `dev.gearbox:type=Engine,name=\"<name>\"` (the name quoted, as `ObjectName.quote` does) that returns the snapshot, with the platform MBean server; unregistered at close"),
      new ConfigKey(EngineConfig.DASHBOARD_PORT, "`none`",
          "serve the live web view (read-only) and `/api/snapshot` on this port; `0` takes any free port (logged)"),
      new ConfigKey(EngineConfig.DASHBOARD_BIND, "`127.0.0.1`",
          "the address the dashboard listens on: loopback unless set (`0.0.0.0` opens it to the network, without authentication)"),
      new ConfigKey(EngineConfig.WORKER_INITIALIZER, "none",
          "runs once in each worker before its first task, and its result is that worker's state (`TaskContext.workerState`): a `dev.gearbox.WorkerInitializer` class with a public no-argument constructor, on the workers' class path too ([what a worker is on each level](#per-worker-initializer))"),
      new ConfigKey(EngineConfig.SERIALIZATION_CHECK, "`off`",
          "`always`: on `thread`, `async` and `direct`, serialize every task and `map` function at submit and reject what could not cross to `process` or `cluster`, as they would"));

  static final Set<String> NAMES = ALL.stream().map(ConfigKey::name).collect(Collectors.toUnmodifiableSet());

  private CoreKeys() {}
}
