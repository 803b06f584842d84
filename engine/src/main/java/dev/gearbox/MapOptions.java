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
 *   <li><b>progress</b>: a listener told, about ten times a second, how many inputs are done, of
 *       how many (known for a {@code Collection}, a sized stream, or a given {@code total}), the
 *       rate and the time left.
 * </ul>
 */
public final class MapOptions {

  private static final MapOptions DEFAULTS = new MapOptions(0, 0, TaskOptions.defaults(), null, -1);

  private final int window;
  private final int chunkSize;
  private final TaskOptions taskOptions;
  private final MapProgressListener progress;
  private final long total;

  private MapOptions(int window, int chunkSize, TaskOptions taskOptions, MapProgressListener progress, long total) {
    this.window = window;
    this.chunkSize = chunkSize;
    this.taskOptions = taskOptions;
    this.progress = progress;
    this.total = total;
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

  /** Who hears the map's progress, if anyone. */
  public java.util.Optional<MapProgressListener> progress() {
    return java.util.Optional.ofNullable(progress);
  }

  /** The number of inputs as given, or -1 (the map then takes it from a sized input, or reports it unknown). */
  public long total() {
    return total;
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
    private MapProgressListener progress;
    private long total = -1;

    private Builder() {}

    /**
     * Reports the map's progress (done, total when known, rate, ETA) to {@code listener}, on the
     * engine's event thread; {@link MapProgressListener#terminal(String)} draws a bar.
     */
    public Builder progress(MapProgressListener listener) {
      this.progress = requireNonNull(listener, "listener");
      return this;
    }

    /** How many inputs there are, for progress, when the input does not say (an iterator, an unsized stream); at least 0. */
    public Builder total(long total) {
      checkArgument(total >= 0, "total must be >= 0, got %s", total);
      this.total = total;
      return this;
    }

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
      return new MapOptions(window, chunkSize, taskOptions, progress, total);
    }
  }
}
