package dev.gearbox.cluster;

import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hazelcast instance's lifecycle events, registered in its configuration so that none is
 * missed. Tells {@link InstanceFactory} when a client first connects; once a backend is
 * {@link #attach attached}, keeps whether a client is connected (logging its disconnections and
 * reconnections), and tells the backend when the instance stops
 * ({@link ClusterBackend#instanceGone}). Events come on a Hazelcast thread or on the thread that
 * stops the instance: nothing is reported here (the backend reports on its report executor).
 *
 * <p>Thread-safe: {@link #backend} and {@link #connected} are volatile; the first connection is a latch.
 */
final class LifecycleRelay implements LifecycleListener {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);

  private final String engineName;
  private final String clusterName;
  private final CountDownLatch firstConnection = new CountDownLatch(1);
  private volatile ClusterBackend backend;
  /** Whether a client is connected to its cluster (always true for a member). */
  private volatile boolean connected = true;

  LifecycleRelay(String engineName, String clusterName) {
    this.engineName = engineName;
    this.clusterName = clusterName;
  }

  /** From now on, events go to {@code b}. */
  void attach(ClusterBackend b) {
    this.backend = b;
  }

  /** Whether the client is connected to its cluster (always true for a member). */
  boolean connected() {
    return connected;
  }

  @Override
  public void stateChanged(LifecycleEvent event) {
    if (event.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
      firstConnection.countDown();
    }
    ClusterBackend b = backend;
    if (b != null) {
      changed(b, event.getState());
    }
  }

  private void changed(ClusterBackend b, LifecycleEvent.LifecycleState state) {
    switch (state) {
      case SHUTTING_DOWN, SHUTDOWN -> b.instanceGone();
      case CLIENT_DISCONNECTED -> {
        connected = false;
        if (!b.closeStarted()) {
          log.warn("Gearbox: engine {} lost its connection to cluster '{}'; its client keeps reconnecting for as long as the"
              + " engine runs. Attempts on the members are lost when their connections close (retried by policy); attempts"
              + " started meanwhile wait for the reconnection (README, client mode)", engineName, clusterName);
        }
      }
      case CLIENT_CONNECTED -> {
        if (!connected) {
          connected = true;
          log.info("Gearbox: engine {} reconnected to cluster '{}'", engineName, clusterName);
        }
      }
      case CLIENT_CHANGED_CLUSTER -> log.warn("Gearbox: engine {} reconnected to cluster '{}', but to members that are not the"
          + " ones it knew (they all restarted): its tasks on the old members are lost", engineName, clusterName);
      default -> {
        // starting, merging: nothing for the engine to do
      }
    }
  }

  /** Waits until a client first connects, by {@code deadline}; false if it did not. */
  boolean awaitConnected(long deadline) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return firstConnection.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
