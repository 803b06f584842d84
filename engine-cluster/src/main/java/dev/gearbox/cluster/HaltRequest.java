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
 * member that does not run the task (any more) ignores it. Sealed with the deployment secret: the
 * member checks its MAC, sending time and freshness before it acts ({@link MemberRuntime}), so
 * nobody without the secret can halt a member.
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class HaltRequest implements Runnable, DataSerializable, HazelcastInstanceAware, Stamp.Sealed {
  String owner;
  long wireId;
  String taskName;
  String why;
  Stamp stamp;
  private transient HazelcastInstance hz;

  /** For Hazelcast's deserialization only. */
  HaltRequest() {}

  HaltRequest(Seal seal, String owner, long wireId, String taskName, String why) {
    this.owner = owner;
    this.wireId = wireId;
    this.taskName = taskName;
    this.why = why;
    this.stamp = Stamp.now();
    stamp.mac = macWith(seal);
  }

  @Override
  public Stamp stamp() {
    return stamp;
  }

  @Override
  public byte[] macWith(Seal seal) {
    return stamp.addTo(seal.fields(Seal.Kind.HALT).text(owner).i64(wireId).text(taskName).text(why)).mac();
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  @Override
  public void run() {
    MemberRuntime.of(hz).haltIfRunning(this, hz);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeLong(wireId);
    out.writeString(taskName);
    out.writeString(why);
    stamp.write(out);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    wireId = in.readLong();
    taskName = in.readString();
    why = in.readString();
    stamp = Stamp.read(in);
  }
}
