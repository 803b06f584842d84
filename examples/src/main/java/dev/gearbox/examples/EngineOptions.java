package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The engine flags every example takes. They outrank every other configuration source
 * ({@code -D}, {@code GEARBOX_*}, {@code gearbox.properties}); whatever they leave unset comes
 * from those sources as usual, so an example's code never names a backend.
 */
final class EngineOptions {
  @Option(names = "--backend", paramLabel = "NAME",
      description = "direct, thread, async, process, cluster (default: gearbox.backend, else thread)")
  String backend;

  @Option(names = "--workers", paramLabel = "N", description = "tasks at once (default: gearbox.workers, else one per core)")
  Integer workers;

  @Option(names = "--set", paramLabel = "KEY=VALUE", mapFallbackValue = "",
      description = "any other Gearbox key, e.g. --set gearbox.process.heap=256m (repeatable)")
  Map<String, String> settings = new LinkedHashMap<>();

  /** The flags as configuration overrides. */
  Map<String, String> overrides() {
    Map<String, String> o = new LinkedHashMap<>(settings);
    if (backend != null) {
      o.put(EngineConfig.BACKEND, backend);
    }
    if (workers != null) {
      o.put(EngineConfig.WORKERS, String.valueOf(workers));
    }
    return o;
  }

  /** The backend the flags and configuration pick, without opening anything. */
  String resolvedBackend() {
    return EngineConfig.load(overrides()).backend();
  }

  /**
   * Opens the engine; {@code defaults} (an example's own needs) apply only to keys that no
   * source sets, flags, {@code -D}, {@code GEARBOX_*} and {@code gearbox.properties} included.
   */
  Engine open(Map<String, String> defaults) {
    EngineConfig configured = EngineConfig.load(overrides());
    Map<String, String> o = new LinkedHashMap<>();
    defaults.forEach((k, v) -> {
      if (!configured.backendOptions().containsKey(k)) {
        o.put(k, v);
      }
    });
    if (o.isEmpty()) {
      return Engine.open(configured);
    }
    o.putAll(overrides());
    return Engine.open(EngineConfig.load(o));
  }
}
