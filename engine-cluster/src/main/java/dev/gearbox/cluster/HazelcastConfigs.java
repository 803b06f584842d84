package dev.gearbox.cluster;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.NetworkConfig;
import dev.gearbox.spi.remote.SerialCodec;
import java.util.ArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;

/**
 * Hazelcast's member and client configurations built from a {@link ClusterConfig}, with the
 * backend's security and speed defaults: loopback, no multicast or auto-detection, no phone-home,
 * REST and Memcache off, Jet off, Hazelcast's Java deserialization filtered, SLF4J logging, fast
 * failure detection.
 *
 * <p>Stateless; every call builds a new configuration.
 */
final class HazelcastConfigs {
  private HazelcastConfigs() {}

  /** Hazelcast properties shared by members and clients: quiet, private, quick to notice a dead peer. */
  private static void common(BiConsumer<String, String> set) {
    set.accept("hazelcast.logging.type", "slf4j");
    set.accept("hazelcast.phone.home.enabled", "false");
  }

  /**
   * A filter on Hazelcast's own Java deserialization, which the backend never needs for user
   * classes (they travel as bytes of its {@link SerialCodec}): Hazelcast's default allow-list (its own
   * classes, {@code java*} and arrays) plus the backend's envelopes, minus the JDK's known gadget
   * packages. So a peer on the cluster network cannot make a member or the engine deserialize a
   * gadget chain through Hazelcast either. (The envelopes are {@code DataSerializable}, which
   * Hazelcast does not filter today; they are listed so that they pass if it ever does.)
   */
  static JavaSerializationFilterConfig javaFilter() {
    JavaSerializationFilterConfig filter = new JavaSerializationFilterConfig(); // defaults on: Hazelcast's lists
    filter.getWhitelist().addClasses(RemoteTask.class.getName(), CancelRequest.class.getName(), HaltRequest.class.getName(),
        ProgressReport.class.getName(), ProofRequest.class.getName());
    filter.getWhitelist().addClasses(KillTaskRequest.class.getName(), ChannelCall.class.getName(), ChannelReply.class.getName());
    filter.getBlacklist().addPrefixes("javax.management.", "java.rmi.", "sun.rmi.", "com.sun.rowset.", "com.sun.jndi.",
        "com.sun.org.apache.xalan.internal.xsltc.trax.", "javax.naming.");
    return filter;
  }

  /** The configuration of a member (embedded, the engine's own in member mode, or a {@link WorkerMember}). */
  static Config member(ClusterConfig config, MemberRuntime runtime) {
    Config c = new Config();
    c.setClusterName(config.clusterName());
    c.setInstanceName("gearbox-" + config.clusterName() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    common(c::setProperty);
    long timeout = config.memberTimeout().toSeconds();
    c.setProperty("hazelcast.heartbeat.interval.seconds", Long.toString(Math.max(1, timeout / 5)));
    c.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(timeout));
    c.setProperty("hazelcast.client.max.no.heartbeat.seconds", Long.toString(timeout));
    // Joins are not batched: a member that starts is a member at once (the default waits 5 s).
    c.setProperty("hazelcast.wait.seconds.before.join", "0");
    c.setProperty("hazelcast.max.wait.seconds.before.join", "0");
    c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    c.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
    c.setProperty("hazelcast.socket.bind.any", "false");
    c.setProperty("hazelcast.health.monitoring.level", "OFF");
    // The engine closes its own member; a WorkerMember installs its own hook.
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    c.getJetConfig().setEnabled(false);
    c.getMetricsConfig().setEnabled(false);
    c.getSerializationConfig().setJavaSerializationFilterConfig(javaFilter());
    c.getSqlConfig().setStatementTimeoutMillis(0);
    c.getManagementCenterConfig().setScriptingEnabled(false).setConsoleEnabled(false).setDataAccessEnabled(false);
    boolean embedded = config.mode() == ClusterConfig.Mode.EMBEDDED;
    NetworkConfig n = c.getNetworkConfig();
    n.setPort(config.port()).setPortAutoIncrement(!embedded).setPortCount(20);
    n.getInterfaces().setEnabled(true).addInterface(config.bindInterface());
    // REST (legacy, deprecated) and Memcache stay off, as by default; said here so no one turns them on by accident.
    n.getMemcacheProtocolConfig().setEnabled(false);
    JoinConfig j = n.getJoin();
    j.getMulticastConfig().setEnabled(false);
    j.getAutoDetectionConfig().setEnabled(false);
    j.getTcpIpConfig().setEnabled(!embedded).setConnectionTimeoutSeconds(2);
    if (!embedded) {
      config.members().forEach(j.getTcpIpConfig()::addMember);
    }
    int poolSize = Math.max(1, config.slots());
    c.getExecutorConfig(ClusterConfig.TASK_EXECUTOR).setPoolSize(poolSize).setQueueCapacity(0).setStatisticsEnabled(false);
    c.getDurableExecutorConfig(ClusterConfig.TASK_EXECUTOR).setPoolSize(poolSize).setCapacity(config.durableCapacity())
        .setDurability(config.durableBackups()).setStatisticsEnabled(false);
    c.getExecutorConfig(ClusterConfig.CONTROL_EXECUTOR).setPoolSize(2).setQueueCapacity(0).setStatisticsEnabled(false);
    if (config.slots() == 0) {
      c.setLiteMember(true); // submits only: holds no partitions, runs no tasks
    } else {
      c.getMemberAttributeConfig().setAttribute(ClusterConfig.SLOTS_ATTRIBUTE, Integer.toString(config.slots()));
    }
    c.getMemberAttributeConfig().setAttribute(ClusterConfig.NAME_ATTRIBUTE, config.memberName());
    c.getUserContext().put(MemberRuntime.KEY, runtime);
    if (runtime.isolated != null) {
      c.getMemberAttributeConfig().setAttribute(ClusterConfig.ISOLATION_ATTRIBUTE, "process");
      c.addListenerConfig(new ListenerConfig(runtime.isolated.closeWithMember()));
    }
    return c;
  }

  /** The configuration of the engine's client ({@code mode=client}). */
  static ClientConfig client(ClusterConfig config) {
    ClientConfig c = new ClientConfig();
    c.setClusterName(config.clusterName());
    c.setInstanceName("gearbox-client-" + config.clusterName() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    common(c::setProperty);
    long timeout = config.memberTimeout().toSeconds();
    c.setProperty("hazelcast.client.heartbeat.interval", Long.toString(Math.max(1000, timeout * 1000 / 5)));
    c.setProperty("hazelcast.client.heartbeat.timeout", Long.toString(timeout * 1000));
    c.setProperty("hazelcast.client.shuffle.member.list", "true");
    c.getNetworkConfig().setAddresses(new ArrayList<>(config.members()))
        .setConnectionTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1000, config.startupTimeout().toMillis())));
    // The client reconnects for ever: a cluster outage, however long, does not shut it down for good.
    // Its first connection is bounded by startup-timeout in InstanceFactory.start instead (asynchronous start).
    c.getConnectionStrategyConfig().setAsyncStart(true).getConnectionRetryConfig().setClusterConnectTimeoutMillis(-1)
        .setInitialBackoffMillis(100).setMaxBackoffMillis(2000);
    c.getMetricsConfig().setEnabled(false);
    c.getSerializationConfig().setJavaSerializationFilterConfig(javaFilter());
    return c;
  }
}
