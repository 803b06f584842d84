package dev.gearbox;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The engine's metrics under {@code gearbox.<name>.}: counters {@code submitted},
 * {@code running}, {@code completed} (succeeded), {@code failed}, {@code cancelled},
 * {@code rejected}, {@code retried}, {@code timed-out}; timers {@code queue-wait} and
 * {@code run-time}; gauges {@code queue-depth} and {@code in-flight}. Counters and timers stay in
 * the registry after close (final counts remain readable); gauges are removed, since they read a
 * closed engine.
 */
final class EngineMetrics {
  final String prefix;
  final MetricRegistry registry;
  final Counter submitted;
  final Counter running;
  final Counter completed;
  final Counter failed;
  final Counter cancelled;
  final Counter rejected;
  final Counter retried;
  final Counter timedOut;
  final Timer queueWait;
  final Timer runTime;
  private final List<String> gauges;

  EngineMetrics(MetricRegistry registry, String engineName, IntSupplier queueDepth, IntSupplier inFlight) {
    this.registry = registry;
    this.prefix = "gearbox." + engineName + ".";
    this.gauges = List.of(prefix + "queue-depth", prefix + "in-flight");
    for (String g : gauges) {
      if (registry.getMetrics().containsKey(g)) {
        throw new EngineConfigException(EngineConfig.NAME, "an open engine named '" + engineName
            + "' already registers its metrics in this registry (" + g + "); give this engine another"
            + " gearbox.name");
      }
    }
    submitted = registry.counter(prefix + "submitted");
    running = registry.counter(prefix + "running");
    completed = registry.counter(prefix + "completed");
    failed = registry.counter(prefix + "failed");
    cancelled = registry.counter(prefix + "cancelled");
    rejected = registry.counter(prefix + "rejected");
    retried = registry.counter(prefix + "retried");
    timedOut = registry.counter(prefix + "timed-out");
    // The lock-free reservoir keeps timer updates off any lock on the hot path.
    queueWait = registry.timer(prefix + "queue-wait", () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
    runTime = registry.timer(prefix + "run-time", () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
    registry.register(gauges.get(0), (Gauge<Integer>) queueDepth::getAsInt);
    registry.register(gauges.get(1), (Gauge<Integer>) inFlight::getAsInt);
  }

  String name(String suffix) {
    return prefix + suffix;
  }

  void recordQueueWait(long nanos) {
    queueWait.update(nanos, TimeUnit.NANOSECONDS);
  }

  void recordRunTime(long nanos) {
    runTime.update(nanos, TimeUnit.NANOSECONDS);
  }

  void removeGauges() {
    gauges.forEach(registry::remove);
  }
}
