package dev.gearbox.process;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Timer;
import dev.gearbox.spi.BackendSettings;
import java.util.function.IntSupplier;

/**
 * The process backend's metrics, registered under {@code gearbox.<engine>.process.*}: workers
 * started, adopted warm, crashed and recycled, frames and bytes each way (headers included), worker start-up
 * time, and a gauge of live workers. Counters are thread-safe.
 */
final class ProcessMetrics {
  final Counter workersStarted;
  /** Workers taken warm from an engine that closed (see {@link WarmWorkers}); not counted in {@link #workersStarted}. */
  final Counter workersAdopted;
  final Counter workersCrashed;
  final Counter workersRecycled;
  final Timer startupTime;
  private final Counter bytesSent;
  private final Counter bytesReceived;
  private final Counter framesSent;
  private final Counter framesReceived;

  ProcessMetrics(BackendSettings settings) {
    var registry = settings.metrics();
    this.workersStarted = registry.counter(settings.metricName("process.workers-started"));
    this.workersAdopted = registry.counter(settings.metricName("process.workers-adopted"));
    this.workersCrashed = registry.counter(settings.metricName("process.workers-crashed"));
    this.workersRecycled = registry.counter(settings.metricName("process.workers-recycled"));
    this.bytesSent = registry.counter(settings.metricName("process.bytes-sent"));
    this.bytesReceived = registry.counter(settings.metricName("process.bytes-received"));
    this.framesSent = registry.counter(settings.metricName("process.frames-sent"));
    this.framesReceived = registry.counter(settings.metricName("process.frames-received"));
    this.startupTime = registry.timer(settings.metricName("process.worker-startup"));
  }

  /** Registers the live-workers gauge, replacing one an earlier engine of the same name left. */
  static void registerLiveWorkers(BackendSettings settings, IntSupplier liveWorkers) {
    settings.metrics().remove(settings.metricName("process.live-workers"));
    settings.metrics().register(settings.metricName("process.live-workers"), (Gauge<Integer>) liveWorkers::getAsInt);
  }

  void frameSent(int payloadBytes) {
    framesSent.inc();
    bytesSent.inc(payloadBytes + Protocol.HEADER_BYTES);
  }

  void frameReceived(int payloadBytes) {
    framesReceived.inc();
    bytesReceived.inc(payloadBytes + Protocol.HEADER_BYTES);
  }
}
