package dev.gearbox.async;

import dev.gearbox.ConfigKey;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import java.util.List;

/**
 * {@code gearbox.backend=async}: blocking tasks run one per virtual thread; {@link
 * dev.gearbox.AsyncTask}s are driven as stages without a thread waiting on them. Its keys
 * are {@link #KEYS}. When {@code max-concurrency} is not set, an explicit {@code gearbox.workers} is the limit
 * (so {@code --workers} means the same on every backend); the processor-count default of
 * {@code gearbox.workers} does not apply, since virtual threads are not a pool.
 */
public final class AsyncBackendProvider implements BackendProvider {
  static final String MAX_CONCURRENCY = "gearbox.async.max-concurrency";
  static final String NAME_PREFIX = "gearbox.async.name-prefix";
  /** Measured: 100,000 sleeping virtual threads hold about 210 MB of heap (see README). */
  static final int DEFAULT_MAX_CONCURRENCY = 100_000;

  /** For {@link java.util.ServiceLoader}. */
  public AsyncBackendProvider() {}

  @Override
  public String name() {
    return "async";
  }

  /** The keys this backend reads, declared once (the module README's table shows exactly these). */
  static final List<ConfigKey> KEYS = List.of(
      new ConfigKey(MAX_CONCURRENCY, "`gearbox.workers` if set explicitly, else 100,000",
          "tasks in flight at once; beyond it tasks wait in the engine's queue (`gearbox.queue.capacity`)"),
      new ConfigKey(NAME_PREFIX, "none: threads are unnamed, as the JDK's virtual-thread executor leaves them",
          "names the virtual threads `<prefix>0`, `<prefix>1`... (a string per running task); snapshots, and the engine's own messages, show an"
              + " unnamed one as `VirtualThread[#<thread id>]`; set a prefix if your log pattern's thread name"
              + " (`%thread`) must tell tasks apart"));

  @Override
  public List<ConfigKey> declaredKeys() {
    return KEYS;
  }

  @Override
  public Backend create(BackendSettings settings) {
    int fallback = settings.workersConfigured() ? settings.workers() : DEFAULT_MAX_CONCURRENCY;
    int limit = settings.getInt(MAX_CONCURRENCY, fallback, 1, 10_000_000);
    String prefix = settings.get(NAME_PREFIX).orElse(null);
    return new AsyncBackend(limit, prefix);
  }
}
