package dev.gearbox.cluster;

import dev.gearbox.EngineConfigException;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The cluster backend's settings, parsed and validated at open (an unusable value fails with an
 * {@link EngineConfigException} naming its key); see {@link ClusterBackendProvider} for the keys.
 * {@link HazelcastConfigs} turns them into Hazelcast's member and client configurations.
 *
 * <p>Immutable and thread-safe.
 */
record ClusterConfig(
    Mode mode,
    List<String> members,
    String clusterName,
    String bindInterface,
    int port,
    ExecutorKind executor,
    int slots,
    int parallelism,
    int minMembers,
    int durableCapacity,
    int durableBackups,
    Duration startupTimeout,
    Duration memberTimeout,
    int maxPayload,
    String serialFilter,
    String memberName,
    int poisonThreshold,
    KillPolicy kill,
    boolean daemon,
    Seal seal,
    boolean encrypt,
    Duration replayWindow,
    Isolation isolation,
    int prefetch) {

  static final String P = "gearbox.cluster.";
  static final String MODE = P + "mode";
  static final String MEMBERS = P + "members";
  static final String CLUSTER_NAME = P + "cluster-name";
  static final String INTERFACE = P + "interface";
  static final String PORT = P + "port";
  static final String EXECUTOR = P + "executor";
  static final String SLOTS = P + "slots";
  static final String PARALLELISM = P + "parallelism";
  static final String MIN_MEMBERS = P + "min-members";
  static final String DURABLE_CAPACITY = P + "durable-capacity";
  static final String DURABLE_BACKUPS = P + "durable-backups";
  static final String STARTUP_TIMEOUT = P + "startup-timeout";
  static final String MEMBER_TIMEOUT = P + "member-timeout";
  static final String MAX_PAYLOAD = P + "max-payload";
  static final String SERIAL_FILTER = P + "serial-filter";
  static final String MEMBER_NAME = P + "member-name";
  static final String POISON_THRESHOLD = P + "poison-threshold";
  static final String KILL = P + "kill";
  static final String DAEMON = P + "daemon";
  static final String SECRET = P + "secret";
  static final String SECRET_FILE = P + "secret-file";
  static final String INSECURE = P + "insecure";
  static final String ENCRYPT = P + "encrypt";
  static final String REPLAY_WINDOW = P + "replay-window";
  /** The environment variable that holds the secret (the configuration's usual mapping of {@link #SECRET}). */
  static final String SECRET_ENV = "GEARBOX_CLUSTER_SECRET";
  static final String ISOLATION = P + "isolation";
  static final String PREFETCH = P + "prefetch";

  /** The names of the keys {@link ClusterBackendProvider#KEYS} declares. */
  static final List<String> KEYS = ClusterBackendProvider.KEYS.stream().map(dev.gearbox.ConfigKey::name).toList();

  /** Names of the distributed objects the backend uses on every member. */
  static final String TASK_EXECUTOR = "gearbox-tasks";
  static final String CONTROL_EXECUTOR = "gearbox-control";
  static final String PROGRESS_TOPIC_PREFIX = "gearbox-progress-";
  /** Members publish their tasks' channel calls on this topic, suffixed with the engine's id. */
  static final String CHANNEL_TOPIC_PREFIX = "gearbox-channels-";

  /** Member attributes: how many tasks a member runs at once, and its name in messages. */
  static final String SLOTS_ATTRIBUTE = "gearbox.slots";
  static final String NAME_ATTRIBUTE = "gearbox.member";
  /** Member attribute: {@code process} on a member that runs each task in a worker process of its own ({@link Isolation}). */
  static final String ISOLATION_ATTRIBUTE = "gearbox.isolation";

  static final int DEFAULT_PORT = 5701;

  /** Where the engine's tasks run. */
  enum Mode {
    /** A single Hazelcast member inside the engine's JVM that joins nobody: one machine, no setup. */
    EMBEDDED,
    /** The engine's JVM is a member that joins {@code members} by TCP/IP (and runs tasks unless slots=0). */
    MEMBER,
    /** The engine's JVM is a Hazelcast client of the cluster at {@code members}; tasks run on the members only. */
    CLIENT
  }

  /** The last rung of the stop ladder: what happens to a task that ignores its interrupt for {@code gearbox.cancel.grace}. */
  enum KillPolicy {
    /** Nothing: it runs on and keeps its slot until it returns ({@code canKill=false}). */
    NONE,
    /**
     * Its member halts (a supervisor such as systemd or Kubernetes restarts it): the task stops,
     * and the member's other tasks are lost with it (reported, retried by policy). Never the
     * engine's own member.
     */
    MEMBER,
    /**
     * The task's worker process on its member is killed: the task alone stops, its member and the
     * member's other tasks go on. Tasks go only to members with {@code isolation=process}.
     */
    TASK
  }

  /** How a member runs its tasks ({@code gearbox.cluster.isolation}). */
  enum Isolation {
    /** On the member's executor threads, in the member's JVM. */
    NONE,
    /** Each in a worker JVM of the member's own process pool ({@link IsolatedTasks}). */
    PROCESS
  }

  /** Which Hazelcast executor runs tasks. */
  enum ExecutorKind {
    /** {@code IExecutorService}: a task on a member that leaves is lost (reported, retried by policy). */
    PLAIN,
    /** {@code DurableExecutorService}: tasks are kept on a backup member and run again there if their member leaves. */
    DURABLE
  }

  static ClusterConfig parse(BackendSettings s) {
    Mode mode = parseEnum(s, MODE, Mode.class, Mode.EMBEDDED);
    boolean embedded = mode == Mode.EMBEDDED;
    if (embedded) {
      for (String key : List.of(MEMBERS, MIN_MEMBERS)) {
        if (s.get(key).isPresent()) {
          throw new EngineConfigException(key, key + "=" + s.get(key).get() + " needs " + MODE
              + "=member or client: the embedded member joins no one");
        }
      }
    }
    if (mode == Mode.CLIENT) {
      for (String key : List.of(SLOTS, PORT, INTERFACE, DURABLE_CAPACITY, DURABLE_BACKUPS, MEMBER_NAME, ISOLATION)) {
        if (s.get(key).isPresent()) {
          throw new EngineConfigException(key, key + "=" + s.get(key).get() + " does not apply to " + MODE
              + "=client: a client runs no tasks and opens no port; set it on the members (WorkerMember)");
        }
      }
    }
    List<String> members = embedded ? List.of() : parseMembers(MEMBERS, s.get(MEMBERS).orElse("127.0.0.1:" + DEFAULT_PORT));
    String clusterName = s.get(CLUSTER_NAME).map(String::trim).orElse(null);
    if (clusterName == null) {
      // Embedded: unique, so two applications on one machine never merge. Otherwise per deployment.
      clusterName = embedded ? "gearbox-" + s.engineName() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong())
          : "gearbox-" + s.engineName();
    }
    if (clusterName.isEmpty() || !clusterName.matches("[A-Za-z0-9._-]+")) {
      throw new EngineConfigException(CLUSTER_NAME, CLUSTER_NAME + "=" + clusterName
          + " is not valid: expected letters, digits, '.', '_' or '-'");
    }
    String bindInterface = s.get(INTERFACE).map(String::trim).orElse("127.0.0.1");
    if (!bindInterface.matches("[0-9*.\\-]+") || bindInterface.chars().filter(c -> c == '.').count() != 3) {
      throw new EngineConfigException(INTERFACE, INTERFACE + "=" + bindInterface + " is not valid: expected an IPv4"
          + " address of this machine, or a pattern such as 10.0.0.* or 10.0.0.10-20 (default 127.0.0.1, loopback)");
    }
    int port = s.getInt(PORT, embedded ? 0 : DEFAULT_PORT, 0, 65535);
    ExecutorKind executor = parseEnum(s, EXECUTOR, ExecutorKind.class, ExecutorKind.PLAIN);
    KillPolicy kill = parseEnum(s, KILL, KillPolicy.class, KillPolicy.NONE);
    if (kill == KillPolicy.MEMBER && embedded) {
      throw new EngineConfigException(KILL, KILL + "=member needs " + MODE + "=member or client: the embedded member is the"
          + " application's own JVM, which the engine never halts");
    }
    if (executor == ExecutorKind.PLAIN) {
      for (String key : List.of(DURABLE_CAPACITY, DURABLE_BACKUPS)) {
        if (s.get(key).isPresent()) {
          throw new EngineConfigException(key, key + "=" + s.get(key).get() + " needs " + EXECUTOR + "=durable");
        }
      }
    }
    int slots = s.getInt(SLOTS, s.workers(), embedded ? 1 : 0, 10_000);
    Isolation isolation = parseEnum(s, ISOLATION, Isolation.class, Isolation.NONE);
    checkIsolation(mode, kill, isolation, slots);
    int minMembers = s.getInt(MIN_MEMBERS, 1, 1, 1000);
    Optional<String> parallelism = s.get(PARALLELISM);
    int par = parallelism.isPresent() ? s.getInt(PARALLELISM, 1, 1, 1_000_000) : 0; // 0: decided at open
    int maxPayload = SerialCodec.maxPayload(s, MAX_PAYLOAD);
    Duration startup = positive(s, STARTUP_TIMEOUT, Duration.ofSeconds(30));
    Duration memberTimeout = positive(s, MEMBER_TIMEOUT, Duration.ofSeconds(10));
    if (memberTimeout.toSeconds() < 2) {
      throw new EngineConfigException(MEMBER_TIMEOUT, MEMBER_TIMEOUT + "=" + s.get(MEMBER_TIMEOUT).orElse("")
          + " is not valid: expected at least 2s (Hazelcast counts heartbeats in whole seconds)");
    }
    String memberName = s.get(MEMBER_NAME).map(String::trim).filter(n -> !n.isEmpty())
        .orElse((mode == Mode.CLIENT ? "client " : "engine ") + s.engineName() + " pid " + ProcessHandle.current().pid());
    Seal seal = seal(s, embedded);
    boolean encrypt = s.getBoolean(ENCRYPT, false);
    if (encrypt && seal.insecure()) {
      throw new EngineConfigException(ENCRYPT, ENCRYPT + "=true needs a secret: with " + INSECURE + "=true the key is"
          + " public and encryption would hide nothing. Set " + SECRET_ENV + " or " + SECRET_FILE);
    }
    Duration replayWindow = positive(s, REPLAY_WINDOW, Duration.ofMinutes(2));
    if (replayWindow.toSeconds() < 5) {
      throw new EngineConfigException(REPLAY_WINDOW, REPLAY_WINDOW + "=" + s.get(REPLAY_WINDOW).orElse("")
          + " is not valid: expected at least 5s (it must cover the clock difference between machines)");
    }
    return new ClusterConfig(mode, members, clusterName, bindInterface, port, executor, slots, par, minMembers,
        s.getInt(DURABLE_CAPACITY, 100, 1, 1_000_000), s.getInt(DURABLE_BACKUPS, 1, 0, 6), startup, memberTimeout,
        maxPayload, s.get(SERIAL_FILTER).orElse(null), memberName, s.getInt(POISON_THRESHOLD, 3, 1, 1000),
        kill, s.getBoolean(DAEMON, true), seal, encrypt, replayWindow, isolation,
        s.getInt(PREFETCH, 1, 0, 16));
  }

  /**
   * The deployment secret's seal: from {@code secret} (or its environment variable) or
   * {@code secret-file}; for an embedded member that joins no one, a random one when neither is
   * set; the public key of {@code insecure=true}. The secret never appears in a message.
   *
   * @throws EngineConfigException if a member or client has none, it is too short, or the keys contradict each other
   */
  static Seal seal(BackendSettings s, boolean embedded) {
    Optional<String> secret = s.get(SECRET);
    Optional<String> file = s.get(SECRET_FILE).map(String::trim);
    boolean insecure = s.getBoolean(INSECURE, false);
    if (secret.isPresent() && file.isPresent()) {
      throw new EngineConfigException(SECRET_FILE, "both " + SECRET + " and " + SECRET_FILE + " are set: keep one");
    }
    if (insecure && (secret.isPresent() || file.isPresent())) {
      throw new EngineConfigException(INSECURE, INSECURE + "=true and a secret (" + (secret.isPresent() ? SECRET : SECRET_FILE)
          + ") are both set: keep the secret and drop " + INSECURE);
    }
    if (insecure) {
      return Seal.unauthenticated();
    }
    String value;
    String from;
    if (file.isPresent()) {
      Path path = Path.of(file.get());
      try {
        value = Files.readString(path, StandardCharsets.UTF_8).strip();
      } catch (IOException | RuntimeException e) {
        throw new EngineConfigException(SECRET_FILE, SECRET_FILE + "=" + file.get() + " cannot be read: " + e);
      }
      from = SECRET_FILE + "=" + file.get();
    } else if (secret.isPresent()) {
      value = secret.get().strip();
      from = SECRET + " (or " + SECRET_ENV + ")";
    } else if (embedded) {
      return Seal.random(); // joins no one: nobody else needs it
    } else {
      throw new EngineConfigException(SECRET, "the cluster needs its deployment secret: members run only tasks sealed with"
          + " it, and the engine sends tasks only to members that prove they hold it. Set the environment variable "
          + SECRET_ENV + " (or " + SECRET + ", or " + SECRET_FILE + "=<path of a file that holds it>) to the same value on"
          + " every member and engine, for example the output of: openssl rand -base64 32. On a network you fully trust, "
          + INSECURE + "=true runs without one");
    }
    if (value.length() < Seal.MIN_SECRET_CHARS) {
      throw new EngineConfigException(from.startsWith(SECRET_FILE) ? SECRET_FILE : SECRET, "the secret from " + from
          + " has " + value.length() + " characters; at least " + Seal.MIN_SECRET_CHARS + " are needed (for example the"
          + " output of: openssl rand -base64 32)");
    }
    return Seal.withSecret(value);
  }

  /**
   * Refuses an isolation the member cannot have, and {@code kill=task} where the engine's own
   * member would run tasks that cannot be killed alone.
   */
  private static void checkIsolation(Mode mode, KillPolicy kill, Isolation isolation, int slots) {
    if (isolation == Isolation.PROCESS && slots == 0) {
      throw new EngineConfigException(ISOLATION, ISOLATION + "=process needs " + SLOTS + " of at least 1: a member with"
          + " no slots runs no tasks");
    }
    if (kill == KillPolicy.TASK && mode != Mode.CLIENT && slots > 0 && isolation != Isolation.PROCESS) {
      throw new EngineConfigException(KILL, KILL + "=task needs " + ISOLATION + "=process on the engine's own member"
          + " (" + MODE + "=" + mode.name().toLowerCase(Locale.ROOT) + ", " + slots + " slot(s)): without it, a task runs"
          + " in the application's own JVM, where it cannot be killed alone. Set " + ISOLATION + "=process"
          + (mode == Mode.MEMBER ? ", or " + SLOTS + "=0 to run tasks on worker members only" : ""));
    }
  }

  private static Duration positive(BackendSettings s, String key, Duration def) {
    Duration d = s.getDuration(key, def);
    if (d.isNegative() || d.isZero()) {
      throw new EngineConfigException(key, key + "=" + s.get(key).orElse("") + " is not valid: expected a positive duration such as 10s");
    }
    return d;
  }

  private static <E extends Enum<E>> E parseEnum(BackendSettings s, String key, Class<E> type, E def) {
    Optional<String> v = s.get(key);
    if (v.isEmpty()) {
      return def;
    }
    try {
      return Enum.valueOf(type, v.get().trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> accepted = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        accepted.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw new EngineConfigException(key, key + "=" + v.get() + " is not valid: expected one of " + String.join(", ", accepted));
    }
  }

  static List<String> parseMembers(String key, String spec) {
    List<String> out = new ArrayList<>();
    for (String part : spec.split(",")) {
      String m = part.trim();
      if (m.isEmpty()) {
        continue;
      }
      int colon = m.lastIndexOf(':');
      boolean ok = colon > 0 && colon < m.length() - 1 && m.substring(0, colon).matches("[A-Za-z0-9.\\-]+");
      if (ok) {
        try {
          int p = Integer.parseInt(m.substring(colon + 1));
          ok = p > 0 && p < 65536;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok) {
        throw new EngineConfigException(key, key + "=" + spec + " is not valid: expected host:port pairs separated by"
            + " commas, such as 10.0.0.1:5701,10.0.0.2:5701 (offending part: '" + m + "')");
      }
      out.add(m);
    }
    if (out.isEmpty()) {
      throw new EngineConfigException(key, key + "=" + spec + " is not valid: expected at least one host:port");
    }
    return List.copyOf(out);
  }

  /** The codec this configuration asks for (both of its keys were validated by {@link #parse}). */
  SerialCodec codec() {
    return SerialCodec.create(maxPayload, serialFilter, MAX_PAYLOAD, SERIAL_FILTER);
  }

  /** The codec of a member that Gearbox did not configure: default payload limit and filter. */
  static SerialCodec defaultCodec() {
    return new SerialCodec(SerialCodec.DEFAULT_MAX_BYTES, null, MAX_PAYLOAD);
  }
}
