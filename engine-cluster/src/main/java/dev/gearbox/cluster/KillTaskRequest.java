package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;

/**
 * Kills the worker process that runs a given task on a member with {@code isolation=process}: the
 * last rung of the stop ladder with {@code gearbox.cluster.kill=task}. The member and its other
 * tasks go on; the worker's death answers the task ({@link CrashedAnswer}). Runs on the member's
 * {@code gearbox-control} executor; a member that does not run the task (any more), or runs no
 * worker processes, ignores it. Sealed with the deployment secret and checked like a
 * {@link HaltRequest}.
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class KillTaskRequest implements Runnable, DataSerializable, HazelcastInstanceAware, Stamp.Sealed {
  String owner;
  long wireId;
  String taskName;
  Stamp stamp;
  private transient HazelcastInstance hz;

  /** For Hazelcast's deserialization only. */
  KillTaskRequest() {}

  KillTaskRequest(Seal seal, String owner, long wireId, String taskName) {
    this.owner = owner;
    this.wireId = wireId;
    this.taskName = taskName;
    this.stamp = Stamp.now();
    stamp.mac = macWith(seal);
  }

  @Override
  public Stamp stamp() {
    return stamp;
  }

  @Override
  public byte[] macWith(Seal seal) {
    return stamp.addTo(seal.fields(Seal.Kind.KILL).text(owner).i64(wireId).text(taskName)).mac();
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  @Override
  public void run() {
    MemberRuntime.of(hz).killIsolated(this, hz);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeLong(wireId);
    out.writeString(taskName);
    stamp.write(out);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    wireId = in.readLong();
    taskName = in.readString();
    stamp = Stamp.read(in);
  }
}
