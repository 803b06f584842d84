package dev.gearbox.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;

/**
 * A task's progress, published by the member on the engine's progress topic. Messages from one
 * task arrive in the order it published them, numbered from 1. Sealed with the deployment secret
 * for the engine it goes to: the engine checks the MAC and refuses a number it has seen
 * ({@link ProgressRelay}), so nobody without the secret can publish progress, nor replay it.
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class ProgressReport implements DataSerializable {
  long wireId;
  long sequence;
  /** Not progress: the notice that a held task started ({@link RemoteTask#held}), so that its deadline starts. */
  boolean started;
  double fraction;
  String message;
  byte[] mac;

  /** For Hazelcast's deserialization only. */
  ProgressReport() {}

  ProgressReport(Seal seal, String owner, long wireId, long sequence, double fraction, String message) {
    this(seal, owner, wireId, sequence, false, fraction, message);
  }

  /** As above; {@code started}: the start notice of a held task instead of progress. */
  ProgressReport(Seal seal, String owner, long wireId, long sequence, boolean started, double fraction, String message) {
    this.started = started;
    this.wireId = wireId;
    this.sequence = sequence;
    this.fraction = fraction;
    this.message = message;
    this.mac = macWith(seal, owner);
  }

  /** The MAC of this report for the engine {@code owner}. */
  byte[] macWith(Seal seal, String owner) {
    return seal.fields(Seal.Kind.PROGRESS).text(owner).i64(wireId).i64(sequence).bool(started)
        .i64(Double.doubleToLongBits(fraction))
        .text(message).mac();
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(wireId);
    out.writeLong(sequence);
    out.writeBoolean(started);
    out.writeDouble(fraction);
    out.writeString(message);
    out.writeByteArray(mac);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    wireId = in.readLong();
    sequence = in.readLong();
    started = in.readBoolean();
    fraction = in.readDouble();
    message = in.readString();
    mac = in.readByteArray();
  }
}
