package dev.gearbox.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * The engine's challenge to a member that joined: prove that you hold the deployment secret. The
 * member answers with the MAC of the engine's id, a fresh random challenge and its own member id
 * ({@link #proof}); the engine sends tasks only to members whose answer checks out. The challenge
 * is new each time, so an answer overheard for one engine or one member proves nothing for
 * another, and the MAC's kind keeps it from being valid as any other envelope.
 *
 * <p>Runs on the member's {@code gearbox-control} executor. Hazelcast instantiates it by name (its
 * no-argument constructor, made accessible) on the receiving side, which needs only Gearbox's
 * cluster module on its classpath; a member without it fails the call, which counts as no proof.
 */
final class ProofRequest implements Callable<byte[]>, DataSerializable, HazelcastInstanceAware {
  /** Bytes of a challenge. */
  static final int CHALLENGE_BYTES = 16;

  private String owner;
  private byte[] challenge;
  private transient HazelcastInstance hz;

  /** For Hazelcast's deserialization only. */
  ProofRequest() {}

  ProofRequest(String owner, byte[] challenge) {
    this.owner = owner;
    this.challenge = challenge;
  }

  /** The proof that a member holds {@code seal}'s secret: what the member answers and what the engine expects. */
  static byte[] proof(Seal seal, String owner, byte[] challenge, UUID member) {
    return seal.fields(Seal.Kind.PROOF).text(owner).bytes(challenge).i64(member.getMostSignificantBits())
        .i64(member.getLeastSignificantBits()).mac();
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  @Override
  public byte[] call() {
    if (challenge == null || challenge.length != CHALLENGE_BYTES) {
      throw new IllegalArgumentException("a challenge has " + CHALLENGE_BYTES + " bytes");
    }
    return MemberRuntime.of(hz).prove(owner, challenge, hz);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeByteArray(challenge);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    challenge = in.readByteArray();
  }
}
