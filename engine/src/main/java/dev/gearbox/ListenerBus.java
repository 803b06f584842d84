package dev.gearbox;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to listeners on one event thread per engine, in order. The thread exists only
 * while there are events to deliver (it times out when idle), and costs nothing when no listener
 * is registered: {@link #emit} returns at once.
 */
final class ListenerBus {
  private static final Logger log = LoggerFactory.getLogger(ListenerBus.class);

  private final CopyOnWriteArrayList<EngineListener> listeners = new CopyOnWriteArrayList<>();
  private final ThreadPoolExecutor thread;

  ListenerBus(String engineName) {
    thread = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat("gearbox-" + engineName + "-events").build());
    thread.allowCoreThreadTimeOut(true);
  }

  void add(EngineListener l) {
    listeners.add(l);
  }

  void remove(EngineListener l) {
    listeners.remove(l);
  }

  boolean isEmpty() {
    return listeners.isEmpty();
  }

  /** Queues {@code event} for every listener registered now. */
  void emit(String what, Consumer<EngineListener> event) {
    if (listeners.isEmpty()) {
      return;
    }
    Object[] targets = listeners.toArray();
    try {
      thread.execute(() -> {
        for (Object target : targets) {
          EngineListener l = (EngineListener) target;
          try {
            event.accept(l);
          } catch (Throwable t) {
            log.warn("Gearbox: listener {} threw from {}; the engine goes on", l, what, t);
          }
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("Gearbox: event {} after the event thread stopped; dropped", what);
    }
  }

  /** Runs {@code task} on the event thread, after the events queued before it; logs what it throws. */
  void execute(String what, Runnable task) {
    try {
      thread.execute(() -> {
        try {
          task.run();
        } catch (Throwable t) {
          log.warn("Gearbox: listener threw from {}; the engine goes on", what, t);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("Gearbox: {} after the event thread stopped; dropped", what);
    }
  }

  void shutdown() {
    thread.shutdown();
  }

  boolean awaitTermination(Duration timeout) throws InterruptedException {
    return thread.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }
}
