package dev.gearbox.view;

import com.codahale.metrics.jmx.JmxReporter;
import dev.gearbox.Engine;
import dev.gearbox.EngineSnapshot;
import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * {@code gearbox.jmx=true}: the engine's metrics through Dropwizard's {@link JmxReporter} (domain
 * {@code gearbox}, only the metrics named {@code gearbox.<engine>.*}), and an {@link EngineMXBean}
 * on the platform MBean server. {@link #close()} unregisters both.
 */
final class EngineJmx implements AutoCloseable {
  static final String DOMAIN = "gearbox";

  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private final JmxReporter reporter;
  private final ObjectName name;

  EngineJmx(Engine engine) {
    String prefix = "gearbox." + engine.name() + ".";
    this.reporter = JmxReporter.forRegistry(engine.metrics()).inDomain(DOMAIN).registerWith(server)
        .filter((metric, m) -> metric.startsWith(prefix)).build();
    try {
      this.name = objectName(engine.name());
      server.registerMBean(new Bean(engine), name);
    } catch (JMException e) {
      throw new IllegalStateException("cannot register the MBean of engine '" + engine.name() + "' ("
          + "is another engine of that name registered? give it another gearbox.name): " + e, e);
    }
    reporter.start();
  }

  static ObjectName objectName(String engineName) throws JMException {
    return new ObjectName("dev.gearbox:type=Engine,name=" + ObjectName.quote(engineName));
  }

  @Override
  public void close() {
    reporter.close();
    try {
      if (server.isRegistered(name)) {
        server.unregisterMBean(name);
      }
    } catch (JMException e) {
      throw new IllegalStateException("cannot unregister " + name + ": " + e, e);
    }
  }

  /** The MXBean: reads the engine at each call. */
  private record Bean(Engine engine) implements EngineMXBean {
    private EngineSnapshot.Counts counts() {
      return engine.snapshot(0).counts();
    }

    @Override
    public String getName() {
      return engine.name();
    }

    @Override
    public String getBackend() {
      return engine.backendName();
    }

    @Override
    public int getParallelism() {
      return engine.parallelism();
    }

    @Override
    public long getSubmitted() {
      return counts().submitted();
    }

    @Override
    public long getCompleted() {
      return counts().completed();
    }

    @Override
    public long getFailed() {
      return counts().failed();
    }

    @Override
    public long getCancelled() {
      return counts().cancelled();
    }

    @Override
    public long getRunning() {
      return counts().running();
    }

    @Override
    public long getQueued() {
      return counts().queued();
    }

    @Override
    public long getInFlight() {
      return counts().inFlight();
    }

    @Override
    public String getSnapshotJson() {
      return snapshotJson(1_000);
    }

    @Override
    public String snapshotJson(int maxTasks) {
      return SnapshotJson.toJson(engine.snapshot(Math.max(0, maxTasks)));
    }
  }
}
