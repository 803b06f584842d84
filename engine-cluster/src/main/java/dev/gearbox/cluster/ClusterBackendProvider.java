package dev.gearbox.cluster;

import dev.gearbox.ConfigKey;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import java.util.List;

/**
 * {@code gearbox.backend=cluster}: tasks run on the members of a Hazelcast cluster. By default an
 * embedded, standalone member in the engine's own JVM (one machine, no setup); by configuration
 * the engine joins members as a member itself, or connects to them as a client. Its keys, with
 * their defaults and meanings, are {@link #KEYS} (shown in the module's README).
 *
 * <p>Task classes must be on every member's classpath (see {@link WorkerMember}).
 */
public final class ClusterBackendProvider implements BackendProvider {

  /** For {@link java.util.ServiceLoader}. */
  public ClusterBackendProvider() {}

  @Override
  public String name() {
    return "cluster";
  }

  /** The keys this backend reads, declared once (the module README's table shows exactly these). */
  static final List<ConfigKey> KEYS = List.of(
      new ConfigKey(ClusterConfig.MODE, "`embedded`",
          "`embedded` (standalone member in this JVM), `member` (this JVM joins `members`), `client` (connect to `members`)"),
      new ConfigKey(ClusterConfig.MEMBERS, "`127.0.0.1:5701`",
          "`host:port,...` to join or connect to (member, client)"),
      new ConfigKey(ClusterConfig.CLUSTER_NAME, "embedded: `gearbox-<engine>-<random>`; else `gearbox-<engine name>`",
          "members only join a cluster of the same name; use one per deployment"),
      new ConfigKey(ClusterConfig.INTERFACE, "`127.0.0.1`",
          "address the member binds and publishes (IPv4 or pattern such as `10.0.0.*`)"),
      new ConfigKey(ClusterConfig.PORT, "embedded: any free port; member: `5701` (up to 20 tried)",
          "member port"),
      new ConfigKey(ClusterConfig.EXECUTOR, "`plain`",
          "`plain` (`IExecutorService`) or `durable` (`DurableExecutorService`)"),
      new ConfigKey(ClusterConfig.SLOTS, "`gearbox.workers`",
          "tasks this JVM's member runs at once; `0` in member mode: a lite member that only submits"),
      new ConfigKey(ClusterConfig.PARALLELISM, "embedded: `slots`; else `gearbox.workers` if set explicitly, else the slots of the members present at open",
          "the engine's dispatch limit: tasks of this engine running at once on the cluster (set it if members join later)"),
      new ConfigKey(ClusterConfig.MIN_MEMBERS, "`1`",
          "task-running members to wait for at open (member, client)"),
      new ConfigKey(ClusterConfig.DURABLE_CAPACITY, "`100`",
          "durable tasks pending per partition (durable)"),
      new ConfigKey(ClusterConfig.DURABLE_BACKUPS, "`1`",
          "copies of each durable task on other members (durable)"),
      new ConfigKey(ClusterConfig.STARTUP_TIMEOUT, "`30s`",
          "how long open waits to connect and for `min-members` (one deadline for both); it does not bound reconnections"),
      new ConfigKey(ClusterConfig.MEMBER_TIMEOUT, "`10s`",
          "a silent member is removed after this (heartbeats every timeout/5); a closed connection is noticed at once"),
      new ConfigKey(ClusterConfig.MAX_PAYLOAD, "`64m`",
          "largest task, result or exception"),
      new ConfigKey(ClusterConfig.SERIAL_FILTER, "deny known gadgets",
          "`ObjectInputFilter` class pattern, e.g. `com.acme.**;java.**;dev.gearbox.**;!*`"),
      new ConfigKey(ClusterConfig.KILL, "`none`",
          "the stop ladder's last rung for a task that ignores its interrupt: `none`; `member` halts its member (member, client modes); `task` kills its worker process on its member, and tasks go only to members with `isolation=process`"),
      new ConfigKey(ClusterConfig.POISON_THRESHOLD, "`3`",
          "a task whose member left this many times in a row while it ran is quarantined as poison"),
      new ConfigKey(ClusterConfig.DAEMON, "`true`",
          "the engine does not keep the JVM alive (as the `thread` backend's daemon threads): once only Gearbox's Hazelcast threads are left, an engine never closed leaves the cluster so the JVM can exit. `false`: its Hazelcast instance keeps the JVM alive until `close()`"),
      new ConfigKey(ClusterConfig.MEMBER_NAME, "`engine <name> pid <pid>` / `worker pid <pid>`",
          "the member's name in messages, events and metrics"),
      new ConfigKey(ClusterConfig.SECRET, "embedded: random; else none (required)",
          "the deployment secret (16 characters or more; `openssl rand -base64 32`), the same on every member and engine: every envelope is authenticated with it. Prefer the environment variable `GEARBOX_CLUSTER_SECRET` or `secret-file`; never shown in logs or messages"),
      new ConfigKey(ClusterConfig.SECRET_FILE, "none",
          "path of a file that holds the secret (surrounding whitespace ignored), instead of `secret`"),
      new ConfigKey(ClusterConfig.INSECURE, "`false`",
          "`true`: run a member or client cluster without a secret (any host that reaches the ports can run code on the members and forge results); logged as a warning at start"),
      new ConfigKey(ClusterConfig.ENCRYPT, "`false`",
          "`true`: tasks, results and exceptions travel encrypted (AES-256-GCM, key derived from the secret); members answer as they were asked"),
      new ConfigKey(ClusterConfig.REPLAY_WINDOW, "`2m`",
          "how far an envelope's sending time may be from a member's clock (at least `5s`); a member refuses envelopes outside it and any it accepted before"),
      new ConfigKey(ClusterConfig.ISOLATION, "`none`",
          "how this JVM's member runs tasks (embedded, member): `none`, on its executor threads; `process`, each in a worker JVM of its own pool of `slots` workers (needs `gearbox-engine-process`; see Isolated members)"),
      new ConfigKey(ClusterConfig.PREFETCH, "`1`",
          "attempts each member slot holds queued beyond the one it runs (0 to 16), so that a member starts its next task without waiting a round trip to the engine; only while more work waits in the engine; a held attempt's deadline starts when it starts"));

  @Override
  public List<ConfigKey> declaredKeys() {
    return KEYS;
  }

  @Override
  public Backend create(BackendSettings settings) {
    return ClusterBackend.open(ClusterConfig.parse(settings), settings);
  }
}
