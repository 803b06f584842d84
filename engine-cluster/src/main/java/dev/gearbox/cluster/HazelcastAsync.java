package dev.gearbox.cluster;

import com.hazelcast.internal.util.ConcurrencyUtil;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hazelcast completes its futures' callbacks (every answer a client or member hears for an
 * executor call, among others) on its default async executor: the JDK's common pool, or, when
 * that pool has a parallelism of 1 (machines of 2 cores or fewer), a new thread for every
 * callback. On such a machine that costs a thread start per task, several milliseconds of CPU
 * that the members' tasks then lack (measured with {@code ClusterComparison}). So, once per JVM
 * and only in that case, Gearbox gives Hazelcast a cached pool instead: the same callbacks, run
 * asynchronously as before, on threads that are reused (daemon, named
 * {@code gearbox-hazelcast-async-N}, gone after a minute idle). It applies to every Hazelcast
 * instance of the JVM, the application's own included, which only gain from it; an executor the
 * application set itself, or a common pool with parallelism, is left alone. Logged once at INFO.
 *
 * <p>Thread-safe: the check and the change happen once, under the class's lock.
 */
final class HazelcastAsync {
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  private static boolean done;

  private HazelcastAsync() {}

  /** Replaces Hazelcast's thread-per-callback executor by a cached pool, if it is the one in use. */
  static synchronized void reuseThreads() {
    if (done) {
      return;
    }
    done = true;
    Executor current;
    try {
      current = ConcurrencyUtil.getDefaultAsyncExecutor();
    } catch (LinkageError e) {
      return; // another Hazelcast version without this hook: leave it as it is
    }
    if (ForkJoinPool.getCommonPoolParallelism() > 1 || current != threadPerTaskOf(current)) {
      return;
    }
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, "gearbox-hazelcast-async-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), threads);
    try {
      ConcurrencyUtil.setDefaultAsyncExecutor(pool);
    } catch (LinkageError e) {
      return; // another Hazelcast version without this hook: leave it as it is
    }
    log.info("Gearbox: Hazelcast's async callbacks now run on a cached pool of reused threads instead of a new thread"
        + " each (the common pool has no parallelism on this machine of {} cores)", Runtime.getRuntime().availableProcessors());
  }

  /** {@code current} if it is Hazelcast's own fallback (a lambda of {@link ConcurrencyUtil}), else null. */
  private static Executor threadPerTaskOf(Executor current) {
    return current != null && current.getClass().getName().startsWith(ConcurrencyUtil.class.getName() + "$$Lambda")
        ? current : null;
  }
}
