package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * One attempt on its way to a member: identifiers, and the task as bytes of the engine's
 * {@link SerialCodec} (encrypted with {@code gearbox.cluster.encrypt}), sealed with the deployment
 * secret: the member checks the MAC ({@link #macWith}), the sending time and that it never saw
 * the envelope before, and only then decodes the task. Hazelcast serializes only this envelope (as {@link DataSerializable}, which needs
 * nothing but this class on the member), never the user's classes, so a missing task class is
 * found and reported by {@link MemberRuntime} in words. Returns the encoded outcome.
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class RemoteTask implements Callable<byte[]>, DataSerializable, HazelcastInstanceAware {
  String owner;
  long wireId;
  long taskId;
  String taskName;
  int attempt;
  /** When the engine sealed it (its wall clock): members refuse envelopes outside their replay window. */
  long sentAt;
  /** Whether {@link #work} is encrypted. */
  boolean encrypted;
  /**
   * Whether it goes through the durable executor, which may run it again on the same member (at
   * least once): such an envelope is checked against the replay window only, not refused when it
   * comes again.
   */
  boolean durable;
  /** Whether it waits in the member's queue for a slot when it arrives (prefetch): the member says when it starts. */
  boolean held;
  /** The member it is for (its MAC names it, so a copy cannot run on another member); null: any (a durable task). */
  UUID target;
  /**
   * The engine's own Hazelcast endpoint (member or client), so that a task's channel calls stop
   * waiting for replies once it has left the cluster; null if not given.
   */
  UUID engine;
  byte[] work;
  byte[] mac;
  /**
   * When this member received it, by its own clock: Hazelcast decodes the envelope when it
   * arrives, before it queues it for a slot, so the replay window is counted up to here, not up to
   * when a slot takes it. 0 for an envelope built in this JVM and not received.
   */
  transient long arrivedAt;
  private transient HazelcastInstance hz;

  /** For Hazelcast's deserialization only. */
  RemoteTask() {}

  /** The envelope of an attempt, sealed now; {@code work} is encrypted first if {@code encrypt}. */
  RemoteTask(Seal seal, boolean encrypt, String owner, long wireId, long taskId, String taskName, int attempt, byte[] work) {
    this(seal, encrypt, false, false, null, null, owner, wireId, taskId, taskName, attempt, work);
  }

  /**
   * As above; {@code durable}: for the durable executor (see {@link #durable}); {@code held}: see
   * {@link #held}; {@code engine}: see {@link #engine}.
   */
  RemoteTask(Seal seal, boolean encrypt, boolean durable, boolean held, UUID target, UUID engine, String owner, long wireId,
      long taskId, String taskName, int attempt, byte[] work) {
    this.owner = owner;
    this.wireId = wireId;
    this.taskId = taskId;
    this.taskName = taskName;
    this.attempt = attempt;
    this.sentAt = System.currentTimeMillis();
    this.encrypted = encrypt;
    this.durable = durable;
    this.held = held;
    this.target = target;
    this.engine = engine;
    this.work = encrypt ? seal.encrypt(work) : work;
    this.mac = macWith(seal);
  }

  /** The MAC this envelope's fields have under {@code seal}. */
  byte[] macWith(Seal seal) {
    return seal.fields(Seal.Kind.TASK).text(owner).i64(wireId).i64(taskId).text(taskName).i32(attempt).i64(sentAt)
        .bool(encrypted).bool(durable).bool(held).text(target == null ? null : target.toString())
        .text(engine == null ? null : engine.toString()).bytes(work).mac();
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  @Override
  public byte[] call() {
    return MemberRuntime.of(hz).run(this, hz);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeLong(wireId);
    out.writeLong(taskId);
    out.writeString(taskName);
    out.writeInt(attempt);
    out.writeLong(sentAt);
    out.writeBoolean(encrypted);
    out.writeBoolean(durable);
    out.writeBoolean(held);
    out.writeString(target == null ? null : target.toString());
    out.writeString(engine == null ? null : engine.toString());
    out.writeByteArray(work);
    out.writeByteArray(mac);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    wireId = in.readLong();
    taskId = in.readLong();
    taskName = in.readString();
    attempt = in.readInt();
    sentAt = in.readLong();
    encrypted = in.readBoolean();
    durable = in.readBoolean();
    held = in.readBoolean();
    String t = in.readString();
    target = t == null ? null : parseTarget(t);
    String e = in.readString();
    engine = e == null ? null : parseTarget(e);
    work = in.readByteArray();
    mac = in.readByteArray();
    arrivedAt = System.currentTimeMillis();
  }

  /** A target as sent, or a random id that matches no member (the MAC check then refuses the envelope). */
  private static UUID parseTarget(String t) {
    try {
      return UUID.fromString(t);
    } catch (IllegalArgumentException e) {
      return new UUID(0, 0);
    }
  }

  @Override
  public String toString() {
    return "task " + taskName + " (id " + taskId + ", attempt " + attempt + ")";
  }
}
