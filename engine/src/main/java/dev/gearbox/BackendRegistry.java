package dev.gearbox;

import dev.gearbox.spi.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds backends by name: the built-in {@code direct} plus every {@link BackendProvider} that
 * {@link ServiceLoader} sees, in name order (deterministic whatever the classpath order).
 */
final class BackendRegistry {

  static final Set<String> CORE_KEYS = CoreKeys.NAMES;
  /** The backends Gearbox ships, each in a module {@code gearbox-engine-<name>} ({@code direct} is in the engine's own). */
  static final List<String> FIRST_PARTY = List.of("thread", "direct", "async", "process", "cluster");

  private BackendRegistry() {}

  /** Every provider on the classpath, by name. */
  static TreeMap<String, BackendProvider> providers() {
    TreeMap<String, BackendProvider> byName = new TreeMap<>();
    byName.put(DirectBackend.NAME, new DirectBackend.Provider());
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    List<ServiceLoader<BackendProvider>> loaders = new ArrayList<>();
    loaders.add(ServiceLoader.load(BackendProvider.class, BackendRegistry.class.getClassLoader()));
    if (cl != null && cl != BackendRegistry.class.getClassLoader()) {
      loaders.add(ServiceLoader.load(BackendProvider.class, cl));
    }
    for (ServiceLoader<BackendProvider> loader : loaders) {
      try {
        for (BackendProvider p : loader) {
          BackendProvider previous = byName.putIfAbsent(p.name(), p);
          if (previous != null && previous.getClass() != p.getClass()) {
            throw new EngineConfigException(EngineConfig.BACKEND, "two backends are named '" + p.name()
                + "': " + previous.getClass().getName() + " and " + p.getClass().getName()
                + "; remove one of them from the classpath");
          }
        }
      } catch (ServiceConfigurationError e) {
        throw new EngineConfigException(EngineConfig.BACKEND, "a Gearbox backend on the classpath cannot be loaded: " + e.getMessage());
      }
    }
    return byName;
  }

  static BackendProvider find(String name, String source) {
    TreeMap<String, BackendProvider> all = providers();
    BackendProvider p = all.get(name);
    if (p == null) {
      String hint;
      if (FIRST_PARTY.contains(name)) {
        hint = "The " + name + " backend is in dev.gearbox:gearbox-engine-" + name + ": add it to the classpath.";
      } else {
        Set<String> names = new TreeSet<>(all.keySet());
        names.addAll(FIRST_PARTY);
        String near = EngineConfig.nearest(name, names);
        String guess = near == null ? ""
            : all.containsKey(near) ? "Did you mean '" + near + "'? "
            : "Did you mean '" + near + "' (in dev.gearbox:gearbox-engine-" + near + ", not on the classpath either)? ";
        hint = guess + "Gearbox's backends are " + String.join(", ", FIRST_PARTY)
            + "; another library's backend needs its module on the classpath.";
      }
      throw new EngineConfigException(EngineConfig.BACKEND, "gearbox.backend=" + name + " (from " + source
          + "): no such backend. Backends on the classpath: " + String.join(", ", all.keySet()) + ". " + hint);
    }
    return p;
  }

  /** Core keys plus the keys of every backend on the classpath, sorted. */
  static Set<String> allKeys() {
    TreeSet<String> keys = new TreeSet<>(CORE_KEYS);
    for (BackendProvider p : providers().values()) {
      keys.addAll(p.configKeys());
    }
    return keys;
  }
}
