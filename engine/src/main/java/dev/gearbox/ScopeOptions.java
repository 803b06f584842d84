package dev.gearbox;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * How a {@link Scope} behaves: its failure policy, its deadline, its name, and which threads may
 * fork into it. Immutable; made by {@link #newBuilder()} or the shortcuts {@link #failFast()} and
 * {@link #collectAll()}.
 */
public final class ScopeOptions {
  private final String name;
  private final ScopePolicy policy;
  private final Duration timeout;
  private final boolean confined;

  private ScopeOptions(Builder b) {
    this.name = b.name;
    this.policy = b.policy;
    this.timeout = b.timeout;
    this.confined = b.confined;
  }

  /** Fail-fast, no deadline, confined to the opening thread. */
  public static ScopeOptions failFast() {
    return newBuilder().build();
  }

  /** Collect-all, no deadline, confined to the opening thread. */
  public static ScopeOptions collectAll() {
    return newBuilder().policy(ScopePolicy.COLLECT_ALL).build();
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /** The scope's name, if one was given (otherwise the engine makes one: {@code scope-<n>}). */
  public Optional<String> name() {
    return Optional.ofNullable(name);
  }

  public ScopePolicy policy() {
    return policy;
  }

  /** How long after it opens the scope's deadline falls, if it has one. */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /** Whether only the thread that opened the scope may fork into it (it alone may join and close it). */
  public boolean confined() {
    return confined;
  }

  @Override
  public String toString() {
    return "ScopeOptions[name=" + name + ", policy=" + policy + ", timeout=" + timeout + ", confined=" + confined + "]";
  }

  /** Builds {@link ScopeOptions}; each method checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private String name;
    private ScopePolicy policy = ScopePolicy.FAIL_FAST;
    private Duration timeout;
    private boolean confined = true;

    private Builder() {}

    /**
     * Names the scope in messages.
     *
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder name(String name) {
      requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name of a scope must not be blank");
      }
      this.name = name;
      return this;
    }

    /** What a child's failure does (default {@link ScopePolicy#FAIL_FAST}). */
    public Builder policy(ScopePolicy policy) {
      this.policy = requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Gives the scope a deadline this long after it opens: the children still unfinished then
     * are cancelled, and {@link Scope#join()} throws {@link java.util.concurrent.TimeoutException}.
     *
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder timeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout of a scope must be positive, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Whether only the opening thread may fork (default true). With {@code false}, any thread may
     * fork into the scope while it is open, for example an in-process child forking its own
     * siblings; joining and closing stay with the opening thread.
     */
    public Builder confined(boolean confined) {
      this.confined = confined;
      return this;
    }

    public ScopeOptions build() {
      return new ScopeOptions(this);
    }
  }
}
