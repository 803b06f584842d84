package dev.gearbox.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;

/**
 * A channel operation of a task on a member, published by the member on its engine's channel topic
 * ({@link ClusterConfig#CHANNEL_TOPIC_PREFIX} and the engine's id) and performed by the engine on
 * the channel's buffer ({@link ClusterChannels}). Three kinds: a {@link #CALL} (one send, receive or
 * select of several cases, or a close, poison or closed-query), the {@link #WITHDRAW} of a waiting
 * call (its timeout passed or its thread was interrupted), and the {@link #ACK} of a received
 * element (the task is about to have it). Each is answered by one {@link ChannelReply}; so is a
 * {@link #RETURN} of an element that will never reach its task.
 *
 * <p>Sealed with the deployment secret for the engine, the publishing member's UUID and the attempt
 * it belongs to (engine id, wire id, attempt number); the engine checks the MAC before it decodes
 * anything, refuses a call that another member than the one named publishes (a copy played back
 * from elsewhere), and refuses a call whose number is not above the last one it took from that member for that attempt (a
 * replay). The arguments (a sent element's bytes, a poison's cause) are encrypted when the task
 * was. Calls of one task are numbered and published in order (Hazelcast delivers a member's
 * messages on a topic in the order it published them).
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class ChannelCall implements DataSerializable {
  /** Kinds. */
  static final byte CALL = 0;
  static final byte WITHDRAW = 1;
  static final byte ACK = 2;
  /**
   * The element the call received will never reach its task (the worker process that ran the task
   * on an isolated member died first): it goes back to the head of its channel. Answered
   * {@link ChannelReply#ACKED} once done, so that the member reports the worker's death after it.
   */
  static final byte RETURN = 3;
  /** Operations of a case. */
  static final byte SEND = 0;
  static final byte RECEIVE = 1;
  static final byte CLOSE = 2;
  static final byte POISON = 3;
  static final byte IS_CLOSED = 4;
  /** Most cases a call may carry (a select's); a bigger one is not read. */
  static final int MAX_CASES = 4096;

  String owner;
  /** The UUID of the member that publishes it: a copy published by another member is refused. */
  String member;
  long wireId;
  int attempt;
  long call;
  byte kind;
  boolean mayWait;
  int start;
  boolean encrypted;
  byte[] ops;
  String[] channelIds;
  String[] channelNames;
  byte[][] arguments;
  byte[] mac;

  /** For Hazelcast's deserialization only. */
  ChannelCall() {}

  /** A call, withdrawal or acknowledgement, sealed now; the arguments must already be encrypted if {@code encrypted}. */
  ChannelCall(Seal seal, String owner, String member, long wireId, int attempt, long call, byte kind, boolean mayWait,
      int start, boolean encrypted, byte[] ops, String[] channelIds, String[] channelNames, byte[][] arguments) {
    this.owner = owner;
    this.member = member;
    this.wireId = wireId;
    this.attempt = attempt;
    this.call = call;
    this.kind = kind;
    this.mayWait = mayWait;
    this.start = start;
    this.encrypted = encrypted;
    this.ops = ops;
    this.channelIds = channelIds;
    this.channelNames = channelNames;
    this.arguments = arguments;
    this.mac = macWith(seal);
  }

  /** A withdrawal or acknowledgement of {@code call}. */
  static ChannelCall about(Seal seal, String owner, String member, long wireId, int attempt, long call, byte kind) {
    return new ChannelCall(seal, owner, member, wireId, attempt, call, kind, false, 0, false, new byte[0], new String[0],
        new String[0], new byte[0][]);
  }

  int cases() {
    return ops.length;
  }

  /** Bytes of the arguments, as the limit on a call counts them. */
  long argumentBytes() {
    long n = 0;
    for (byte[] a : arguments) {
      n += a == null ? 0 : a.length;
    }
    return n;
  }

  /** The MAC this envelope's fields have under {@code seal}. */
  byte[] macWith(Seal seal) {
    Seal.Fields f = seal.fields(Seal.Kind.CHANNEL_CALL).text(owner).text(member).i64(wireId).i32(attempt).i64(call).i32(kind)
        .bool(mayWait).i32(start).bool(encrypted).bytes(ops).i32(channelIds.length);
    for (int i = 0; i < channelIds.length; i++) {
      f.text(channelIds[i]).text(channelNames[i]).bytes(arguments[i]);
    }
    return f.mac();
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeString(member);
    out.writeLong(wireId);
    out.writeInt(attempt);
    out.writeLong(call);
    out.writeByte(kind);
    out.writeBoolean(mayWait);
    out.writeInt(start);
    out.writeBoolean(encrypted);
    out.writeByteArray(ops);
    out.writeInt(channelIds.length);
    for (int i = 0; i < channelIds.length; i++) {
      out.writeString(channelIds[i]);
      out.writeString(channelNames[i]);
      out.writeByteArray(arguments[i]);
    }
    out.writeByteArray(mac);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    member = in.readString();
    wireId = in.readLong();
    attempt = in.readInt();
    call = in.readLong();
    kind = in.readByte();
    mayWait = in.readBoolean();
    start = in.readInt();
    encrypted = in.readBoolean();
    ops = in.readByteArray();
    int n = in.readInt();
    if (ops == null || n != ops.length || n > MAX_CASES) {
      throw new IOException("a channel call with " + n + " cases (at most " + MAX_CASES + ", one per operation)");
    }
    channelIds = new String[n];
    channelNames = new String[n];
    arguments = new byte[n][];
    for (int i = 0; i < n; i++) {
      channelIds[i] = in.readString();
      channelNames[i] = in.readString();
      arguments[i] = in.readByteArray();
    }
    mac = in.readByteArray();
  }
}
