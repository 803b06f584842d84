package dev.gearbox.spi;

import dev.gearbox.ConfigKey;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Creates a {@link Backend} by name; found with {@link java.util.ServiceLoader}. Register an
 * implementation in {@code META-INF/services/dev.gearbox.spi.BackendProvider}. The class must
 * be public with a public no-argument constructor.
 */
public interface BackendProvider {

  /** The name users configure with {@code gearbox.backend}: lower case, no spaces. */
  String name();

  /**
   * The configuration keys this backend reads, all of the form {@code gearbox.<name>.*}, each
   * declared once with its default and meaning (the backend's documentation shows exactly these).
   * Keys in that namespace that are not listed fail at open as unknown.
   */
  List<ConfigKey> declaredKeys();

  /** The names of {@link #declaredKeys()}. */
  default Set<String> configKeys() {
    return declaredKeys().stream().map(ConfigKey::name).collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Creates the backend. Must validate every setting it reads and throw
   * {@link dev.gearbox.EngineConfigException} naming the key when one is unusable; must not
   * leave threads or processes behind when it throws.
   */
  Backend create(BackendSettings settings);
}
