package dev.gearbox;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.util.OptionalInt;

/**
 * Settings for one {@link Engine#map} or {@link Engine#mapUnordered} call. Immutable.
 *
 * <ul>
 *   <li><b>window</b>: at most this many jobs (single inputs or batches) are in flight at once;
 *       inputs are read from the source only as the window frees up, so memory stays bounded
 *       however long the input is. Default: {@code gearbox.map.window}, else
 *       {@code 4 x parallelism} clamped to [16, 1024].
 *   <li><b>chunkSize</b>: inputs per job. Default: {@code gearbox.map.chunk-size}, else 1 on
 *       backends that share memory, and adaptive on backends that
 *       {@link BackendCapabilities#prefersBatching() prefer batching} (grows until one batch
 *       takes about {@code gearbox.map.batch-target}).
 *   <li><b>taskOptions</b>: applied to every job; a timeout bounds one job, so a batch of n
 *       inputs gets n times the timeout.
 * </ul>
 */
public final class MapOptions {

  private static final MapOptions DEFAULTS = new MapOptions(0, 0, TaskOptions.defaults());

  private final int window;
  private final int chunkSize;
  private final TaskOptions taskOptions;

  private MapOptions(int window, int chunkSize, TaskOptions taskOptions) {
    this.window = window;
    this.chunkSize = chunkSize;
    this.taskOptions = taskOptions;
  }

  public static MapOptions defaults() {
    return DEFAULTS;
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /** The window if set, else empty (the engine decides). */
  public OptionalInt window() {
    return window == 0 ? OptionalInt.empty() : OptionalInt.of(window);
  }

  /** The fixed chunk size if set, else empty (the engine decides). */
  public OptionalInt chunkSize() {
    return chunkSize == 0 ? OptionalInt.empty() : OptionalInt.of(chunkSize);
  }

  public TaskOptions taskOptions() {
    return taskOptions;
  }

  @Override
  public String toString() {
    return "MapOptions[window=" + (window == 0 ? "auto" : window) + ", chunkSize="
        + (chunkSize == 0 ? "auto" : chunkSize) + ", " + taskOptions + "]";
  }

  /** Builds {@link MapOptions}; each setter validates its argument at once. */
  public static final class Builder {
    private int window;
    private int chunkSize;
    private TaskOptions taskOptions = TaskOptions.defaults();

    private Builder() {}

    /** Maximum jobs in flight; at least 1. */
    public Builder window(int window) {
      checkArgument(window >= 1, "window must be >= 1, got %s", window);
      this.window = window;
      return this;
    }

    /** Fixed number of inputs per job; at least 1. */
    public Builder chunkSize(int chunkSize) {
      checkArgument(chunkSize >= 1, "chunkSize must be >= 1, got %s", chunkSize);
      this.chunkSize = chunkSize;
      return this;
    }

    public Builder taskOptions(TaskOptions taskOptions) {
      this.taskOptions = requireNonNull(taskOptions, "taskOptions");
      return this;
    }

    public MapOptions build() {
      return new MapOptions(window, chunkSize, taskOptions);
    }
  }
}
