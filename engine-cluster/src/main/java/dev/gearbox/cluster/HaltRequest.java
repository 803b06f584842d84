package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;

/**
 * Halts the member that still runs a given task: the last rung of the stop ladder with
 * {@code gearbox.cluster.kill=member}. Runs on the member's {@code gearbox-control} executor; a
 * member that does not run the task (any more) ignores it.
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class HaltRequest implements Runnable, DataSerializable, HazelcastInstanceAware {
  private String owner;
  private long wireId;
  private String taskName;
  private String why;
  private transient HazelcastInstance hz;

  /** For Hazelcast's deserialization only. */
  HaltRequest() {}

  HaltRequest(String owner, long wireId, String taskName, String why) {
    this.owner = owner;
    this.wireId = wireId;
    this.taskName = taskName;
    this.why = why;
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  @Override
  public void run() {
    MemberRuntime.of(hz).haltIfRunning(owner, wireId, taskName, why);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeLong(wireId);
    out.writeString(taskName);
    out.writeString(why);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    wireId = in.readLong();
    taskName = in.readString();
    why = in.readString();
  }
}
