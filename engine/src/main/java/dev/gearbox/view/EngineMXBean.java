package dev.gearbox.view;

/**
 * An engine as JMX shows it, registered as {@code dev.gearbox:type=Engine,name="<engine name>"} (the name quoted by {@link javax.management.ObjectName#quote}) when
 * {@code gearbox.jmx=true} (and unregistered at close). Its counters are read at each call; the
 * snapshot is {@link dev.gearbox.Engine#snapshot(int)} as JSON (the dashboard's format). The
 * engine's Dropwizard metrics are registered beside it under the domain {@code gearbox}.
 */
public interface EngineMXBean {
  String getName();

  String getBackend();

  int getParallelism();

  long getSubmitted();

  long getCompleted();

  long getFailed();

  long getCancelled();

  long getRunning();

  long getQueued();

  long getInFlight();

  /** The snapshot as JSON, with at most 1,000 tasks. */
  String getSnapshotJson();

  /** The snapshot as JSON, with at most {@code maxTasks} tasks. */
  String snapshotJson(int maxTasks);
}
