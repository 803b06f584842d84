package dev.gearbox.cluster;

import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hazelcast's threads are not daemon threads, so an engine that is never closed would keep the
 * JVM from exiting, unlike the other backends. With {@code gearbox.cluster.daemon=true}
 * (default) a daemon thread leaves the cluster once no live non-daemon thread is left but
 * Gearbox's Hazelcast threads: the application has ended, and the JVM may exit.
 *
 * <p>Thread-safety: one daemon thread per engine, which only reads whether the engine's close has
 * started and calls its (idempotent) leave action.
 */
final class ExitWatch {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  /** How often the exit watch looks for application threads. */
  private static final long EXIT_WATCH_MILLIS = 500;

  private ExitWatch() {}

  /**
   * Starts the watch of an engine.
   *
   * @param closeStarted whether the engine is leaving the cluster already (the watch then ends)
   * @param leave leaves the cluster
   */
  static void start(String engineName, BooleanSupplier closeStarted, Runnable leave) {
    Thread watch = new Thread(() -> {
      while (!closeStarted.getAsBoolean()) {
        try {
          Thread.sleep(EXIT_WATCH_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
        if (!applicationThreadsAlive()) {
          log.debug("Gearbox: engine {} was not closed and the application's threads have ended; leaving the cluster"
              + " so the JVM can exit (gearbox.cluster.daemon=true)", engineName);
          leave.run();
          return;
        }
      }
    }, "gearbox-" + engineName + "-cluster-exit-watch");
    watch.setDaemon(true);
    watch.start();
  }

  private static boolean applicationThreadsAlive() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 32];
    int n = root.enumerate(threads, true);
    for (int i = 0; i < n; i++) {
      Thread t = threads[i];
      if (t.isAlive() && !t.isDaemon() && !t.getName().startsWith("hz.gearbox-") && !t.getName().equals("DestroyJavaVM")) {
        return true;
      }
    }
    return n >= threads.length; // too many to tell: assume the application is alive
  }
}
