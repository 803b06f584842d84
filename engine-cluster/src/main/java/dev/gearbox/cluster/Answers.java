package dev.gearbox.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * The wire form of a member's answer to a {@link RemoteTask}, sealed by the member and opened by
 * the engine before it decodes anything in it. Layout:
 *
 * <pre>
 * PLAIN     | MAC (32) | tag | payload           the MAC covers the attempt's ids, the flag and the body
 * ENCRYPTED | MAC (32) | AES-GCM(tag | payload)
 * REFUSED   | UTF-8 reason                        not authenticated: it can only fail its attempt
 * </pre>
 *
 * The tag and payload are {@link MemberRuntime}'s ({@code OK}, {@code FAILED}...). The MAC binds
 * the answer to the engine ({@code owner}), the attempt's wire id and number, so an answer cannot
 * be forged, nor replayed for another attempt. A member that will not run a task (its envelope
 * failed authentication there, was replayed or too old) answers {@code REFUSED}: it cannot seal
 * with a secret it may not share, and the engine treats that answer only as a failure of the
 * attempt.
 *
 * <p>Stateless and thread-safe.
 */
final class Answers {
  static final byte PLAIN = 0;
  static final byte ENCRYPTED = 1;
  static final byte REFUSED = 2;
  private static final int BODY = 1 + Seal.MAC_BYTES;

  private Answers() {}

  /** An opened answer: its tag at {@code data[offset]}, then the payload. */
  record Opened(byte[] data, int offset) {}

  /** A member's answer: {@code tag} and the {@code payload} bytes after {@code payloadOffset}, sealed for the task's engine. */
  static byte[] seal(Seal seal, RemoteTask task, byte tag, byte[] payload, int payloadOffset) {
    int len = payload.length - payloadOffset;
    byte[] body;
    if (task.encrypted) {
      byte[] plain = new byte[1 + len];
      plain[0] = tag;
      System.arraycopy(payload, payloadOffset, plain, 1, len);
      body = seal.encrypt(plain);
    } else {
      body = null;
    }
    int bodyLen = body == null ? 1 + len : body.length;
    byte[] out = new byte[BODY + bodyLen];
    out[0] = task.encrypted ? ENCRYPTED : PLAIN;
    if (body == null) {
      out[BODY] = tag;
      System.arraycopy(payload, payloadOffset, out, BODY + 1, len);
    } else {
      System.arraycopy(body, 0, out, BODY, bodyLen);
    }
    byte[] mac = macOf(seal, task.owner, task.wireId, task.attempt, out);
    System.arraycopy(mac, 0, out, 1, Seal.MAC_BYTES);
    return out;
  }

  /** An unauthenticated refusal, saying why. */
  static byte[] refusal(String why) {
    byte[] text = why.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[1 + text.length];
    out[0] = REFUSED;
    System.arraycopy(text, 0, out, 1, text.length);
    return out;
  }

  /** The reason of a refusal, or null if {@code answer} is not one. */
  static String refusalOf(byte[] answer) {
    return answer.length > 0 && answer[0] == REFUSED ? new String(answer, 1, answer.length - 1, StandardCharsets.UTF_8) : null;
  }

  /**
   * Checks an answer's MAC for the attempt, then decrypts it if it is encrypted.
   *
   * @throws GeneralSecurityException if it was not sealed with this deployment's secret for this attempt, or was altered
   */
  static Opened open(Seal seal, String owner, long wireId, int attempt, byte[] answer) throws GeneralSecurityException {
    if (answer == null || answer.length < BODY + 1 || (answer[0] != PLAIN && answer[0] != ENCRYPTED)) {
      throw new GeneralSecurityException("it is not a sealed answer");
    }
    byte[] mac = new byte[Seal.MAC_BYTES];
    System.arraycopy(answer, 1, mac, 0, Seal.MAC_BYTES);
    if (!Seal.matches(macOf(seal, owner, wireId, attempt, answer), mac)) {
      throw new GeneralSecurityException("its MAC does not match: it was not sealed with this deployment's secret for"
          + " this attempt");
    }
    if (answer[0] == PLAIN) {
      return new Opened(answer, BODY);
    }
    byte[] plain = seal.decrypt(answer, BODY);
    if (plain.length == 0) {
      throw new GeneralSecurityException("its encrypted body is empty");
    }
    return new Opened(plain, 0);
  }

  private static byte[] macOf(Seal seal, String owner, long wireId, int attempt, byte[] answer) {
    return seal.fields(Seal.Kind.ANSWER).text(owner).i64(wireId).i32(attempt).i32(answer[0])
        .bytes(answer, BODY, answer.length - BODY).mac();
  }
}
