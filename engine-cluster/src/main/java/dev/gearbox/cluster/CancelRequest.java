package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;

/**
 * Sets a running task's cooperative cancel flag and, if asked, interrupts its thread: the
 * engine's stop ladder reaching a member. Runs on the member's small {@code gearbox-control}
 * executor, so it never waits behind the tasks it cancels. Sealed with the deployment secret: the
 * member checks its MAC, sending time and freshness before it acts ({@link MemberRuntime}).
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class CancelRequest implements Runnable, DataSerializable, HazelcastInstanceAware, Stamp.Sealed {
  String owner;
  long wireId;
  boolean interrupt;
  Stamp stamp;
  private transient HazelcastInstance hz;

  /** For Hazelcast's deserialization only. */
  CancelRequest() {}

  CancelRequest(Seal seal, String owner, long wireId, boolean interrupt) {
    this.owner = owner;
    this.wireId = wireId;
    this.interrupt = interrupt;
    this.stamp = Stamp.now();
    stamp.mac = macWith(seal);
  }

  @Override
  public Stamp stamp() {
    return stamp;
  }

  @Override
  public byte[] macWith(Seal seal) {
    return stamp.addTo(seal.fields(Seal.Kind.CANCEL).text(owner).i64(wireId).bool(interrupt)).mac();
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  @Override
  public void run() {
    MemberRuntime.of(hz).cancel(this, hz);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeLong(wireId);
    out.writeBoolean(interrupt);
    stamp.write(out);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    wireId = in.readLong();
    interrupt = in.readBoolean();
    stamp = Stamp.read(in);
  }
}
