package dev.gearbox.cluster;

import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code gearbox.backend=cluster}: tasks run on the members of a Hazelcast cluster. By default an
 * embedded, standalone member in the engine's own JVM (one machine, no setup); by configuration
 * the engine joins members as a member itself, or connects to them as a client. Keys (all
 * optional): {@code gearbox.cluster.mode} ({@code embedded}, {@code member}, {@code client}),
 * {@code members} ({@code host:port,...}; member and client modes, default {@code 127.0.0.1:5701}),
 * {@code cluster-name} (embedded: a random one; otherwise {@code gearbox-<engine name>}),
 * {@code interface} (the address members bind and publish; default {@code 127.0.0.1}),
 * {@code port} (embedded: any free port; member: 5701 and up), {@code executor} ({@code plain} or
 * {@code durable}), {@code slots} (tasks this JVM's member runs at once; default
 * {@code gearbox.workers}; 0 in member mode submits only), {@code parallelism} (the engine's
 * dispatch limit; default {@code gearbox.workers} if set explicitly, else the slots present at
 * open), {@code min-members} (task-running members to wait for at open; 1),
 * {@code durable-capacity} (100), {@code durable-backups} (1),
 * {@code startup-timeout} (30s), {@code member-timeout} (10s: a silent member is removed after
 * this), {@code max-payload} (64m), {@code serial-filter}, {@code member-name},
 * {@code poison-threshold} (3: a task whose member left that many times in a row while it ran
 * fails with {@link dev.gearbox.PoisonTaskException}), {@code kill} ({@code none}, or {@code member}:
 * a task that ignores its interrupt past {@code gearbox.cancel.grace} gets its member halted),
 * {@code daemon} (true: an engine never closed does not keep the JVM alive).
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

  @Override
  public Set<String> configKeys() {
    return new LinkedHashSet<>(ClusterConfig.KEYS);
  }

  @Override
  public Backend create(BackendSettings settings) {
    return ClusterBackend.open(ClusterConfig.parse(settings), settings);
  }
}
