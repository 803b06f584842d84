package dev.gearbox.thread;

import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import java.util.Set;

/**
 * {@code gearbox.backend=thread}: tasks run on a fixed pool of platform threads in the caller's
 * JVM. Keys: {@code gearbox.thread.daemon} (default {@code true}) and
 * {@code gearbox.thread.name-prefix} (default {@code gearbox-<engine>-worker-}); the pool size
 * is {@code gearbox.workers}.
 */
public final class ThreadBackendProvider implements BackendProvider {
  static final String DAEMON = "gearbox.thread.daemon";
  static final String NAME_PREFIX = "gearbox.thread.name-prefix";

  /** For {@link java.util.ServiceLoader}. */
  public ThreadBackendProvider() {}

  @Override
  public String name() {
    return "thread";
  }

  @Override
  public Set<String> configKeys() {
    return Set.of(DAEMON, NAME_PREFIX);
  }

  @Override
  public Backend create(BackendSettings settings) {
    boolean daemon = settings.getBoolean(DAEMON, true);
    String prefix = settings.get(NAME_PREFIX).orElse("gearbox-" + settings.engineName() + "-worker-");
    return new ThreadBackend(settings.workers(), daemon, prefix);
  }
}
