package dev.gearbox.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;

/**
 * What every control request (cancel, halt, kill) carries besides its own fields: when it was
 * sealed (members refuse requests outside their replay window), a random nonce that makes each
 * request's MAC unique (so a member never takes a new request for a replay of an old one), and the
 * MAC itself. The request computes the MAC over its own fields, then {@link #addTo} these.
 *
 * <p>Not thread-safe; set once when the request is made or read.
 */
final class Stamp {
  long sentAt;
  long nonce;
  byte[] mac;

  /** A stamp for a request sealed now; its MAC is set by the request. */
  static Stamp now() {
    Stamp s = new Stamp();
    s.sentAt = System.currentTimeMillis();
    s.nonce = Seal.randomLong();
    return s;
  }

  /** Adds the sending time and nonce to a request's MAC, after its own fields. */
  Seal.Fields addTo(Seal.Fields fields) {
    return fields.i64(sentAt).i64(nonce);
  }

  void write(ObjectDataOutput out) throws IOException {
    out.writeLong(sentAt);
    out.writeLong(nonce);
    out.writeByteArray(mac);
  }

  static Stamp read(ObjectDataInput in) throws IOException {
    Stamp s = new Stamp();
    s.sentAt = in.readLong();
    s.nonce = in.readLong();
    s.mac = in.readByteArray();
    return s;
  }

  /** A control request sealed with a {@link Stamp}, which a member checks before it acts. */
  interface Sealed {
    Stamp stamp();

    /** The MAC its fields have under {@code seal}. */
    byte[] macWith(Seal seal);
  }
}
