package dev.gearbox.cluster;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.impl.clientside.HazelcastClientProxy;
import com.hazelcast.config.Config;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.EngineConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the Hazelcast instance that a {@link ClusterConfig} asks for in the engine's JVM: an
 * embedded standalone member, a member that joins others, or a client. A failure to start says
 * in words what to check, naming the key. A client connects asynchronously, so the first
 * connection is bounded here by {@code startup-timeout}; after that it reconnects for as long as
 * the engine runs. {@link Started#undo} stops an instance whose backend then failed to open.
 *
 * <p>Stateless; runs in the thread that opens the engine.
 */
final class InstanceFactory {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  private static final long CONNECTION_POLL_MILLIS = 10;

  private InstanceFactory() {}

  /**
   * A started instance, with its lifecycle relay, how long it took to start, and the open's
   * deadline ({@code startup-timeout} from the start).
   */
  record Started(HazelcastInstance hz, LifecycleRelay lifecycle, long startNanos, long deadline) {
    /** Stops the instance at once: what follows its start failed. */
    void undo() {
      lifecycle.attach(null); // the backend never opened: its stop must not be reported as one nobody asked for
      hz.getLifecycleService().terminate();
    }
  }

  /**
   * Hazelcast reads its logging type from a system property before it reads any config; default it
   * to SLF4J. Also, on small machines, makes Hazelcast reuse its callback threads ({@link HazelcastAsync}).
   */
  static void prepareHazelcast() {
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
    HazelcastAsync.reuseThreads();
  }

  /**
   * Starts the instance; a member runs tasks with {@code runtime}.
   *
   * @throws EngineConfigException if it cannot start, or a client cannot connect within {@code startup-timeout}
   */
  static Started start(ClusterConfig config, MemberRuntime runtime, String engineName) {
    prepareHazelcast();
    long t0 = System.nanoTime();
    long deadline = t0 + config.startupTimeout().toNanos();
    LifecycleRelay lifecycle = new LifecycleRelay(engineName, config.clusterName());
    HazelcastInstance hz;
    if (config.mode() == ClusterConfig.Mode.CLIENT) {
      ClientConfig cc = HazelcastConfigs.client(config);
      cc.addListenerConfig(new ListenerConfig(lifecycle));
      try {
        hz = HazelcastClient.newHazelcastClient(cc); // asynchronous start: returns before it connects
      } catch (RuntimeException e) {
        throw cannotConnect(config, e.toString());
      }
      // The client retries for ever (so that it outlives an outage), so open bounds the first connection itself.
      if (!lifecycle.awaitConnected(deadline)) {
        hz.getLifecycleService().terminate();
        throw cannotConnect(config, "no member answered");
      }
    } else {
      Config mc = HazelcastConfigs.member(config, runtime);
      mc.addListenerConfig(new ListenerConfig(lifecycle));
      try {
        hz = Hazelcast.newHazelcastInstance(mc);
      } catch (RuntimeException e) {
        throw new EngineConfigException(ClusterConfig.MODE, "the cluster backend could not start its Hazelcast member"
            + " (cluster '" + config.clusterName() + "', interface " + config.bindInterface() + ", port " + config.port() + "): " + e);
      }
    }
    return new Started(hz, lifecycle, System.nanoTime() - t0, deadline);
  }

  private static EngineConfigException cannotConnect(ClusterConfig config, String why) {
    return new EngineConfigException(ClusterConfig.MEMBERS, "the cluster backend could not connect to cluster '"
        + config.clusterName() + "' at " + String.join(",", config.members()) + " within "
        + config.startupTimeout().toMillis() + " ms (" + ClusterConfig.STARTUP_TIMEOUT + "): " + why
        + ". Check that members run (java -cp <application classpath> dev.gearbox.cluster.WorkerMember) with the"
        + " same cluster name (" + ClusterConfig.CLUSTER_NAME + ")");
  }

  /**
   * Waits (by the open's deadline, best effort) until the client has a connection of its own to
   * every member it knows. A client started asynchronously opens them in the background, and until
   * then it sends a task meant for member A through a connection to member B: if B then dies, the
   * task is reported lost with A, which did not leave. A synchronous start waited for these
   * connections; this keeps that. It uses Hazelcast's client internals (the engine and members
   * need the same Hazelcast version anyway), and simply does not wait if they ever change.
   */
  static void awaitConnectionsToMembers(HazelcastInstance hz, long deadline, String engineName, String clusterName) {
    if (!(hz instanceof HazelcastClientProxy proxy)) {
      return;
    }
    try {
      var connections = proxy.client.getConnectionManager();
      while (System.nanoTime() - deadline < 0) {
        if (hz.getCluster().getMembers().stream().allMatch(m -> connections.getActiveConnection(m.getUuid()) != null)) {
          return;
        }
        Thread.sleep(CONNECTION_POLL_MILLIS);
      }
      log.debug("Gearbox: engine {} opened before its client connected to every member of cluster {}", engineName,
          clusterName);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | LinkageError e) {
      log.debug("Gearbox: cannot tell whether the client is connected to every member: {}", e.toString());
    }
  }
}
