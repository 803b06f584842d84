package dev.gearbox;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * Per-task settings: name, timeout, retry policy and priority. Immutable and thread-safe.
 *
 * <p>A setting left unset takes the engine's default from its configuration
 * ({@code gearbox.task.timeout}, {@code gearbox.task.retries}); {@link #defaults()} leaves all
 * unset.
 *
 * <p><b>Timeout</b> is measured from the moment the task starts running (queue time does not
 * count). At the deadline the caller's future fails with {@link TaskTimeoutException} and the
 * engine stops the task by the strongest means the backend has: a cooperative cancel flag, then
 * an interrupt, then (backends that {@link BackendCapabilities#canKill() can kill}) killing the
 * worker after {@code gearbox.cancel.grace}.
 *
 * <p><b>Priority</b> orders queued tasks: higher runs first; equal priorities run in submission
 * order. It does not preempt running tasks.
 */
public final class TaskOptions {

  private static final TaskOptions DEFAULTS = new TaskOptions(null, null, null, 0);

  private final String name;
  private final Duration timeout;
  private final RetryPolicy retry;
  private final int priority;

  private TaskOptions(String name, Duration timeout, RetryPolicy retry, int priority) {
    this.name = name;
    this.timeout = timeout;
    this.retry = retry;
    this.priority = priority;
  }

  /** Options with every setting left to the engine's defaults. */
  public static TaskOptions defaults() {
    return DEFAULTS;
  }

  /** Shorthand for {@code newBuilder().name(name).build()}. */
  public static TaskOptions named(String name) {
    return newBuilder().name(name).build();
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /** A builder that starts from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.name = name;
    b.timeout = timeout;
    b.retry = retry;
    b.priority = priority;
    return b;
  }

  public Optional<String> name() {
    return Optional.ofNullable(name);
  }

  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  public Optional<RetryPolicy> retry() {
    return Optional.ofNullable(retry);
  }

  public int priority() {
    return priority;
  }

  // Without an Optional, for the engine, which reads them per task.

  String nameOrNull() {
    return name;
  }

  Duration timeoutOrNull() {
    return timeout;
  }

  RetryPolicy retryOrNull() {
    return retry;
  }

  @Override
  public String toString() {
    return "TaskOptions[name=" + name + ", timeout=" + timeout + ", retry=" + retry
        + ", priority=" + priority + "]";
  }

  /** Builds {@link TaskOptions}; each setter validates its argument at once. */
  public static final class Builder {
    private String name;
    private Duration timeout;
    private RetryPolicy retry;
    private int priority;

    private Builder() {}

    /** A name for logs, events, metrics and error messages. */
    public Builder name(String name) {
      requireNonNull(name, "name");
      checkArgument(!name.isBlank(), "name must not be blank");
      this.name = name;
      return this;
    }

    /** Deadline measured from the start of each attempt; must be positive. */
    public Builder timeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      checkArgument(!timeout.isNegative() && !timeout.isZero(), "timeout must be positive, got %s", timeout);
      this.timeout = timeout;
      return this;
    }

    public Builder retry(RetryPolicy retry) {
      this.retry = requireNonNull(retry, "retry");
      return this;
    }

    /** Higher runs first among queued tasks; default 0; any int. */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    public TaskOptions build() {
      return new TaskOptions(name, timeout, retry, priority);
    }
  }
}
