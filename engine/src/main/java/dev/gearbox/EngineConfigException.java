package dev.gearbox;

/**
 * Configuration that Gearbox cannot use: an unknown key, a malformed value, an unknown backend,
 * or a policy the chosen backend cannot honour. The message names the key, the value, where it
 * came from and what is accepted.
 */
public class EngineConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public EngineConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The offending configuration key, or {@code null} when the problem is not one key. */
  public String key() {
    return key;
  }
}
