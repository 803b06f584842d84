package dev.gearbox;

/** What a {@link Scope} does when one of its children fails. */
public enum ScopePolicy {
  /**
   * The first child that fails (or is cancelled from outside the scope) shuts the scope down: its
   * other children are cancelled with {@code cancel(true)}, which stops them by the engine's stop
   * ladder (interrupt, then kill on backends that can kill), and {@link Scope#join()} throws
   * that first failure.
   */
  FAIL_FAST,
  /**
   * Every child runs to its end whatever the others do; {@link Scope#join()} then throws if any
   * failed, with the first failure (in fork order) as the cause and the others suppressed.
   */
  COLLECT_ALL
}
