package dev.gearbox.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;

/**
 * A task's progress, published by the member on the engine's progress topic. Messages from one
 * task arrive in the order it published them.
 *
 * <p>Hazelcast instantiates it by name (its no-argument constructor, made accessible) on the
 * receiving side, which needs only Gearbox's cluster module on its classpath.
 */
final class ProgressReport implements DataSerializable {
  long wireId;
  double fraction;
  String message;

  /** For Hazelcast's deserialization only. */
  ProgressReport() {}

  ProgressReport(long wireId, double fraction, String message) {
    this.wireId = wireId;
    this.fraction = fraction;
    this.message = message;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(wireId);
    out.writeDouble(fraction);
    out.writeString(message);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    wireId = in.readLong();
    fraction = in.readDouble();
    message = in.readString();
  }
}
