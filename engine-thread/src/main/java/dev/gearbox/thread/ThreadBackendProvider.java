package dev.gearbox.thread;

import dev.gearbox.ConfigKey;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import java.util.List;

/**
 * {@code gearbox.backend=thread}: tasks run on a fixed pool of platform threads in the caller's
 * JVM, as many as {@code gearbox.workers}. Its keys are {@link #KEYS}.
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

  /** The keys this backend reads, declared once (the module README's table shows exactly these). */
  static final List<ConfigKey> KEYS = List.of(
      new ConfigKey(DAEMON, "`true`",
          "daemon threads: a forgotten engine does not keep the JVM alive"),
      new ConfigKey(NAME_PREFIX, "`gearbox-<engine name>-worker-`",
          "thread names get a number appended"));

  @Override
  public List<ConfigKey> declaredKeys() {
    return KEYS;
  }

  @Override
  public Backend create(BackendSettings settings) {
    boolean daemon = settings.getBoolean(DAEMON, true);
    String prefix = settings.get(NAME_PREFIX).orElse("gearbox-" + settings.engineName() + "-worker-");
    return new ThreadBackend(settings.workers(), daemon, prefix);
  }
}
