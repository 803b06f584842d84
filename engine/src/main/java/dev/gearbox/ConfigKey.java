package dev.gearbox;

import static java.util.Objects.requireNonNull;

/**
 * One configuration key, declared once where it is read: its name, its default as users read it,
 * and what it means (with the values it accepts). The documentation's key tables show exactly
 * these declarations, and a test in each module holds them to it.
 *
 * <p>Immutable.
 *
 * @param name the key, {@code gearbox.} then the backend's name or a core section
 * @param defaultValue the default, in words where it is computed ({@code "available processors"})
 * @param meaning what the key controls and the values it accepts
 */
public record ConfigKey(String name, String defaultValue, String meaning) {
  public ConfigKey {
    requireNonNull(name, "name");
    requireNonNull(defaultValue, "defaultValue");
    requireNonNull(meaning, "meaning");
    if (!name.startsWith("gearbox.")) {
      throw new IllegalArgumentException("a Gearbox key starts with 'gearbox.', got " + name);
    }
  }
}
