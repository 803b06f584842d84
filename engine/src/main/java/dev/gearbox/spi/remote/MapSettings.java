package dev.gearbox.spi.remote;

import com.codahale.metrics.MetricRegistry;
import dev.gearbox.EngineConfigException;
import dev.gearbox.WorkerEvent;
import dev.gearbox.spi.BackendSettings;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link BackendSettings} over a plain map of options, for the side of a backend that runs
 * without an engine (a cluster worker member configures its Hazelcast member from the same keys).
 * Values are parsed exactly as an engine parses its own settings: the static {@code parse}
 * methods are the formats every Gearbox setting accepts, and an unusable value fails with an
 * {@link EngineConfigException} that names the key, the value and what is expected. Metrics go to
 * a registry of its own; worker events go nowhere.
 *
 * <p>Immutable and thread-safe.
 */
public final class MapSettings implements BackendSettings {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");

  private final String engineName;
  private final int workers;
  private final Duration cancelGrace;
  private final Map<String, String> options;
  private final MetricRegistry metrics = new MetricRegistry();
  private final dev.gearbox.spi.Work workerStart;

  public MapSettings(String engineName, int workers, Duration cancelGrace, Map<String, String> options) {
    this(engineName, workers, cancelGrace, options, null);
  }

  /**
   * @param workerStart what {@link #workerStart()} returns (a backend run on behalf of one engine:
   *     that engine's), or null for none
   */
  public MapSettings(String engineName, int workers, Duration cancelGrace, Map<String, String> options,
      dev.gearbox.spi.Work workerStart) {
    this.engineName = engineName;
    this.workers = workers;
    this.cancelGrace = cancelGrace;
    this.options = Map.copyOf(options);
    this.workerStart = workerStart;
  }

  @Override
  public Optional<dev.gearbox.spi.Work> workerStart() {
    return Optional.ofNullable(workerStart);
  }

  /** A whole number; underscores may group digits ({@code 10_000}). */
  public static int parseInt(String key, String value) {
    try {
      return Integer.parseInt(value.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw invalid(key, value, "a whole number");
    }
  }

  /** {@code true}/{@code yes}/{@code on} or {@code false}/{@code no}/{@code off}, any case. */
  public static boolean parseBoolean(String key, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> throw invalid(key, value, "true or false");
    };
  }

  /** {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 3m}, {@code 1h}, {@code 2d} ({@code ns}, {@code us} too), or ISO-8601 ({@code PT2S}). */
  public static Duration parseDuration(String key, String value) {
    String s = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.startsWith("p")) {
        return Duration.parse(s.toUpperCase(Locale.ROOT));
      }
      Matcher m = DURATION.matcher(s);
      if (m.matches()) {
        double n = Double.parseDouble(m.group(1));
        double nanosPer = switch (m.group(2)) {
          case "ns" -> 1;
          case "us" -> 1e3;
          case "ms" -> 1e6;
          case "s" -> 1e9;
          case "m" -> 60e9;
          case "h" -> 3600e9;
          default -> 86400e9;
        };
        return Duration.ofNanos(Math.round(n * nanosPer));
      }
    } catch (RuntimeException e) {
      // reported below
    }
    throw invalid(key, value, "a duration such as 250ms, 2s, 1.5s, 3m, 1h or PT2S");
  }

  /** Bytes: {@code 512}, {@code 64k}, {@code 256m}, {@code 2g}. */
  public static long parseSize(String key, String value) {
    String s = value.trim().toLowerCase(Locale.ROOT);
    long mult = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
      case 'k' -> 1024L;
      case 'm' -> 1024L * 1024;
      case 'g' -> 1024L * 1024 * 1024;
      default -> 1L;
    };
    if (mult > 1) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Math.multiplyExact(Long.parseLong(s), mult);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException | ArithmeticException e) {
      throw invalid(key, value, "a size in bytes such as 512k, 256m or 2g");
    }
  }

  private static EngineConfigException invalid(String key, String value, String expected) {
    return new EngineConfigException(key, key + "=" + value + " is not valid: expected " + expected);
  }

  @Override
  public String engineName() {
    return engineName;
  }

  @Override
  public int workers() {
    return workers;
  }

  @Override
  public boolean workersConfigured() {
    return false;
  }

  @Override
  public Duration cancelGrace() {
    return cancelGrace;
  }

  @Override
  public Optional<String> get(String key) {
    return Optional.ofNullable(options.get(key));
  }

  @Override
  public int getInt(String key, int defaultValue, int min, int max) {
    String v = options.get(key);
    if (v == null) {
      return defaultValue;
    }
    try {
      int n = parseInt(key, v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (EngineConfigException e) {
      // reported below, with the range
    }
    throw invalid(key, v, "a whole number from " + min + " to " + max);
  }

  @Override
  public boolean getBoolean(String key, boolean defaultValue) {
    String v = options.get(key);
    return v == null ? defaultValue : parseBoolean(key, v);
  }

  @Override
  public Duration getDuration(String key, Duration defaultValue) {
    String v = options.get(key);
    return v == null ? defaultValue : parseDuration(key, v);
  }

  @Override
  public long getSize(String key, long defaultValue) {
    String v = options.get(key);
    return v == null ? defaultValue : parseSize(key, v);
  }

  @Override
  public MetricRegistry metrics() {
    return metrics;
  }

  @Override
  public String metricName(String suffix) {
    return "gearbox." + engineName + "." + suffix;
  }

  @Override
  public void workerStarted(WorkerEvent event) {}

  @Override
  public void workerCrashed(WorkerEvent event) {}

  @Override
  public void workerRecycled(WorkerEvent event) {}
}
