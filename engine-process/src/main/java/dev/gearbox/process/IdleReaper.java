package dev.gearbox.process;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The pool's housekeeping thread: with {@code gearbox.process.idle-timeout} set (and fewer
 * {@code prestart} workers than slots), it retires workers beyond {@code prestart} that have idled
 * that long, every quarter of the timeout (50 ms to 1 s); they start again on demand. One daemon
 * thread per engine, ended when the pool stops.
 */
final class IdleReaper implements Runnable {
  private final WorkerPool pool;
  private final long idleNanos;

  private IdleReaper(WorkerPool pool, long idleNanos) {
    this.pool = pool;
    this.idleNanos = idleNanos;
  }

  static void startIfConfigured(WorkerPool pool) {
    ProcessConfig config = pool.config;
    if (config.idleTimeout().isZero() || config.prestart() >= config.workers()) {
      return;
    }
    Thread t = new Thread(new IdleReaper(pool, config.idleTimeout().toNanos()), "gearbox-" + pool.engineName + "-process-idle");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void run() {
    String why = "idle for more than " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms (gearbox.process.idle-timeout)";
    while (!pool.isShutdown()) {
      List<WorkerProcess> retire;
      synchronized (pool) {
        retire = pool.idleBeyondPrestartLocked(idleNanos);
      }
      retire.forEach(w -> w.retire(why));
      try {
        Thread.sleep(Math.max(50, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(idleNanos) / 4)));
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
