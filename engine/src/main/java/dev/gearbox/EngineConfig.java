package dev.gearbox;

import static java.util.Objects.requireNonNull;

import com.codahale.metrics.MetricRegistry;
import dev.gearbox.spi.remote.MapSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An engine's configuration: an immutable value made by {@link #newBuilder()}, by
 * {@link #fromProperties(Properties)} (the same keys as strings), or by {@link #load()} (system
 * properties, environment, {@code gearbox.properties}).
 *
 * <h2>Keys</h2>
 * <table>
 *   <caption>Core configuration keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code gearbox.backend}</td><td>{@code thread}</td><td>which backend runs tasks</td></tr>
 *   <tr><td>{@code gearbox.name}</td><td>the backend's name</td><td>names threads and metrics</td></tr>
 *   <tr><td>{@code gearbox.workers}</td><td>available processors</td><td>tasks running at once</td></tr>
 *   <tr><td>{@code gearbox.queue.capacity}</td><td>10000</td><td>queued (not yet running) tasks</td></tr>
 *   <tr><td>{@code gearbox.queue.full}</td><td>{@code block}</td><td>{@code block} or {@code reject} when full</td></tr>
 *   <tr><td>{@code gearbox.map.window}</td><td>{@code auto}</td><td>jobs in flight per map</td></tr>
 *   <tr><td>{@code gearbox.map.chunk-size}</td><td>{@code auto}</td><td>inputs per map job</td></tr>
 *   <tr><td>{@code gearbox.map.batch-target}</td><td>20ms</td><td>adaptive batches aim at this run time</td></tr>
 *   <tr><td>{@code gearbox.task.timeout}</td><td>{@code none}</td><td>default per-attempt timeout</td></tr>
 *   <tr><td>{@code gearbox.task.retries}</td><td>0</td><td>default retries after a failure</td></tr>
 *   <tr><td>{@code gearbox.task.backoff}</td><td>100ms</td><td>first retry delay (doubles, max 10 s)</td></tr>
 *   <tr><td>{@code gearbox.cancel.grace}</td><td>2s</td><td>interrupt-to-kill delay of the stop ladder</td></tr>
 *   <tr><td>{@code gearbox.timeout.strict}</td><td>false</td><td>require a backend that can kill tasks</td></tr>
 *   <tr><td>{@code gearbox.context.mdc}</td><td>true</td><td>carry the submitter's SLF4J MDC to its tasks</td></tr>
 *   <tr><td>{@code gearbox.context.carriers}</td><td>none</td><td>more {@link ContextCarrier} classes</td></tr>
 *   <tr><td>{@code gearbox.jmx}</td><td>false</td><td>metrics and an MBean with JMX</td></tr>
 *   <tr><td>{@code gearbox.dashboard.port}</td><td>{@code none}</td><td>serve the live web view on this port</td></tr>
 *   <tr><td>{@code gearbox.dashboard.bind}</td><td>{@code 127.0.0.1}</td><td>the dashboard's address</td></tr>
 *   <tr><td>{@code gearbox.worker.initializer}</td><td>none</td><td>a {@link WorkerInitializer} class run once per worker</td></tr>
 *   <tr><td>{@code gearbox.serialization.check}</td><td>{@code off}</td><td>{@code always}: serialize-check every task at submit on in-process levels too</td></tr>
 * </table>
 * Backends add keys under {@code gearbox.<backend>.}. Durations are written {@code 250ms},
 * {@code 2s}, {@code 1.5s}, {@code 3m}, {@code 1h} or ISO-8601 ({@code PT2S}). An environment
 * variable names a key in upper case with {@code _} for {@code .} and {@code -}:
 * {@code GEARBOX_MAP_CHUNK_SIZE} is {@code gearbox.map.chunk-size}.
 */
public final class EngineConfig {

  /** The core's keys, each with its default and meaning; a backend's are its provider's {@code declaredKeys()}. */
  public static List<ConfigKey> coreKeys() {
    return CoreKeys.ALL;
  }

  public static final String BACKEND = "gearbox.backend";
  public static final String NAME = "gearbox.name";
  public static final String WORKERS = "gearbox.workers";
  public static final String QUEUE_CAPACITY = "gearbox.queue.capacity";
  public static final String QUEUE_FULL = "gearbox.queue.full";
  public static final String MAP_WINDOW = "gearbox.map.window";
  public static final String MAP_CHUNK_SIZE = "gearbox.map.chunk-size";
  public static final String MAP_BATCH_TARGET = "gearbox.map.batch-target";
  public static final String TASK_TIMEOUT = "gearbox.task.timeout";
  /** The backend an engine uses when nothing names one. */
  static final String DEFAULT_BACKEND = "thread";
  public static final String TASK_RETRIES = "gearbox.task.retries";
  public static final String TASK_BACKOFF = "gearbox.task.backoff";
  public static final String CANCEL_GRACE = "gearbox.cancel.grace";
  public static final String TIMEOUT_STRICT = "gearbox.timeout.strict";
  public static final String CONTEXT_MDC = "gearbox.context.mdc";
  public static final String CONTEXT_CARRIERS = "gearbox.context.carriers";
  public static final String JMX = "gearbox.jmx";
  public static final String DASHBOARD_PORT = "gearbox.dashboard.port";
  public static final String DASHBOARD_BIND = "gearbox.dashboard.bind";
  public static final String WORKER_INITIALIZER = "gearbox.worker.initializer";
  public static final String SERIALIZATION_CHECK = "gearbox.serialization.check";

  /** Environment variables starting with GEARBOX_ that belong to tools, not to the engine. */
  private static final java.util.Set<String> FOREIGN_ENV = java.util.Set.of("GEARBOX_JAVA_HOME");

  private final String backend;
  private final String name;
  private final int workers;
  private final boolean workersSet;
  private final int queueCapacity;
  private final QueueFullPolicy queueFullPolicy;
  private final int mapWindow;
  private final int chunkSize;
  private final Duration batchTarget;
  private final Duration taskTimeout;
  private final int taskRetries;
  private final Duration taskBackoff;
  private final Duration cancelGrace;
  private final boolean strictTimeouts;
  private final boolean carryMdc;
  private final List<ContextCarrier> contextCarriers;
  private final boolean jmx;
  private final int dashboardPort;
  private final String dashboardBind;
  private final WorkerInitializer workerInitializer;
  private final boolean checkSerialization;
  private final MetricRegistry metricRegistry;
  private final Map<String, String> backendOptions;
  private final Map<String, String> sources;

  private EngineConfig(Builder b) {
    this.backend = b.backend;
    this.name = b.name;
    this.workers = b.workers;
    this.workersSet = b.workersSet;
    this.queueCapacity = b.queueCapacity;
    this.queueFullPolicy = b.queueFullPolicy;
    this.mapWindow = b.mapWindow;
    this.chunkSize = b.chunkSize;
    this.batchTarget = b.batchTarget;
    this.taskTimeout = b.taskTimeout;
    this.taskRetries = b.taskRetries;
    this.taskBackoff = b.taskBackoff;
    this.cancelGrace = b.cancelGrace;
    this.strictTimeouts = b.strictTimeouts;
    this.carryMdc = b.carryMdc;
    this.contextCarriers = List.copyOf(b.contextCarriers);
    this.jmx = b.jmx;
    this.dashboardPort = b.dashboardPort;
    this.dashboardBind = b.dashboardBind;
    this.workerInitializer = b.workerInitializer;
    this.checkSerialization = b.checkSerialization;
    this.metricRegistry = b.metricRegistry;
    this.backendOptions = Collections.unmodifiableMap(new TreeMap<>(b.backendOptions));
    this.sources = Collections.unmodifiableMap(new LinkedHashMap<>(b.sources));
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Reads the configuration from system properties ({@code gearbox.*}), environment variables
   * ({@code GEARBOX_*}), {@code ./gearbox.properties} and {@code gearbox.properties} on the
   * classpath, highest precedence first.
   *
   * @throws EngineConfigException naming the key, value and source of anything unusable
   */
  public static EngineConfig load() {
    return load(System.getProperties(), System.getenv(), Path.of("gearbox.properties"),
        Thread.currentThread().getContextClassLoader());
  }

  /**
   * Like {@link #load()}, with {@code overrides} (a program's command-line flags, typically) taking
   * precedence over every other source. Keys are the same as {@link #load()}'s.
   *
   * @throws EngineConfigException naming the key, value and source of anything unusable
   */
  public static EngineConfig load(Map<String, String> overrides) {
    return load(System.getProperties(), System.getenv(), Path.of("gearbox.properties"),
        Thread.currentThread().getContextClassLoader(), overrides);
  }

  static EngineConfig load(Properties system, Map<String, String> env, Path workingDirFile, ClassLoader loader) {
    return load(system, env, workingDirFile, loader, Map.of());
  }

  static EngineConfig load(Properties system, Map<String, String> env, Path workingDirFile, ClassLoader loader,
      Map<String, String> overrides) {
    Builder b = newBuilder();
    ClassLoader cl = loader != null ? loader : EngineConfig.class.getClassLoader();
    try (InputStream in = cl.getResourceAsStream("gearbox.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        b.applyAll(p, "gearbox.properties on the classpath", true);
      }
    } catch (IOException e) {
      throw new EngineConfigException(null, "cannot read gearbox.properties from the classpath: " + e);
    }
    if (Files.isRegularFile(workingDirFile)) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(workingDirFile, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new EngineConfigException(null, "cannot read " + workingDirFile.toAbsolutePath() + ": " + e);
      }
      b.applyAll(p, workingDirFile.toAbsolutePath().toString(), true);
    }
    Map<String, String> envKeys = new TreeMap<>();
    for (String key : BackendRegistry.allKeys()) {
      envKeys.put(envName(key), key);
    }
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String var = e.getKey();
      if (!var.startsWith("GEARBOX_") || FOREIGN_ENV.contains(var)) {
        continue;
      }
      String key = envKeys.get(var);
      if (key == null) {
        String near = nearest(var, envKeys.keySet());
        throw new EngineConfigException(var, "environment variable " + var
            + " does not name a Gearbox configuration key" + (near == null ? "" : " (did you mean " + near + "?)")
            + ". Known variables: " + String.join(", ", envKeys.keySet()));
      }
      b.option(key, e.getValue(), "environment variable " + var);
    }
    for (String key : new TreeSet<>(system.stringPropertyNames())) {
      if (key.startsWith("gearbox.")) {
        b.option(key, system.getProperty(key), "system property -D" + key);
      }
    }
    for (Map.Entry<String, String> e : new TreeMap<>(overrides).entrySet()) {
      b.option(e.getKey(), e.getValue(), "override " + e.getKey() + "=" + shown(e.getKey(), e.getValue()));
    }
    return b.build();
  }

  /**
   * A configuration from string keys and values (the same keys as {@link #load()}); every key
   * must start with {@code gearbox.}.
   *
   * @throws EngineConfigException naming the key of anything unusable
   */
  public static EngineConfig fromProperties(Properties properties) {
    return newBuilder().applyAll(properties, "properties", false).build();
  }

  /** The environment variable that sets {@code key}. */
  static String envName(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  public String backend() {
    return backend;
  }

  /** The engine's name if set; the engine uses the backend's name otherwise. */
  public Optional<String> name() {
    return Optional.ofNullable(name);
  }

  public int workers() {
    return workers;
  }

  /** Whether {@code gearbox.workers} was given, rather than defaulted to the processor count. */
  public boolean workersConfigured() {
    return workersSet;
  }

  public int queueCapacity() {
    return queueCapacity;
  }

  public QueueFullPolicy queueFullPolicy() {
    return queueFullPolicy;
  }

  /** 0 means automatic. */
  public int mapWindow() {
    return mapWindow;
  }

  /** 0 means automatic. */
  public int chunkSize() {
    return chunkSize;
  }

  public Duration batchTarget() {
    return batchTarget;
  }

  public Optional<Duration> taskTimeout() {
    return Optional.ofNullable(taskTimeout);
  }

  public int taskRetries() {
    return taskRetries;
  }

  public Duration taskBackoff() {
    return taskBackoff;
  }

  public Duration cancelGrace() {
    return cancelGrace;
  }

  public boolean strictTimeouts() {
    return strictTimeouts;
  }

  /** Whether the submitter's SLF4J MDC is carried to its tasks ({@code gearbox.context.mdc}). */
  public boolean carriesMdc() {
    return carryMdc;
  }

  /** The carriers of submitter context besides the MDC, in the order they restore. */
  public List<ContextCarrier> contextCarriers() {
    return contextCarriers;
  }

  /** What runs once in each worker before its first task ({@code gearbox.worker.initializer}), if anything. */
  public Optional<WorkerInitializer> workerInitializer() {
    return Optional.ofNullable(workerInitializer);
  }

  /**
   * Whether tasks are serialize-checked at submit on backends that never serialize them
   * ({@code gearbox.serialization.check=always}).
   */
  public boolean checksSerialization() {
    return checkSerialization;
  }

  /** Whether the engine registers its metrics and an MBean with JMX ({@code gearbox.jmx}). */
  public boolean jmx() {
    return jmx;
  }

  /** The dashboard's port ({@code gearbox.dashboard.port}): 0 for any free port, -1 for no dashboard. */
  public int dashboardPort() {
    return dashboardPort;
  }

  /** The address the dashboard listens on ({@code gearbox.dashboard.bind}). */
  public String dashboardBind() {
    return dashboardBind;
  }

  public Optional<MetricRegistry> metricRegistry() {
    return Optional.ofNullable(metricRegistry);
  }

  /** Keys outside the core set ({@code gearbox.<backend>.*}), validated by the backend at open. */
  public Map<String, String> backendOptions() {
    return backendOptions;
  }

  /**
   * Where a key's value came from, for error messages: the place it was read from, {@code "builder"}
   * (set in code), or for the backend, the default when nothing named one.
   */
  String sourceOf(String key) {
    String source = sources.get(key);
    if (source != null) {
      return source;
    }
    return key.equals(BACKEND) ? "the default: nothing set gearbox.backend" : "builder";
  }

  /** The retry policy that {@code gearbox.task.retries} and {@code gearbox.task.backoff} describe. */
  RetryPolicy defaultRetryPolicy() {
    if (taskRetries == 0) {
      return RetryPolicy.none();
    }
    Duration max = taskBackoff.compareTo(Duration.ofSeconds(10)) > 0 ? taskBackoff : Duration.ofSeconds(10);
    return RetryPolicy.newBuilder().maxAttempts(taskRetries + 1).backoff(taskBackoff, 2.0, max).build();
  }

  @Override
  public String toString() {
    return "EngineConfig[backend=" + backend + ", name=" + name + ", workers=" + workers
        + ", queue=" + queueCapacity + "/" + queueFullPolicy + ", map.window=" + mapWindow
        + ", map.chunk-size=" + chunkSize + ", timeout=" + taskTimeout + ", retries=" + taskRetries
        + ", backendOptions=" + shownOptions() + "]";
  }

  /** Whether a key holds a secret, whose value is never shown (keys ending in {@code .secret}). */
  static boolean isSecret(String key) {
    return key.endsWith(".secret");
  }

  /** A value as messages and {@link #toString()} may show it: a secret's is hidden. */
  static String shown(String key, String value) {
    return isSecret(key) ? "(secret, not shown)" : value;
  }

  private String shownOptions() {
    Map<String, String> shown = new TreeMap<>();
    backendOptions.forEach((k, v) -> shown.put(k, shown(k, v)));
    return shown.toString();
  }

  /**
   * Builds an {@link EngineConfig}. Each setter validates its argument at once and throws
   * {@link IllegalArgumentException} (an {@link EngineConfigException}) naming the key.
   */
  public static final class Builder {
    private String backend = DEFAULT_BACKEND;
    private String name;
    private int workers = Runtime.getRuntime().availableProcessors();
    private boolean workersSet;
    private int queueCapacity = 10_000;
    private QueueFullPolicy queueFullPolicy = QueueFullPolicy.BLOCK;
    private int mapWindow;
    private int chunkSize;
    private Duration batchTarget = Duration.ofMillis(20);
    private Duration taskTimeout;
    private int taskRetries;
    private Duration taskBackoff = Duration.ofMillis(100);
    private Duration cancelGrace = Duration.ofSeconds(2);
    private boolean strictTimeouts;
    private boolean carryMdc = true;
    private final java.util.ArrayList<ContextCarrier> contextCarriers = new java.util.ArrayList<>();
    private boolean jmx;
    private int dashboardPort = -1;
    private String dashboardBind = "127.0.0.1";
    private WorkerInitializer workerInitializer;
    private boolean checkSerialization;
    private MetricRegistry metricRegistry;
    private final Map<String, String> backendOptions = new TreeMap<>();
    private final Map<String, String> sources = new LinkedHashMap<>();

    private Builder() {}

    /** {@code gearbox.backend}: the backend's name, for example {@code thread} or {@code direct}. */
    public Builder backend(String backend) {
      requireNonNull(backend, "backend");
      String b = backend.trim();
      if (b.isEmpty() || !b.matches("[a-z][a-z0-9-]*")) {
        throw bad(BACKEND, backend, "a backend name in lower case, such as thread, process, async, cluster or direct");
      }
      this.backend = b;
      sources.put(BACKEND, "builder"); // option() records its own source after this returns
      return this;
    }

    /** {@code gearbox.name}: names the engine's threads and metrics ({@code gearbox.<name>.*}). */
    public Builder name(String name) {
      requireNonNull(name, "name");
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]*")) {
        throw bad(NAME, name, "letters, digits, '-' and '_' (it becomes part of metric and thread names)");
      }
      this.name = name;
      return this;
    }

    /** {@code gearbox.workers}: how many tasks run at once; at least 1. */
    public Builder workers(int workers) {
      this.workers = checkRange(WORKERS, workers, 1, 10_000_000);
      this.workersSet = true;
      return this;
    }

    /** {@code gearbox.queue.capacity}: how many submitted tasks may wait for a worker. */
    public Builder queueCapacity(int capacity) {
      this.queueCapacity = checkRange(QUEUE_CAPACITY, capacity, 1, Integer.MAX_VALUE);
      return this;
    }

    /** {@code gearbox.queue.full}: what submit does when the queue is full. */
    public Builder whenQueueFull(QueueFullPolicy policy) {
      this.queueFullPolicy = requireNonNull(policy, "policy");
      return this;
    }

    /** {@code gearbox.map.window}: jobs in flight per map call; at least 1. */
    public Builder mapWindow(int window) {
      this.mapWindow = checkRange(MAP_WINDOW, window, 1, 1_000_000);
      return this;
    }

    /** {@code gearbox.map.chunk-size}: fixed inputs per map job; at least 1. */
    public Builder chunkSize(int chunkSize) {
      this.chunkSize = checkRange(MAP_CHUNK_SIZE, chunkSize, 1, 1_000_000);
      return this;
    }

    /** {@code gearbox.map.batch-target}: the run time adaptive map batches aim at. */
    public Builder batchTarget(Duration target) {
      this.batchTarget = checkPositive(MAP_BATCH_TARGET, target);
      return this;
    }

    /** {@code gearbox.task.timeout}: the default per-attempt timeout. */
    public Builder taskTimeout(Duration timeout) {
      this.taskTimeout = checkPositive(TASK_TIMEOUT, timeout);
      return this;
    }

    /** {@code gearbox.task.retries}: default retries after a failed attempt; 0 for none. */
    public Builder taskRetries(int retries) {
      this.taskRetries = checkRange(TASK_RETRIES, retries, 0, 1_000);
      return this;
    }

    /** {@code gearbox.task.backoff}: the first retry's delay; later ones double, up to 10 s. */
    public Builder taskBackoff(Duration backoff) {
      requireNonNull(backoff, "backoff");
      if (backoff.isNegative()) {
        throw bad(TASK_BACKOFF, backoff.toString(), "a duration of zero or more");
      }
      this.taskBackoff = backoff;
      return this;
    }

    /** {@code gearbox.cancel.grace}: how long an interrupted task may take to stop before it is killed. */
    public Builder cancelGrace(Duration grace) {
      this.cancelGrace = checkPositive(CANCEL_GRACE, grace);
      return this;
    }

    /**
     * {@code gearbox.timeout.strict}: when true, opening fails on a backend that cannot kill a
     * task that ignores interrupts, so every timeout is guaranteed to stop its task.
     */
    public Builder strictTimeouts(boolean strict) {
      this.strictTimeouts = strict;
      return this;
    }

    /**
     * {@code gearbox.context.mdc}: whether each task runs with its submitter's SLF4J MDC (captured at
     * submit, restored around every attempt wherever it runs). Default true.
     */
    public Builder carryMdc(boolean carry) {
      this.carryMdc = carry;
      return this;
    }

    /**
     * Adds a {@link ContextCarrier}: what it captures at submit is restored around each attempt,
     * after the MDC and the carriers added before it.
     */
    public Builder contextCarrier(ContextCarrier carrier) {
      contextCarriers.add(requireNonNull(carrier, "carrier"));
      return this;
    }

    /** {@code gearbox.jmx}: register the engine's metrics and an MBean with the platform MBean server. */
    public Builder jmx(boolean on) {
      this.jmx = on;
      return this;
    }

    /**
     * {@code gearbox.dashboard.port}: serve the live web view on this port (0: any free port; the
     * engine logs its address and {@link Engine#dashboardUri()} returns it).
     */
    public Builder dashboard(int port) {
      this.dashboardPort = checkRange(DASHBOARD_PORT, port, 0, 65_535);
      return this;
    }

    /** {@code gearbox.dashboard.bind}: the address the dashboard listens on; loopback unless set. */
    public Builder dashboardBind(String address) {
      requireNonNull(address, "address");
      if (address.isBlank()) {
        throw bad(DASHBOARD_BIND, address, "an address such as 127.0.0.1, 0.0.0.0 or a host name");
      }
      this.dashboardBind = address.strip();
      return this;
    }

    /**
     * {@code gearbox.worker.initializer}: runs once in each worker before its first task; what it
     * returns is that worker's state ({@link TaskContext#workerState(Class)}). See
     * {@link WorkerInitializer} for what a worker is on each level and what a failure does.
     */
    public Builder workerInitializer(WorkerInitializer initializer) {
      this.workerInitializer = requireNonNull(initializer, "initializer");
      return this;
    }

    /**
     * {@code gearbox.serialization.check}: {@code true} ({@code always}) serializes every task and
     * {@code map} function at submit on the levels that never need to ({@code thread},
     * {@code async}, {@code direct}), rejecting at submit, as {@code process} and {@code cluster}
     * do, what could not cross to them; {@code false} ({@code off}, the default) does not. The
     * bytes are dropped: a task still runs on the objects it captured.
     */
    public Builder checkSerialization(boolean always) {
      this.checkSerialization = always;
      return this;
    }

    /** Where to register metrics; by default the engine creates its own registry. */
    public Builder metricRegistry(MetricRegistry registry) {
      this.metricRegistry = requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Sets any key from its string form: a core key (parsed and validated as its typed setter
     * does) or a backend key {@code gearbox.<backend>.*} (validated by the backend at open).
     *
     * @throws EngineConfigException if the key does not start with {@code gearbox.}, is an
     *     unknown core key, or the value is malformed
     */
    public Builder option(String key, String value) {
      return option(key, value, "builder option");
    }

    Builder option(String key, String value, String source) {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      String v = value.trim();
      try {
        switch (key) {
          case BACKEND -> backend(v);
          case NAME -> name(v);
          case WORKERS -> workers(MapSettings.parseInt(key, v));
          case QUEUE_CAPACITY -> queueCapacity(MapSettings.parseInt(key, v));
          case QUEUE_FULL -> whenQueueFull(parseQueueFull(v));
          case MAP_WINDOW -> mapWindow = v.equalsIgnoreCase("auto") ? 0 : checkRange(key, intOr(key, v, "auto"), 1, 1_000_000);
          case MAP_CHUNK_SIZE -> chunkSize = v.equalsIgnoreCase("auto") ? 0 : checkRange(key, intOr(key, v, "auto"), 1, 1_000_000);
          case MAP_BATCH_TARGET -> batchTarget(MapSettings.parseDuration(key, v));
          case TASK_TIMEOUT -> taskTimeout = v.equalsIgnoreCase("none") ? null : checkPositive(key, MapSettings.parseDuration(key, v));
          case TASK_RETRIES -> taskRetries(MapSettings.parseInt(key, v));
          case TASK_BACKOFF -> taskBackoff(MapSettings.parseDuration(key, v));
          case CANCEL_GRACE -> cancelGrace(MapSettings.parseDuration(key, v));
          case TIMEOUT_STRICT -> strictTimeouts(MapSettings.parseBoolean(key, v));
          case CONTEXT_MDC -> carryMdc(MapSettings.parseBoolean(key, v));
          case CONTEXT_CARRIERS -> parseCarriers(v).forEach(this::contextCarrier);
          case JMX -> jmx(MapSettings.parseBoolean(key, v));
          case DASHBOARD_PORT -> dashboardPort = v.equalsIgnoreCase("none") || v.equalsIgnoreCase("off") ? -1
              : checkRange(key, intOr(key, v, "off"), 0, 65_535);
          case DASHBOARD_BIND -> dashboardBind(v);
          case WORKER_INITIALIZER -> workerInitializer = v.equalsIgnoreCase("none") ? null : parseInitializer(v);
          case SERIALIZATION_CHECK -> checkSerialization(parseCheck(v));
          default -> {
            if (!key.startsWith("gearbox.")) {
              throw new EngineConfigException(key, "'" + key + "' is not a Gearbox configuration key: keys start with"
                  + " 'gearbox.'. Known keys: " + String.join(", ", BackendRegistry.allKeys()));
            }
            if (BackendRegistry.CORE_KEYS.contains(key) || key.chars().filter(c -> c == '.').count() < 2) {
              throw unknownKey(key);
            }
            backendOptions.put(key, v);
          }
        }
      } catch (EngineConfigException e) {
        if (e.getMessage().contains("(from ")) {
          throw e;
        }
        throw new EngineConfigException(e.key(), e.getMessage() + " (from " + source + ")");
      }
      sources.put(key, source);
      return this;
    }

    private Builder applyAll(Properties p, String source, boolean file) {
      for (String key : new TreeSet<>(p.stringPropertyNames())) {
        if (file && !key.startsWith("gearbox.")) {
          throw new EngineConfigException(key, source + ": key '" + key
              + "' is not a Gearbox configuration key (keys start with 'gearbox.'). Known keys: "
              + String.join(", ", BackendRegistry.allKeys()));
        }
        option(key, p.getProperty(key), source);
      }
      return this;
    }

    public EngineConfig build() {
      return new EngineConfig(this);
    }
  }

  static EngineConfigException unknownKey(String key) {
    String near = nearest(key, BackendRegistry.allKeys());
    return new EngineConfigException(key, "unknown configuration key '" + key + "'"
        + (near == null ? "" : " (did you mean '" + near + "'?)") + ". Known keys: "
        + String.join(", ", BackendRegistry.allKeys()));
  }

  /**
   * The known key nearest to a mistyped one by edit distance (a letter left out, added, changed or
   * swapped with its neighbour counts one), if it is within two edits; null otherwise, or when two
   * keys are equally near.
   */
  static String nearest(String key, java.util.Collection<String> known) {
    String best = null;
    int bestDistance = 3;
    boolean tie = false;
    for (String k : known) {
      int d = editDistance(key, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
        tie = false;
      } else if (d == bestDistance) {
        tie = true;
      }
    }
    return tie ? null : best;
  }

  /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
  private static int editDistance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 2) {
      return Integer.MAX_VALUE;
    }
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  private static EngineConfigException bad(String key, String value, String expected) {
    return new EngineConfigException(key, key + "=" + value + " is not valid: expected " + expected);
  }

  /** {@code v} as a whole number, or a failure that names {@code word} as the other value the key takes. */
  private static int intOr(String key, String v, String word) {
    try {
      return MapSettings.parseInt(key, v);
    } catch (EngineConfigException e) {
      throw bad(key, v, "a whole number or " + word);
    }
  }

  private static int checkRange(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw bad(key, Integer.toString(value), "a whole number from " + min + " to " + max);
    }
    return value;
  }

  private static Duration checkPositive(String key, Duration d) {
    requireNonNull(d, key);
    if (d.isNegative() || d.isZero()) {
      throw bad(key, d.toString(), "a positive duration such as 500ms, 2s or 1m");
    }
    return d;
  }

  /** Comma-separated class names of carriers, each made with its public no-argument constructor. */
  private static List<ContextCarrier> parseCarriers(String v) {
    List<ContextCarrier> carriers = new java.util.ArrayList<>();
    for (String name : v.split(",")) {
      String cls = name.strip();
      if (cls.isEmpty() || cls.equalsIgnoreCase("none")) {
        continue;
      }
      try {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        Class<?> c = Class.forName(cls, true, cl != null ? cl : EngineConfig.class.getClassLoader());
        if (!ContextCarrier.class.isAssignableFrom(c)) {
          throw bad(CONTEXT_CARRIERS, cls, "classes that implement dev.gearbox.ContextCarrier");
        }
        carriers.add((ContextCarrier) c.getConstructor().newInstance());
      } catch (ReflectiveOperationException | LinkageError e) {
        throw bad(CONTEXT_CARRIERS, cls, "ContextCarrier classes on the class path with a public no-argument constructor ("
            + e + ")");
      }
    }
    return carriers;
  }

  /** A {@link WorkerInitializer} class, made with its public no-argument constructor. */
  private static WorkerInitializer parseInitializer(String cls) {
    try {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      Class<?> c = Class.forName(cls, true, cl != null ? cl : EngineConfig.class.getClassLoader());
      if (!WorkerInitializer.class.isAssignableFrom(c)) {
        throw bad(WORKER_INITIALIZER, cls, "a class that implements dev.gearbox.WorkerInitializer");
      }
      return (WorkerInitializer) c.getConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw bad(WORKER_INITIALIZER, cls, "a dev.gearbox.WorkerInitializer class on the class path with a public"
          + " no-argument constructor (" + e + ")");
    }
  }

  private static boolean parseCheck(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "off" -> false;
      case "always" -> true;
      default -> throw bad(SERIALIZATION_CHECK, v, "off or always");
    };
  }

  private static QueueFullPolicy parseQueueFull(String v) {
    try {
      return QueueFullPolicy.valueOf(v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw bad(QUEUE_FULL, v, "block or reject");
    }
  }
}
