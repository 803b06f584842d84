package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;

/**
 * The engine's one answer to a {@link ChannelCall} of a task on a member: it runs on the member's
 * {@code gearbox-control} executor, where {@link MemberChannels} hands it to the waiting call.
 * Sealed with the deployment secret for the engine, the attempt and the call; the member checks
 * the MAC before it decodes anything, and takes a reply only for a call it has open (a copy of an
 * old reply finds none). The bytes (a received element, a poison's cause) are encrypted when the
 * call's were.
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class ChannelReply implements Runnable, DataSerializable, HazelcastInstanceAware {
  /** Outcomes. */
  static final byte RECEIVED = 0;
  static final byte SENT = 1;
  static final byte ENDED = 2;
  static final byte SEND_REFUSED = 3;
  static final byte POISONED = 4;
  /** Nothing happened: not ready (a call that may not wait), or withdrawn. */
  static final byte NONE = 5;
  static final byte TRUE = 6;
  static final byte FALSE = 7;
  /** The call failed; the bytes are a UTF-8 message. */
  static final byte ERROR = 8;
  /** The acknowledgement of a received element was recorded: the element is the task's. */
  static final byte ACKED = 9;

  String owner;
  long wireId;
  int attempt;
  long call;
  byte outcome;
  int index;
  boolean encrypted;
  byte[] bytes;
  byte[] mac;
  private transient HazelcastInstance hz;

  /** For Hazelcast's deserialization only. */
  ChannelReply() {}

  /** A reply sealed now; {@code bytes} must already be encrypted if {@code encrypted}. */
  ChannelReply(Seal seal, String owner, long wireId, int attempt, long call, byte outcome, int index, boolean encrypted,
      byte[] bytes) {
    this.owner = owner;
    this.wireId = wireId;
    this.attempt = attempt;
    this.call = call;
    this.outcome = outcome;
    this.index = index;
    this.encrypted = encrypted;
    this.bytes = bytes;
    this.mac = macWith(seal);
  }

  /** The MAC this envelope's fields have under {@code seal}. */
  byte[] macWith(Seal seal) {
    return seal.fields(Seal.Kind.CHANNEL_REPLY).text(owner).i64(wireId).i32(attempt).i64(call).i32(outcome).i32(index)
        .bool(encrypted).bytes(bytes).mac();
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  @Override
  public void run() {
    MemberRuntime.of(hz).channels.reply(this, hz);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeLong(wireId);
    out.writeInt(attempt);
    out.writeLong(call);
    out.writeByte(outcome);
    out.writeInt(index);
    out.writeBoolean(encrypted);
    out.writeByteArray(bytes);
    out.writeByteArray(mac);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    wireId = in.readLong();
    attempt = in.readInt();
    call = in.readLong();
    outcome = in.readByte();
    index = in.readInt();
    encrypted = in.readBoolean();
    bytes = in.readByteArray();
    mac = in.readByteArray();
  }
}
